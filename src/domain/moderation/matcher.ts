import AhoCorasick from 'modern-ahocorasick';
import { foldText, isSeparator } from './normalize.ts';
import type { WordAction } from './word.ts';

/** A word of the list found in a text: the original text's range (UTF-16, end exclusive). */
export interface WordHit {
  word: string;
  action: WordAction;
  start: number;
  end: number;
}

export interface Screening {
  hits: WordHit[];
  /** The strongest action among the hits: block > review > mask; null when nothing matched. */
  verdict: WordAction | null;
}

const STRENGTH: Record<WordAction, number> = { mask: 1, review: 2, block: 3 };

/**
 * The compiled list: one Aho–Corasick automaton (modern-ahocorasick) over the folded keys, so a text is scanned once
 * whatever the list's length. Build one per list version (WordListCache) and share it: compiling 10,000 words takes
 * tens of milliseconds, a scan of a comment well under one.
 */
export class WordMatcher {
  private readonly automaton: AhoCorasick<{ word: string; action: WordAction }> | null;

  constructor(words: readonly { word: string; key: string; action: WordAction }[]) {
    const patterns = words.filter((w) => w.key !== '').map((w) => ({ pattern: w.key, data: { word: w.word, action: w.action } }));
    this.automaton = patterns.length > 0 ? new AhoCorasick(patterns) : null;
  }

  get stats(): unknown {
    return this.automaton?.getStats() ?? null;
  }

  get empty(): boolean {
    return this.automaton === null;
  }

  /** Every occurrence of every word (overlapping ones too), mapped back to the original text. */
  screen(text: string): Screening {
    if (!this.automaton || text === '') return { hits: [], verdict: null };
    const folded = foldText(text);
    const hits: WordHit[] = [];
    let verdict: WordAction | null = null;
    for (const m of this.automaton.iterate(folded.text)) {
      const action = m.data!.action;
      hits.push({ word: m.data!.word, action, start: folded.starts[m.start]!, end: folded.ends[m.end - 1]! });
      if (verdict === null || STRENGTH[action] > STRENGTH[verdict]) verdict = action;
    }
    return { hits, verdict };
  }
}

/** The text with every character of the `mask` hits replaced by ＊ (separators between them kept). */
export function maskHits(text: string, hits: readonly WordHit[]): string {
  const ranges = hits.filter((h) => h.action === 'mask').sort((a, b) => a.start - b.start);
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const r of ranges) {
    if (r.end <= at) continue;
    const from = Math.max(at, r.start);
    out += text.slice(at, from);
    for (const ch of text.slice(from, r.end)) out += isSeparator(ch) ? ch : '＊';
    at = r.end;
  }
  return out + text.slice(at);
}
