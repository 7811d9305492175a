import type { SensitiveWord, SensitiveWordWrite, WordAction } from '../moderation/word.ts';

export const COMMENT_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type CommentStatus = (typeof COMMENT_STATUSES)[number];

/** How a channel's comments appear: after review (先审后发, the default) or at once, reviewed afterwards. */
export type ModerationMode = 'pre' | 'post';

/** A reader's comment (留言) as stored. */
export interface Comment {
  id: number;
  articleId: number;
  nickname: string;
  /** Plain text, masked words already ＊; escaped when shown, links never clickable. */
  body: string;
  status: CommentStatus;
  readerId: string;
  addressHash: string;
  prefixHash: string;
  /** Review words found in it (why it waits). */
  flags: string[];
  likes: number;
  createdAt: number;
  decidedBy: number | null;
  decidedAt: number | null;
  /** The newsroom's answer (官方回复). */
  reply: string | null;
  replyBy: number | null;
  replyAt: number | null;
}

/** A comment in the moderation queue, with the title of its article. */
export interface QueuedComment extends Comment {
  articleTitle: string;
}

export interface NewComment {
  articleId: number;
  nickname: string;
  body: string;
  status: CommentStatus;
  readerId: string;
  addressHash: string;
  prefixHash: string;
  flags: string[];
  dedupeKey: string;
  createdAt: number;
}

export type BanKind = 'reader' | 'prefix';

export interface CommentBan {
  id: number;
  kind: BanKind;
  value: string;
  note: string;
  commentId: number | null;
  createdBy: number | null;
  createdAt: number;
}

export interface CommentQueueQuery {
  status: CommentStatus;
  articleId?: number;
  /** Ids after (queue, oldest first) or before (the rest, newest first) this one. */
  after?: number;
  limit: number;
}

/** Comments, likes, bans and channel settings: the domain's port (storage/repositories/comments.ts implements it). */
export interface CommentRepository {
  /** The article's status and channel; undefined when there is none (or it is in the 回收站). */
  articleOf(articleId: number): Promise<{ status: string; channelId: number; title: string } | undefined>;
  /**
   * Inside a transaction: articleOf, read so that an unpublish, a move to the 回收站 or to another channel waits for
   * this transaction to end, or this one for that change to commit and then sees it (PostgreSQL: `for share`; SQLite:
   * its write transaction holds the database).
   */
  holdArticle(articleId: number): Promise<{ status: string; channelId: number; title: string } | undefined>;
  /**
   * Inside a transaction: holds the channel, so that a change of the moderation mode it takes (its own or a parent's,
   * setModeration) or a move of it waits for this transaction to end, or this one for that change to commit.
   */
  holdChannel(channelId: number): Promise<void>;
  /** Inside a transaction: a ban of this reader or block being added (addBan) waits for it to end, or it for the ban to commit. */
  holdBans(readerId: string | null, prefixHash: string): Promise<void>;
  /** Inside a transaction: the comment, held until it ends (a decision on it waits, or this for the decision). */
  holdComment(id: number): Promise<Comment | undefined>;
  /** Inserts unless a comment with the same dedupe key exists: then returns that one's id and when it was made. */
  insert(comment: NewComment): Promise<{ id: number } | { existing: number; createdAt: number }>;
  /** The comment made with this dedupe key, if its key is still held. */
  findByDedupeKey(key: string): Promise<Comment | undefined>;
  /** Frees an old comment's dedupe key, so the same text can be posted again as a new comment. */
  releaseDedupeKey(id: number): Promise<void>;
  find(id: number): Promise<Comment | undefined>;
  /** Approved comments of an article, newest first, ids below `before`. */
  approved(articleId: number, limit: number, before?: number): Promise<Comment[]>;
  countApproved(articleId: number): Promise<number>;
  queue(query: CommentQueueQuery): Promise<QueuedComment[]>;
  countByStatus(): Promise<Record<CommentStatus, number>>;
  /** Compare-and-set: moves the comment to `to` only from one of `from`; whether it moved. */
  decide(id: number, from: readonly CommentStatus[], to: CommentStatus, actorId: number, at: number): Promise<boolean>;
  setReply(id: number, reply: string | null, actorId: number, at: number): Promise<boolean>;
  /** One like per reader: whether this one was new, and the count after it (in the same transaction). */
  like(commentId: number, readerId: string, at: number): Promise<{ added: boolean; likes: number }>;
  /** Which of the comments the reader has liked. */
  likedBy(readerId: string, commentIds: readonly number[]): Promise<number[]>;
  isBanned(readerId: string | null, prefixHash: string): Promise<boolean>;
  /** Waits for the comments of this reader or block being posted (holdBans), and holds new ones until it commits. */
  addBan(ban: Omit<CommentBan, 'id'>): Promise<CommentBan | undefined>;
  removeBan(id: number): Promise<CommentBan | undefined>;
  bans(): Promise<CommentBan[]>;
  /** Every channel with a setting (the others are pre-moderated). */
  settings(): Promise<{ channelId: number; moderation: ModerationMode }[]>;
  /** Waits for the comments being posted in the channel or below it (holdChannel), and holds new ones until it commits. */
  setModeration(channelId: number, moderation: ModerationMode, actorId: number, at: number): Promise<void>;
}

/** The sensitive-word list's port. */
export interface ModerationWordRepository {
  all(): Promise<SensitiveWord[]>;
  /** A cheap fingerprint of the list (count, newest id, sum of change times): changes whenever a word is added, changed or deleted. */
  version(): Promise<string>;
  find(id: number): Promise<SensitiveWord | undefined>;
  count(): Promise<number>;
  /** Adds the words; a key already in the list gets the new action (an import updates). Returns how many were new. */
  upsert(words: readonly SensitiveWordWrite[]): Promise<{ added: number; updated: number }>;
  update(id: number, word: SensitiveWordWrite): Promise<'ok' | 'gone' | 'taken'>;
  remove(id: number): Promise<SensitiveWord | undefined>;
}

export type { WordAction };
