/** Live coverage (图文直播): the records and the repository port (storage/repositories/live.ts implements it). */

export type LiveStatus = 'live' | 'ended';

export interface LiveStream {
  articleId: number;
  status: LiveStatus;
  /** The live's change sequence so far: the cursor of a reader who has seen everything. */
  seq: number;
  /** The number of the last opening or closing. */
  statusSeq: number;
  openedAt: number;
  openedBy: number | null;
  closedAt: number | null;
  closedBy: number | null;
}

/** A library image as an entry shows it: a copy of its address, size and description at the time it was added. */
export interface LiveImage {
  mediaId: number;
  src: string;
  width: number;
  height: number;
  alt: string;
  caption: string;
}

export interface LiveEntry {
  id: number;
  articleId: number;
  /** The number of the entry's last change (post, edit, pin, delete). */
  seq: number;
  authorId: number | null;
  /** Display name of the author, for the newsroom and the reader's byline. */
  authorName: string;
  body: string;
  quote: { text: string; source: string } | null;
  images: LiveImage[];
  pinned: boolean;
  createdAt: number;
  updatedAt: number;
  /** A deleted entry is a tombstone: it keeps its id and seq, so readers resuming after a cursor learn it went. */
  deletedAt: number | null;
}

export interface LiveEntryWrite {
  body: string;
  quote: { text: string; source: string } | null;
  images: LiveImage[];
  pinned: boolean;
}

/** What a client's Idempotency-Key stands for: the entry its POST made, and the request it came with. */
export interface LiveEntryKey {
  articleId: number;
  /** A hash of the article and the entry as sent: a retry sends the same. */
  fingerprint: string;
  entryId: number;
}

export interface LiveRepository {
  find(articleId: number): Promise<LiveStream | undefined>;
  /** Makes the article a live, or changes its status; takes the next number of its sequence. Returns the stream. */
  setStatus(articleId: number, status: LiveStatus, by: number, at: number): Promise<LiveStream>;
  /**
   * The next number of the live's sequence, for a change in the enclosing transaction; holds the live's row until it
   * commits, so numbers commit in order. Undefined when the article is not a live.
   */
  nextSeq(articleId: number): Promise<number | undefined>;
  insertEntry(articleId: number, seq: number, authorId: number, entry: LiveEntryWrite, at: number): Promise<number>;
  findEntry(articleId: number, entryId: number): Promise<LiveEntry | undefined>;
  updateEntry(entryId: number, seq: number, entry: LiveEntryWrite, by: number, at: number): Promise<void>;
  /** Ids of the live's pinned entries that are not deleted. */
  pinnedIds(articleId: number): Promise<number[]>;
  /** Takes an entry off the top (a newer pin replaced it), as a change numbered `seq`. */
  unpin(entryId: number, seq: number, at: number): Promise<void>;
  /** Empties the entry and marks it deleted (a tombstone). */
  deleteEntry(entryId: number, seq: number, by: number, at: number): Promise<void>;
  /** The entries readers see, pinned first, then newest first; at most `limit`. */
  visibleEntries(articleId: number, limit: number): Promise<LiveEntry[]>;
  /** Entries (tombstones included) changed after `afterSeq`, in sequence order, at most `limit`. */
  changesAfter(articleId: number, afterSeq: number, limit: number): Promise<LiveEntry[]>;
  countEntries(articleId: number): Promise<number>;
  /** Makes the entry's images exactly these library ids; false when one was deleted meanwhile (the foreign key refused). */
  setEntryMedia(entryId: number, articleId: number, mediaIds: readonly number[]): Promise<boolean>;
  /** The entry an account's Idempotency-Key made, if any. */
  findKey(accountId: number, key: string): Promise<LiveEntryKey | undefined>;
  /** Records the key beside the entry it made; false when the account used the key already (another transaction committed it). */
  saveKey(accountId: number, key: string, k: LiveEntryKey, at: number): Promise<boolean>;
}
