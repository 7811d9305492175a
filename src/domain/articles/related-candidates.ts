import type { RelatedRepository } from '../store.ts';
import type { Candidate } from './related-reading.ts';

/*
 * The read side of related reading, apart from the analysis (jieba, TF-IDF): the reader thread that finds candidates
 * on SQLite (storage/related-worker.ts) loads this and not the segmenter.
 */

/**
 * Postings read per publish, shared out among its terms by their weight in the query (each term between the floor and
 * the ceiling), and how many of the best by them are scored exactly (see RelatedRepository.similarPublished).
 */
export const POSTINGS = { budget: 40_000, floor: 500, ceiling: 8_000, rescored: 400 };

/** How deep a term's postings are read for a query: its share of the budget by its weight among the query's (`total`). */
export function postingsDepth(weight: number, total: number): number {
  return Math.min(POSTINGS.ceiling, Math.max(POSTINGS.floor, Math.round((POSTINGS.budget * Math.max(0, weight)) / (total || 1))));
}

/** Our own archive's statistics: how many articles, and how many of them have each term among their heaviest. */
export interface Corpus {
  documents: number;
  df: Map<string, number>;
}

/**
 * jieba's IDF comes from a general corpus; a newsroom's own city or beat words (江城, 滨海) are everywhere in its
 * archive yet rare there. Terms among the heaviest of more than 5 % of our articles are damped, once the archive is
 * big enough to tell a beat word from a subject.
 */
export function archiveDamping(term: string, corpus: Corpus | undefined): number {
  if (!corpus || corpus.documents < 20) return 1;
  const share = (corpus.df.get(term) ?? 0) / corpus.documents;
  return share <= 0.05 ? 1 : Math.max(0.1, Math.log(1 / share) / Math.log(20));
}

/**
 * The published articles most like an article, by its stored terms: damped on both sides of the dot product with the
 * archive as it is now, so stored vectors never go stale. Reads only; the outbox runs it outside the write transaction
 * (RelatedRepository.candidatesApart) and the transaction checks what it found is still published.
 */
export async function findCandidates(
  related: Pick<RelatedRepository, 'documentFrequencies' | 'similarPublished'>,
  articleId: number,
  terms: readonly [string, number][],
  limit: number,
): Promise<Candidate[]> {
  const corpus = await related.documentFrequencies(terms.map(([t]) => t));
  const query = terms.map(([t, w]): [string, number] => [t, w * archiveDamping(t, corpus) ** 2]);
  return related.similarPublished(articleId, query, limit);
}
