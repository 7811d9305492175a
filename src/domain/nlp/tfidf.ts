import { length } from '../text.ts';
import { IdfTable } from './idf.ts';
import { jiebaIdf } from './libraries.ts';
import { normalizeText, segmenter } from './segment.ts';

/** A word as jieba's tagger gives it, with its part of speech (n, ns, v, m, …). */
export interface TaggedWord {
  word: string;
  tag: string;
}

/** Parts of speech that name things: nouns, names of people, places and organizations, verbal nouns, Latin words. */
export const NOUN_TAGS: ReadonlySet<string> = new Set(['n', 'nr', 'nrt', 'nrfg', 'ns', 'nt', 'nz', 'vn', 'eng']);

/** Nouns every news story has; they say nothing about its subject. */
const NEWS_STOPWORDS: ReadonlySet<string> = new Set([
  '本报',
  '本报讯',
  '记者',
  '本报记者',
  '通讯员',
  '编辑',
  '责编',
  '来源',
  '消息',
  '新闻',
  '报道',
  '日电',
  '情况',
  '方面',
  '工作',
  '问题',
  '时间',
  '有关',
  '相关',
  '目前',
  '今年',
  '去年',
  '明年',
  '全市',
  '全省',
  '全国',
  '近日',
  '日前',
]);

let table: IdfTable | undefined;
const known = new Map<string, number>();
const KNOWN_MAX = 200_000;

/** jieba's keyword stop words (its TF-IDF extractor's default list), compared lower-cased. */
const JIEBA_STOP_WORDS: ReadonlySet<string> = new Set(
  'the of is and to in that we for an are by be as on with can if from which you it this then at have all not one has or'.split(' '),
);
/** jieba's extractor drops keywords shorter than this, in characters. */
const MIN_KEYWORD_CHARS = 2;

/**
 * Inverse document frequency of a word from jieba's corpus statistics (its bundled idf.txt, in a compact table:
 * idf.ts), as jieba's TF-IDF extractor weighs a text of that one word: the word must stay whole when jieba cuts it
 * (precise mode, HMM off), be two characters or more and not one of its stop words, or it weighs 0; a word the table
 * lacks gets the median. The same weights as the extractor for all 370,639 words of jieba's dictionary and IDF table
 * (test/unit/idf.test.ts), in 7 MB instead of its 32 MB: a server that publishes and holds 10,000 live streams peaks
 * under 300 MB with it (bench/sse.ts).
 */
export function idfOf(word: string): number {
  const cached = known.get(word);
  if (cached !== undefined) return cached;
  table ??= new IdfTable(jiebaIdf());
  const pieces = segmenter().cut(word, false);
  const keyword = pieces.length === 1 && pieces[0] === word && length(word) >= MIN_KEYWORD_CHARS && !JIEBA_STOP_WORDS.has(word.toLowerCase());
  const weight = keyword ? (table.get(word) ?? table.median) : 0;
  if (known.size >= KNOWN_MAX) known.clear();
  known.set(word, weight);
  return weight;
}

/** Words of normalized text with their parts of speech (precise mode, HMM off, as `words()` cuts). */
export function taggedWords(text: string, { normalized: done = false } = {}): TaggedWord[] {
  const normalized = done ? text : normalizeText(text);
  if (normalized === '') return [];
  const out: TaggedWord[] = [];
  for (const { word, tag } of segmenter().tag(normalized, false)) {
    const w = word.trim();
    if (w !== '') out.push({ word: w, tag });
  }
  return out;
}

const NUMERIC = /^[\d.,%零〇一二两三四五六七八九十百千万亿几]+$/u;

/** A word that can carry meaning on its own: two characters or more, not a number, not news boilerplate. */
export function isContentWord(word: string): boolean {
  return length(word) >= 2 && !NUMERIC.test(word) && !NEWS_STOPWORDS.has(word);
}

export interface WeightedField {
  text: string;
  /** How much one occurrence here counts (a title word counts more than a body word). */
  boost: number;
  /** Only words with these parts of speech count; all content words when absent. */
  tags?: ReadonlySet<string>;
  /** The text went through normalizeText already (it is the slow part: OpenCC). */
  normalized?: boolean;
}

export type TermVector = Map<string, number>;

/** TF-IDF over several fields: sublinear term frequency (boosted per field) times jieba's IDF. */
export function termWeights(fields: readonly WeightedField[]): TermVector {
  const tf = new Map<string, number>();
  for (const field of fields) {
    for (const { word, tag } of taggedWords(field.text, { normalized: field.normalized })) {
      if (field.tags && !field.tags.has(tag)) continue;
      if (!isContentWord(word)) continue;
      tf.set(word, (tf.get(word) ?? 0) + field.boost);
    }
  }
  const weights: TermVector = new Map();
  for (const [word, f] of tf) weights.set(word, Math.log1p(f) * idfOf(word));
  return weights;
}

/** The k heaviest terms, heaviest first; ties by the term so results never depend on insertion order. */
export function topTerms(vector: TermVector, k: number): [string, number][] {
  return [...vector].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, k);
}

/** Scales a vector to unit length, so a dot product of two is their cosine similarity. */
export function unitVector(terms: readonly [string, number][]): TermVector {
  const norm = Math.sqrt(terms.reduce((s, [, w]) => s + w * w, 0));
  return new Map(norm === 0 ? [] : terms.map(([t, w]) => [t, w / norm]));
}

export function cosine(a: TermVector, b: TermVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [t, w] of small) {
    const other = large.get(t);
    if (other !== undefined) dot += w * other;
  }
  for (const w of a.values()) na += w * w;
  for (const w of b.values()) nb += w * w;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
