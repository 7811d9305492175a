/** What related reading keeps per article and what its queries answer; related.ts decides, the store keeps. */

import type { ArticleTitle } from './article.ts';

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
