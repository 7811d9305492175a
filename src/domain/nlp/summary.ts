import { length } from '../text.ts';
import { isContentWord, taggedWords, termWeights } from './tfidf.ts';

export const SUMMARY_MAX = 120;

/** The lede carries the news in Chinese copy; later paragraphs' first sentences matter a little more than the rest. */
const LEDE_BONUS = 1.6;
const PARAGRAPH_START_BONUS = 1.15;

/** 本报讯（记者 …）, 本报北京6月4日电, 新华社…电 — datelines that open a story but are no part of its summary. */
const DATELINE = /^(?:本报讯|(?:本报|新华社|中新社)[^，。！？\n]{0,24}?电)\s*(?:[（(][^）)]{0,30}[）)])?\s*/u;

export interface Sentence {
  text: string;
  paragraph: number;
  /** Position of the sentence inside its paragraph, from 0. */
  index: number;
}

/**
 * Sentences of plain text: each ends at 。！？ (with any closing quotes after it). A line's unterminated tail — a
 * heading, a caption, a byline — is no sentence and is left out.
 */
export function sentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .forEach((line, paragraph) => {
      const body = line.replace(DATELINE, '');
      let index = 0;
      for (const m of body.matchAll(/[^。！？!?]+[。！？!?]+[”’」』）)"]*/gu)) {
        const s = m[0].trim();
        if (s !== '') out.push({ text: s, paragraph, index: index++ });
      }
    });
  return out;
}

/**
 * An extractive summary of at most 120 characters: the best-scoring whole sentences (TF-IDF of their words, the lede
 * and paragraph openings favoured) in their original order. Never cuts a sentence; empty when none fits.
 */
export function extractSummary(title: string, body: string, max = SUMMARY_MAX): string {
  const list = sentences(body);
  if (list.length === 0) return '';
  const weights = termWeights([
    { text: title, boost: 2 },
    { text: body, boost: 1 },
  ]);
  const scored = list.map((s, order) => {
    const words = taggedWords(s.text).map((w) => w.word);
    const seen = new Set<string>();
    let sum = 0;
    for (const w of words) {
      if (seen.has(w) || !isContentWord(w)) continue;
      seen.add(w);
      sum += weights.get(w) ?? 0;
    }
    // Dividing by √length keeps long sentences from winning on length alone.
    let score = sum / Math.sqrt(Math.max(words.length, 1));
    if (order === 0) score *= LEDE_BONUS;
    else if (s.index === 0) score *= PARAGRAPH_START_BONUS;
    return { order, text: s.text, chars: length(s.text), score };
  });
  const chosen: typeof scored = [];
  let used = 0;
  for (const s of [...scored].sort((a, b) => b.score - a.score || a.order - b.order)) {
    if (used + s.chars > max) continue;
    chosen.push(s);
    used += s.chars;
  }
  return chosen
    .sort((a, b) => a.order - b.order)
    .map((s) => s.text)
    .join('');
}
