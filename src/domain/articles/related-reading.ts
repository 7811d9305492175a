/** What related reading keeps per article and what its queries answer; related.ts decides, the store keeps. */

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
