/** A reader poll (云投): a question with 2–10 options, in an article, on a topic page, or alone at /p/<id>. */
export type PollChoice = 'single' | 'multiple';
/** When readers see the counts: at once, or once they have voted (a closed poll shows them to everyone). */
export type PollResults = 'always' | 'after_vote';

export interface Poll {
  id: number;
  question: string;
  choice: PollChoice;
  results: PollResults;
  options: string[];
  /** Votes at or after this time are refused; null: open until closed by hand. */
  closesAt: number | null;
  /** When an editor closed it by hand. */
  closedAt: number | null;
  articleId: number | null;
  topicId: number | null;
  createdBy: number | null;
  createdAt: number;
  updatedBy: number | null;
  updatedAt: number;
}

/** The public counts: votes per option (in option order) and readers who voted; held ballots are left out. */
export interface PollCounts {
  votes: number[];
  voters: number;
}

export interface PollWrite {
  question: string;
  choice: PollChoice;
  results: PollResults;
  options: string[];
  closesAt: number | null;
  articleId: number | null;
  topicId: number | null;
}

/** A reader's ballot as written: hashes of the address and its prefix, never the address itself. */
export interface Ballot {
  pollId: number;
  readerId: string;
  /** Option positions (0-based), ascending, no repeats. */
  choices: number[];
  held: boolean;
  addressHash: string;
  prefixHash: string;
  at: number;
}

export type BallotOutcome =
  | { kind: 'counted' | 'held'; counts: PollCounts }
  /** The reader had voted already: their earlier choices. */
  | { kind: 'repeat'; choices: number[]; counts: PollCounts }
  | { kind: 'closed' }
  /** An edit committed after the ballot was checked: its choices no longer fit the poll's options or kind of choice. */
  | { kind: 'unfit'; options: number; choice: PollChoice }
  | { kind: 'missing' };

/** Held ballots of one poll from one (hashed) address prefix, awaiting review. */
export interface HeldBallots {
  pollId: number;
  question: string;
  prefixHash: string;
  ballots: number;
  first: number;
  last: number;
}

/** Public votes per option cast in one hour (its start). */
export interface PollHour {
  hour: number;
  votes: number[];
  voters: number;
}

/** One ballot for the CSV export. */
export interface BallotRow {
  at: number;
  choices: number[];
  held: boolean;
  prefixHash: string;
}

export interface PollListing {
  poll: Poll;
  counts: PollCounts;
  held: number;
}
