/** A reader's vote as written: hashes of the address and its prefix, never the address itself. */
export interface Vote {
  articleId: number;
  readerId: string;
  mood: string;
  /** A burst vote awaiting review: kept out of the public counts. */
  held: boolean;
  addressHash: string;
  prefixHash: string;
  at: number;
}

export interface VoteOutcome {
  written: boolean;
  /** The article's public counts by mood, read after the vote in the same transaction. */
  counts: Map<string, number>;
}

/** An article's place in a ranking: its votes or reads inside the window. */
export interface Ranked {
  articleId: number;
  count: number;
}

/** Held votes of one article from one (hashed) address prefix, awaiting an editor's review. */
export interface HeldGroup {
  articleId: number;
  prefixHash: string;
  votes: number;
  first: number;
  last: number;
}

/** One difference between the stored counts and the votes they should count. */
export interface Drift {
  table: 'reaction_counts' | 'reaction_buckets';
  articleId: number;
  mood: string;
  hour?: number;
  stored: number;
  actual: number;
}
