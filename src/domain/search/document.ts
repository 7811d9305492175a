import { normalizeText, segmenter } from '../nlp/segment.ts';
import type { Article } from '../articles/article.ts';
import { clampToken, gramTokens, MAX_TOKEN_CHARS } from './grams.ts';
import { gramText, SEARCH_FIELDS, wordText, type IndexableArticle, type SearchDocument, type SearchField, type SearchFieldName } from './search-index.ts';

/**
 * How much of a body is indexed. Words cover the first 50,000 characters; exact matching the first 13,000,
 * because PostgreSQL keeps tsvector positions only up to 16,383 and phrases need exact positions. Both stores
 * index the same document, so they find the same articles.
 */
export const INDEX_LIMITS = { bodyWordChars: 50_000, bodyGramChars: 13_000 };

/** Lone surrogates (possible in JSON input) become U+FFFD, so both stores and jieba see the same text. */
export function wellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}

/** jieba's search-mode words of normalized text, made safe as index terms: no ASCII punctuation or controls inside, bounded length. */
function normalizedWordTokens(normalized: string, raw = normalized === '' ? [] : segmenter().cutForSearch(normalized, false)): string[] {
  const out: string[] = [];
  for (const token of raw) {
    // Nearly every token is clean already (Chinese, or a Latin word): checked by its code units, no regex.
    if (isClean(token)) {
      if (token !== '') out.push(token.length <= MAX_TOKEN_CHARS ? token : clampToken(token));
      continue;
    }
    for (const part of token.split(/[^a-z0-9\u0080-\u{10ffff}]+/u)) if (part !== '') out.push(clampToken(part));
  }
  return out;
}

/** Whether a token holds only what an index term may: a–z, 0–9 and characters beyond ASCII. */
function isClean(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x80 && !((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** jieba's search-mode words, made safe as index terms: no ASCII punctuation or controls inside, bounded length. */
export function wordTokens(text: string): string[] {
  return normalizedWordTokens(normalizeText(wellFormed(text)));
}

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : text.slice(0, chars);
}

const isLoneChinese = (word: string) => word.length === 1 && word.charCodeAt(0) >= 0x80;

/**
 * The grams a body keeps: only where jieba found no word, i.e. a run of two or more characters it cut one by one
 * (a name it does not know: 砚岚芯 → 砚/岚/芯), widened by one character either side in case the context drew a
 * character of the name into a neighbouring word. Query-side, such runs are exactly what becomes exact text (see
 * parseQuery), while dictionary words are found through the word columns. Keeping every bigram of every body made
 * the index four times the text; this keeps it near the text's size.
 */
export function unknownRunGrams(normalized: string, searchTokens?: readonly string[], precise?: readonly string[]): string[] {
  const out: string[] = [];
  const words = precise ?? (searchTokens && preciseWords(normalized, searchTokens)) ?? segmenter().cut(normalized, false);
  // [from, to) of each widened run, merged where they touch (within one space-free chunk).
  const spans: [number, number][] = [];
  let at = 0;
  let runStart = -1;
  let runWords = 0;
  const isChinese = (i: number) => i >= 0 && i < normalized.length && normalized.charCodeAt(i) >= 0x80 && normalized[i] !== ' ';
  const close = (end: number) => {
    if (runWords >= 2) {
      const from = isChinese(runStart - 1) ? runStart - 1 : runStart;
      const to = isChinese(end) ? end + 1 : end;
      const last = spans[spans.length - 1];
      if (last && from <= last[1]) last[1] = to;
      else spans.push([from, to]);
    }
    runStart = -1;
    runWords = 0;
  };
  for (const w of words) {
    if (isLoneChinese(w)) {
      if (runStart < 0) runStart = at;
      runWords++;
    } else close(at);
    at += w.length;
  }
  close(at);
  // Runs follow one another with no separator: each ends with its last character alone, and a query's phrase has
  // a lone character only at its end (or before a Latin word, which no run holds), so no phrase runs from one run
  // into the next. A gap token between them (。) was a fifth of a body's gram positions and found nothing.
  for (const [from, to] of spans) out.push(...gramTokens(normalized.slice(from, to)));
  return out;
}

/**
 * jieba's precise words read off its search-mode output, which gives each word after the parts (of two or three
 * characters) it adds for a long one: 北京 大学 北京大学 → 北京大学. One segmentation instead of two per body.
 * Undefined when the words do not spell the text exactly (then the caller segments again).
 */
export function preciseWords(text: string, tokens: readonly string[]): string[] | undefined {
  const out: string[] = [];
  let cursor = 0;
  for (let i = 0; i < tokens.length; ) {
    let word = i;
    // A part is 2–3 characters; the word it belongs to follows the parts, starts here and contains them all.
    for (let j = i + 1; j < tokens.length; j++) {
      const before = tokens[j - 1]!;
      if (before.length < 2 || before.length > 3) break;
      const u = tokens[j]!;
      if (u.length > before.length && text.startsWith(u, cursor)) {
        let all = true;
        for (let k = i; k < j && all; k++) all = tokens[k]!.length < u.length && u.includes(tokens[k]!);
        if (all) word = j;
      }
    }
    const w = tokens[word]!;
    if (!text.startsWith(w, cursor)) return undefined;
    out.push(w);
    cursor += w.length;
    i = word + 1;
  }
  return cursor === text.length ? out : undefined;
}

/** A short field (title, tags, summary): its words and every gram, so any string in it is found exactly. */
function field(text: string): SearchField {
  const normalized = normalizeText(wellFormed(text));
  return { words: normalizedWordTokens(normalized), grams: gramTokens(normalized) };
}

/**
 * The indexed part of a body (`text`: its first INDEX_LIMITS.bodyWordChars, well-formed) normalized and cut by jieba's
 * search mode (`raw`), with its precise words read off that cut (`words`, undefined when they cannot be: see
 * preciseWords). Related reading's analysis of the same text takes its words from here (analyseArticle's CutBody).
 */
export interface SegmentedBody {
  text: string;
  normalized: string;
  raw: string[];
  words: string[] | undefined;
}

export function segmentBody(bodyText: string): SegmentedBody {
  const text = wellFormed(cut(bodyText, INDEX_LIMITS.bodyWordChars));
  const normalized = normalizeText(text);
  const raw = normalized === '' ? [] : segmenter().cutForSearch(normalized, false);
  return { text, normalized, raw, words: preciseWords(normalized, raw) };
}

/**
 * A body: its words, and grams only where jieba knows no word (unknownRunGrams), over its first characters. The
 * precise words read off the search-mode cut serve the grams when the body is no longer than the part that has grams.
 */
function bodyField(text: string, segmented?: SegmentedBody): SearchField {
  const body = segmented !== undefined && segmented.text === wellFormed(text) ? segmented : segmentBody(text);
  const gramText = cut(body.normalized, INDEX_LIMITS.bodyGramChars);
  return {
    words: normalizedWordTokens(body.normalized, body.raw),
    grams: unknownRunGrams(gramText, undefined, gramText === body.normalized ? body.words : undefined),
  };
}

export type SearchText = Pick<Article, 'title' | 'subtitle' | 'summary' | 'bodyText' | 'tags'>;

/** The exact texts a document's fields are made of. */
function fieldTexts(a: SearchText): Record<SearchFieldName, string> {
  return {
    title: a.title,
    tags: a.tags.join(' '),
    summary: [a.subtitle, a.summary].filter(Boolean).join(' '),
    body: cut(a.bodyText, INDEX_LIMITS.bodyWordChars),
  };
}

/**
 * A document's fields worked out ahead (segmenting a long body takes tens of milliseconds), e.g. in the body worker
 * before the transaction; searchDocument uses them only for the very texts they were made of.
 */
export interface PreparedSearchFields {
  texts: Record<SearchFieldName, string>;
  fields: Record<SearchFieldName, SearchField>;
  /** The head (searchHead) and what it was made of: the title and tags, one per line. */
  head: { of: string; head: string };
}

/** What a head is made of, as one string to compare (a tag never holds a line break: normalized names). */
const headSource = (a: Pick<SearchText, 'title' | 'tags'>) => [a.title, ...a.tags].join('\n');

/** `body`: the body segmented already (segmentBody), used if it is of this article's body. */
export function prepareSearchFields(a: SearchText, body?: SegmentedBody): PreparedSearchFields {
  const texts = fieldTexts(a);
  return {
    texts,
    fields: { title: field(texts.title), tags: field(texts.tags), summary: field(texts.summary), body: bodyField(texts.body, body) },
    head: { of: headSource(a), head: searchHead(a.title, a.tags) },
  };
}

/**
 * Prepared fields as they cross a thread: each token list one string (tokens never hold a space), so a batch is a few
 * hundred strings to copy rather than hundreds of thousands.
 */
export interface PackedSearchFields {
  texts: Record<SearchFieldName, string>;
  words: string[];
  grams: string[];
  head: { of: string; head: string };
}

export function packSearchFields(p: PreparedSearchFields): PackedSearchFields {
  return { texts: p.texts, words: SEARCH_FIELDS.map((f) => wordText(p.fields[f])), grams: SEARCH_FIELDS.map((f) => gramText(p.fields[f])), head: p.head };
}

const tokens = (joined: string) => (joined === '' ? [] : joined.split(' '));

/**
 * A field as it arrived from a worker, its tokens joined: SQLite writes the joined text as is, so the arrays (hundreds
 * of strings per body, made and collected on the event loop) are only split for a store that reads them.
 */
class JoinedField implements SearchField {
  #words?: string[];
  #grams?: string[];
  constructor(
    readonly wordText: string,
    readonly gramText: string,
  ) {}
  get words(): string[] {
    this.#words ??= tokens(this.wordText);
    return this.#words;
  }
  get grams(): string[] {
    this.#grams ??= tokens(this.gramText);
    return this.#grams;
  }
}

export function unpackSearchFields(p: PackedSearchFields): PreparedSearchFields {
  const fields = {} as Record<SearchFieldName, SearchField>;
  SEARCH_FIELDS.forEach((f, i) => {
    fields[f] = new JoinedField(p.words[i]!, p.grams[i]!);
  });
  return { texts: p.texts, fields, head: p.head };
}

/**
 * A document's head: its title on the first line, then each tag on a line of its own, normalized as queries are
 * (normalizeText turns any line break into a space). What ranking reads of a candidate (ranking.ts).
 */
export function searchHead(title: string, tags: readonly string[]): string {
  return [title, ...tags].map((s) => normalizeText(wellFormed(s))).join('\n');
}

/** Whether fields prepared earlier (ahead in a worker, or at the last indexing) are of this very text. */
export function preparedMatches(a: SearchText, prepared: PreparedSearchFields | undefined): prepared is PreparedSearchFields {
  if (prepared === undefined) return false;
  const texts = fieldTexts(a);
  return SEARCH_FIELDS.every((f) => prepared.texts[f] === texts[f]);
}

/** Fields made for exactly these texts: `prepared` when they were made of them, else made now. */
export function fieldsFor(a: SearchText, prepared: PreparedSearchFields | undefined): PreparedSearchFields {
  return preparedMatches(a, prepared) ? prepared : prepareSearchFields(a);
}

export function searchDocument(a: IndexableArticle, prepared?: PreparedSearchFields): SearchDocument {
  return {
    articleId: a.id,
    channelId: a.channelId,
    publishedAt: a.publishedAt ?? a.updatedAt,
    fields: fieldsFor(a, prepared).fields,
    head: prepared !== undefined && prepared.head.of === headSource(a) ? prepared.head.head : searchHead(a.title, a.tags),
  };
}
