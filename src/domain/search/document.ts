import { normalizeText, searchTokens } from '../nlp/segment.ts';
import type { Article } from '../articles/article.ts';
import { clampToken, gramTokens } from './grams.ts';

/** What the index keeps of an article: its words (jieba search mode) and its grams, per weighted field. */
export interface SearchField {
  words: string[];
  grams: string[];
}

export const SEARCH_FIELDS = ['title', 'tags', 'summary', 'body'] as const;
export type SearchFieldName = (typeof SEARCH_FIELDS)[number];

export interface SearchDocument {
  articleId: number;
  channelId: number;
  publishedAt: number;
  fields: Record<SearchFieldName, SearchField>;
}

/**
 * How much of a body is indexed. Words cover the first 50,000 characters; exact matching the first 13,000,
 * because PostgreSQL keeps tsvector positions only up to 16,383 and phrases need exact positions. Both stores
 * index the same document, so they find the same articles.
 */
export const INDEX_LIMITS = { bodyWordChars: 50_000, bodyGramChars: 13_000 };

export type IndexableArticle = Pick<Article, 'id' | 'title' | 'subtitle' | 'summary' | 'bodyText' | 'tags' | 'channelId' | 'publishedAt' | 'updatedAt'>;

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

export function searchDocument(a: IndexableArticle): SearchDocument {
  const body = cut(a.bodyText, INDEX_LIMITS.bodyWordChars);
  return {
    articleId: a.id,
    channelId: a.channelId,
    publishedAt: a.publishedAt ?? a.updatedAt,
    fields: {
      title: field(a.title),
      tags: field(a.tags.join(' ')),
      summary: field([a.subtitle, a.summary].filter(Boolean).join(' ')),
      body: field(body, INDEX_LIMITS.bodyGramChars),
    },
  };
}
