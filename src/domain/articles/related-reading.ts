/** What related reading keeps per article and what its queries answer; related.ts decides, the store keeps. */

import type { ArticleTitle } from './article.ts';
import type { ArticleStatus } from './status.ts';

export interface RelatedDocument {
  sourceHash: string;
  /** The article's heaviest terms as a unit vector. */
  terms: [string, number][];
  signature: string;
  shingles: number;
  buckets: string[];
}

export interface Candidate {
  articleId: number;
  /** Dot product of the two unit term vectors: their cosine similarity over the kept terms. */
  similarity: number;
  /** How many of the kept terms the two articles have in common. */
  sharedTerms: number;
  channelId: number;
  publishedAt: number;
}

export interface ScoredItem {
  id: number;
  score: number;
}

/** An article's computed list, and its offers into lists of articles outside its batch (the batch's own are merged in). */
export interface ComputedList {
  items: ScoredItem[];
  offers: ScoredItem[];
}

/** What a batch's scoring knows of each of its articles. */
export interface ScoredArticle {
  status: ArticleStatus;
  channelId: number;
  publishedAt: number | null;
}

/**
 * Scores an import's batches one after another, keeping what it learnt of the archive from batch to batch: on the
 * thread that asks (related-bulk.ts LocalBatchScoring), or in a thread of its own (RelatedRepository.scoringApart).
 */
export interface BatchScoring {
  /** The lists of a batch's published articles by provisional id (see related-bulk.ts); rejects when it failed. */
  score(articles: readonly ScoredArticle[], docs: readonly RelatedDocument[]): Promise<ReadonlyMap<number, ComputedList>>;
  /** The last batch scored was written: `ids[i]` the id its article i got, undefined when it was not written. */
  written(ids: readonly (number | undefined)[]): void;
  close(): Promise<void>;
}

export type PickMode = 'pinned' | 'excluded';

export interface RelatedPick {
  relatedId: number;
  mode: PickMode;
}

/** One line of an article's 相关阅读 as readers see it. */
export interface RelatedItem {
  article: ArticleTitle;
  pinned: boolean;
}

/** A list to be made again (see RelatedRepository.staleLists) and the stamp it was read at. */
export interface StaleList {
  articleId: number;
  stamp: number;
}
