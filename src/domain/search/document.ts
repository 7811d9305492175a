import { normalizeText, searchTokens } from '../nlp/segment.ts';
import type { Article } from '../articles/article.ts';
import { clampToken, gramTokens } from './grams.ts';
import { SEARCH_FIELDS, type IndexableArticle, type SearchDocument, type SearchField, type SearchFieldName } from './search-index.ts';

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

/** jieba's search-mode words, made safe as index terms: no ASCII punctuation or controls inside, bounded length. */
export function wordTokens(text: string): string[] {
  const out: string[] = [];
  for (const token of searchTokens(wellFormed(text))) {
    for (const part of token.split(/[^a-z0-9\u0080-\u{10ffff}]+/u)) if (part !== '') out.push(clampToken(part));
  }
  return out;
}

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : text.slice(0, chars);
}

function field(text: string, gramChars = Infinity): SearchField {
  return { words: wordTokens(text), grams: gramTokens(normalizeText(wellFormed(cut(text, gramChars)))) };
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
}

export function prepareSearchFields(a: SearchText): PreparedSearchFields {
  const texts = fieldTexts(a);
  return {
    texts,
    fields: { title: field(texts.title), tags: field(texts.tags), summary: field(texts.summary), body: field(texts.body, INDEX_LIMITS.bodyGramChars) },
  };
}

export function searchDocument(a: IndexableArticle, prepared?: PreparedSearchFields): SearchDocument {
  const texts = fieldTexts(a);
  const fits = prepared !== undefined && SEARCH_FIELDS.every((f) => prepared.texts[f] === texts[f]);
  return {
    articleId: a.id,
    channelId: a.channelId,
    publishedAt: a.publishedAt ?? a.updatedAt,
    fields: fits ? prepared.fields : prepareSearchFields(a).fields,
  };
}
