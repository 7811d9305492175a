import { length } from '../text.ts';
import { IdfTable } from './idf.ts';
import { jiebaDictionary, jiebaIdf } from './libraries.ts';
import { normalizeText, segmenter, userDictionaryLines } from './segment.ts';

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

/**
 * The part of speech jieba's tagger gives a word of two characters or more, without asking jieba: the tag of its first
 * entry in jieba's dictionary or ours (a later entry of the same word changes only its frequency), else for a word jieba
 * does not know jieba's own guess when the word has Latin letters or digits (all digits: m; else eng). Undefined for an
 * unknown word of other characters (jieba guesses those with a model of its own); precise mode with HMM off never cuts
 * one longer than a character. Built on first use: ~20 MB, so only an import's workers, which tag hundreds of
 * thousands of bodies, use it (tagging through jieba makes an object per word, most of a body's analysis).
 */
export function dictionaryTag(word: string): string | undefined {
  dictionary ??= loadDictionaryTags();
  const tag = dictionary.get(word);
  if (tag !== undefined) return tag;
  let latin = 0;
  let digits = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0x80) return undefined;
    if (c >= 0x30 && c <= 0x39) digits++;
    else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) latin++;
  }
  if (latin + digits === 0) return 'x';
  return latin === 0 ? 'm' : 'eng';
}

let dictionary: Map<string, string> | undefined;

function loadDictionaryTags(): Map<string, string> {
  const tags = new Map<string, string>();
  // Tags are a few dozen strings: one copy of each, not one per word.
  const interned = new Map<string, string>();
  // A line is `word [frequency [tag]]`, separated by spaces (both files; a tab or a run of spaces too, read as jieba does).
  const add = (line: string) => {
    const parts = line.trim().split(/\s+/);
    const word = parts[0]!;
    // Words of one UTF-16 unit are never content words; an astral character (two units) is looked up in vain.
    if (word.length < 2 || tags.has(word)) return;
    const tag = parts[2] ?? '';
    let one = interned.get(tag);
    if (one === undefined) interned.set(tag, (one = tag));
    tags.set(word, one);
  };
  const text = jiebaDictionary().toString('utf8');
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    add(text.slice(at, end));
    at = end + 1;
  }
  for (const line of userDictionaryLines()) add(line);
  return tags;
}

/**
 * A field's content words with one of `tags` (all of them without `tags`) and how often each occurs, from words jieba
 * cut already (precise mode, HMM off, as taggedWords cuts): what termWeights would count from taggedWords(text), or
 * undefined when a word's tag cannot be told from the dictionary (then the field is tagged by jieba). Each distinct
 * word is looked up once.
 */
export function contentWordCounts(words: readonly string[], tags: ReadonlySet<string> | undefined): Map<string, number> | undefined {
  const counts = new Map<string, number>();
  for (const raw of words) {
    const word = raw.trim();
    if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  for (const word of counts.keys()) {
    if (!isContentWord(word)) {
      counts.delete(word);
      continue;
    }
    if (!tags) continue;
    const tag = dictionaryTag(word);
    if (tag === undefined) return undefined;
    if (!tags.has(tag)) counts.delete(word);
  }
  return counts;
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
  /** The normalized text's words as jieba cut them (precise mode, HMM off), when they were cut already. */
  words?: readonly string[];
}

export type TermVector = Map<string, number>;

/** TF-IDF over several fields: sublinear term frequency (boosted per field) times jieba's IDF. */
export function termWeights(fields: readonly WeightedField[]): TermVector {
  const tf = new Map<string, number>();
  for (const field of fields) {
    const counted = field.words && contentWordCounts(field.words, field.tags);
    if (counted) {
      // Boosts are small integers: a word's count times its boost is the sum of its occurrences, exactly.
      for (const [word, n] of counted) tf.set(word, (tf.get(word) ?? 0) + n * field.boost);
      continue;
    }
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
