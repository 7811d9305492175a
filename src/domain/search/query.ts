import { invalid } from '../errors.ts';
import { isWholeWords, normalizeText } from '../nlp/segment.ts';
import { length } from '../text.ts';
import { wellFormed, wordTokens } from './document.ts';
import { gramPhrase } from './grams.ts';
import type { Term, TextTerm, WordTerm } from './search-index.ts';

export interface ParsedQuery {
  /** The query as normalized for matching (simplified, half-width, lower case, punctuation as spaces). */
  normalized: string;
  /** Every term must match. Empty when the query has nothing searchable. */
  terms: Term[];
  /** When the words find nothing: each space-separated part of the query as exact text; undefined if that is `terms`. */
  fallback: Term[] | undefined;
  /** Normalized strings to mark in titles and snippets, longest first. */
  highlights: string[];
}

/** Queries longer than this are refused: nobody types more, and it bounds the work one request can ask for. */
export const MAX_QUERY_CHARS = 100;

/** Function characters that carry no meaning in a query with other words (中关村的人工智能 = 中关村 人工智能). */
const STOP_CHARS = new Set(Array.from('的了在是和与及或等也都就而之对把被从向于为以将由其这那个着过吗呢吧啊并且又让给'));

/**
 * Words that make a query a question or a request rather than name its subject (上海今年有哪些地铁线路开通了 is about
 * 上海 地铁 线路 开通): never required while the query has other words. Relative times (今年, 最近) are here too: an
 * article says 2026年 or nothing, and dates are what the date filter is for.
 */
const QUESTION_WORDS = new Set([
  '哪些',
  '哪个',
  '哪里',
  '哪儿',
  '什么',
  '怎么',
  '怎样',
  '怎么样',
  '如何',
  '为什么',
  '为何',
  '多少',
  '几个',
  '谁',
  '是否',
  '是不是',
  '有没有',
  '能不能',
  '可不可以',
  '会不会',
  '要不要',
  '请问',
  '一下',
  '有',
  '有关',
  '关于',
  '今年',
  '去年',
  '明年',
  '最近',
  '近期',
  '目前',
  '现在',
  '今天',
  '昨天',
  '如今',
]);

const isSingleChinese = (token: string) => length(token) === 1 && !/^[a-z0-9]$/.test(token);

interface Placed {
  token: string;
  start: number;
  end: number;
}

/**
 * The words of one space-free chunk in reading order. jieba's search mode gives each word after its parts
 * (抑郁 before 抗抑郁); the parts are dropped, since an article having the word has its parts indexed too.
 */
function placedWords(chunk: string): Placed[] {
  const tokens = wordTokens(chunk);
  const whole = tokens.filter((t, i) => length(t) === 1 || !tokens.some((u, j) => j !== i && u.length > t.length && u.includes(t)));
  const out: Placed[] = [];
  let cursor = 0;
  for (const token of whole) {
    const start = chunk.indexOf(token, cursor);
    if (start < 0) continue;
    out.push({ token, start, end: start + token.length });
    cursor = start + token.length;
  }
  return out;
}

function textTerm(text: string): TextTerm | undefined {
  const phrase = gramPhrase(text);
  if (!phrase || phrase.grams.length === 0) return undefined;
  // Text jieba reads as dictionary words is found in bodies by those words (bodies keep grams only for unknown runs).
  const placed = placedWords(text);
  const contiguous = placed.every((p, i) => i === 0 || placed[i - 1]!.end === p.start) && placed.length > 0 && placed[placed.length - 1]!.end === text.length;
  if (!contiguous || placed.length < 2 || placed.every((p) => isSingleChinese(p.token))) return { kind: 'text', text, phrase };
  // A word's index position follows its parts (wordTokens of the word alone gives them and it, in index order).
  const words = placed.map((p, i) => ({ token: p.token, gap: i === 0 ? 0 : wordTokens(p.token).length }));
  return { kind: 'text', text, phrase, words };
}

/** A normalized, space-free string as exact text (through the grams), or undefined when it has none. */
export const exactText = (text: string): TextTerm | undefined => textTerm(text);

/** A normalized, space-free word or phrase as one term: a word when jieba reads it as one, else exact text. */
export function wordOrText(text: string): WordTerm | TextTerm | undefined {
  const words = placedWords(text);
  if (words.length === 1 && words[0]!.token === text) return { kind: 'word', token: text };
  return textTerm(text);
}

const keyOf = (t: Term): string => (t.kind === 'word' ? `w:${t.token}` : t.kind === 'text' ? `t:${t.text}` : `a:${t.of.map(keyOf).join('|')}`);

/** The text a term stands for in the query, as shown (its first alternative for a synonym group). */
export const termText = (t: Term): string => (t.kind === 'word' ? t.token : t.kind === 'text' ? t.text : termText(t.of[0]!));

/**
 * The newsroom's synonyms as a query sees them: for a normalized word or phrase, every member of its group
 * (itself included, first), or undefined. Applied at query time, so changing the list needs no reindex.
 */
export interface Synonyms {
  groupOf(normalized: string): readonly string[] | undefined;
  /** The longest member, in UTF-16 units: no longer string is looked up. */
  readonly longest: number;
}

/** Pieces of a chunk: plain text, or a member of a synonym group that is whole words where it stands. */
function synonymPieces(chunk: string, synonyms: Synonyms | undefined): { text: string; group?: readonly string[] }[] {
  if (!synonyms || synonyms.longest === 0) return [{ text: chunk }];
  const out: { text: string; group?: readonly string[] }[] = [];
  let plain = 0;
  let i = 0;
  while (i < chunk.length) {
    let found: { end: number; group: readonly string[] } | undefined;
    for (let end = Math.min(chunk.length, i + synonyms.longest); end > i; end--) {
      const group = synonyms.groupOf(chunk.slice(i, end));
      if (group && isWholeWords(chunk, i, end)) {
        found = { end, group };
        break;
      }
    }
    if (!found) {
      i++;
      continue;
    }
    if (i > plain) out.push({ text: chunk.slice(plain, i) });
    out.push({ text: chunk.slice(i, found.end), group: found.group });
    i = plain = found.end;
  }
  if (plain < chunk.length) out.push({ text: chunk.slice(plain) });
  return out;
}

function unique(terms: Term[]): Term[] {
  const seen = new Set<string>();
  return terms.filter((t) => !seen.has(keyOf(t)) && seen.add(keyOf(t)));
}

/**
 * A number with a decimal point (0.6%, 1.5万) as one phrase of its digit groups: normalizing makes the point a space,
 * and its groups as separate words matched every article holding a 0 and a 6 anywhere (8.6% found twenty stories).
 * The index holds the groups as adjacent words (and title grams), so the phrase finds the number as written.
 */
function joinDecimals(q: string, terms: Term[]): void {
  let from = 0;
  for (const [number] of q.normalize('NFKC').matchAll(/\d+(?:\.\d+)+/g)) {
    const groups = number.split('.');
    const wordAt = (i: number) => {
      const term = terms[i];
      return term?.kind === 'word' ? term.token : undefined;
    };
    const at = terms.findIndex((_, i) => i >= from && groups.every((g, k) => wordAt(i + k) === g));
    if (at < 0) continue;
    const phrase: TextTerm = {
      kind: 'text',
      text: groups.join(' '),
      phrase: { grams: groups, prefix: false },
      words: groups.map((token, k) => ({ token, gap: k === 0 ? 0 : 1 })),
    };
    terms.splice(at, groups.length, phrase);
    from = at + 1;
  }
}

/**
 * Turns what a reader typed into terms. Words come from jieba, as in the index. Adjacent single characters
 * (a name jieba does not know, such as 砚岚芯 → 砚/岚/芯) become one exact string, so only articles having
 * them together match. Any input is safe: terms are data, never query syntax.
 */
export function parseQuery(raw: string, synonyms?: Synonyms): ParsedQuery {
  const q = wellFormed(raw)
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim();
  if (length(q) > MAX_QUERY_CHARS) throw invalid(`q must be at most ${MAX_QUERY_CHARS} characters`, 'q', 'too_long');
  const normalized = normalizeText(q);
  const chunks = normalized.split(' ').filter((c) => c !== '');

  const terms: Term[] = [];
  const loneChars = new Set<string>();
  const pieces = chunks.flatMap((chunk) => synonymPieces(chunk, synonyms));
  for (const { text: chunk, group } of pieces) {
    if (group) {
      const of = group.map(wordOrText).filter((t): t is WordTerm | TextTerm => t !== undefined);
      if (of.length > 0) terms.push({ kind: 'any', of });
      continue;
    }
    const placed = placedWords(chunk);
    let run: Placed[] = [];
    const flush = () => {
      // Function characters at either end of a run (砚岚芯的, 回升了吗) are not part of the name it spells.
      const ends: Placed[] = [];
      while (run.length > 0 && STOP_CHARS.has(run[0]!.token)) ends.push(run.shift()!);
      while (run.length > 0 && STOP_CHARS.has(run[run.length - 1]!.token)) ends.push(run.pop()!);
      for (const p of ends) {
        terms.push({ kind: 'word', token: p.token });
        loneChars.add(p.token);
      }
      if (run.length === 1) {
        terms.push({ kind: 'word', token: run[0]!.token });
        loneChars.add(run[0]!.token);
      } else if (run.length > 1) {
        const term = textTerm(chunk.slice(run[0]!.start, run[run.length - 1]!.end));
        if (term) terms.push(term);
      }
      run = [];
    };
    for (const p of placed) {
      if (!isSingleChinese(p.token)) {
        flush();
        terms.push({ kind: 'word', token: p.token });
        continue;
      }
      const previous = run[run.length - 1];
      if (previous && previous.end !== p.start) flush();
      run.push(p);
    }
    flush();
  }

  joinDecimals(q, terms);
  let primary = unique(terms);
  const meaningful = primary.filter((t) => !(t.kind === 'word' && ((loneChars.has(t.token) && STOP_CHARS.has(t.token)) || QUESTION_WORDS.has(t.token))));
  if (meaningful.length > 0) primary = meaningful;

  const exact = unique(chunks.map(textTerm).filter((t): t is TextTerm => t !== undefined));
  const same = exact.length === primary.length && exact.every((t, i) => keyOf(t) === keyOf(primary[i]!));
  const fallback = primary.length > 0 && exact.length > 0 && !same ? exact : undefined;

  const marks = new Set<string>();
  for (const t of [...primary, ...(fallback ?? [])]) for (const one of t.kind === 'any' ? t.of : [t]) marks.add(termText(one));
  const highlights = [...marks].sort((a, b) => b.length - a.length);
  return { normalized, terms: primary, fallback, highlights };
}
