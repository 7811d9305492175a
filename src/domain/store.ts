import type { Account, AccountChanges, NewAccount, NewToken, SessionRecord, TokenListing, TokenRecord } from './accounts/account.ts';
import type {
  ArchiveQuery,
  ArchiveRow,
  Article,
  ArticlePatch,
  ArticleTitle,
  FeedPosition,
  FeedQuery,
  NewArticle,
  NewRevision,
  NewsArticle,
  NewsroomQuery,
  PurgedArticle,
  ReturnNote,
  Revision,
  SitemapArticle,
  SitemapRangeStats,
  TrashEntry,
  TrashQuery,
} from './articles/article.ts';
import type { BatchScoring, Candidate, RelatedDocument, RelatedItem, RelatedPick, ScoredItem, StaleList } from './articles/related-reading.ts';
import type { ArticleStatus } from './articles/status.ts';
import type { AuditEvent, AuditQuery, NewAuditEvent } from './audit/audit-event.ts';
import type { Channel, ChannelChanges, NewChannel } from './channels/channel.ts';
import type { Media, MediaDescription, MediaListing, MediaQuery, MediaTopicUse, MediaUse } from './media/media.ts';
import type { ImportRepository } from './imports/imported.ts';
import type { ImportRunRepository } from './imports/runs.ts';
import type { Ballot, BallotOutcome, BallotRow, HeldBallots, Poll, PollCounts, PollHour, PollListing, PollWrite } from './polls/poll.ts';
import type { CommentRepository, ModerationWordRepository } from './comments/comment.ts';
import type { LiveRepository } from './live/live.ts';
import type { IdempotencyRepository } from './idempotency.ts';
import type { Drift, HeldGroup, Ranked, Vote, VoteOutcome } from './reactions/reaction.ts';
import type { SearchIndex } from './search/search-index.ts';
import type { SynonymGroup, SynonymWrite } from './search/synonym.ts';
import type { SlotItem } from './slots/slot.ts';
import type { NewSource, Source } from './sources/source.ts';
import type { NewTopic, Topic, TopicChanges } from './topics/topic.ts';

/**
 * The port the domain writes against: the repositories it needs, over one connection or one transaction.
 * storage/store.ts implements it with Kysely on SQLite and PostgreSQL; nothing here knows SQL.
 */
export interface Store {
  readonly articles: ArticleRepository;
  readonly channels: ChannelRepository;
  readonly topics: TopicRepository;
  readonly history: HistoryRepository;
  readonly accounts: AccountRepository;
  readonly reactions: ReactionRepository;
  readonly related: RelatedRepository;
  readonly slots: SlotRepository;
  readonly media: MediaRepository;
  readonly sources: SourceRepository;
  readonly presence: PresenceRepository;
  /** Live coverage (图文直播): lives and their entries. */
  readonly live: LiveRepository;
  /** Imported archives: which article each source item became, old addresses, batch writes. */
  readonly imports: ImportRepository;
  /** Imports started from the newsroom (the 导入 page): one running at a time, and their history. */
  readonly importRuns: ImportRunRepository;
  readonly search: SearchIndex;
  /** The same index of the articles that are not published (drafts, submitted, scheduled, unpublished), for the archive. */
  readonly draftSearch: SearchIndex;
  readonly synonyms: SynonymRepository;
  /** Reader polls (云投), their ballots and counts. */
  readonly polls: PollRepository;
  /** Work a change sets off after its commit, written in its transaction (see jobs/outbox.ts). */
  readonly outbox: OutboxRepository;
  /** Readers' comments, their likes and bans, and channels' moderation settings. */
  readonly comments: CommentRepository;
  /** The sensitive-word list. */
  readonly moderationWords: ModerationWordRepository;
  /** Clients' Idempotency-Keys on creating requests and the answers they got. */
  readonly idempotency: IdempotencyRepository;
  /** Runs fn in one transaction: all its writes land together or not at all. Inside one, fn joins it. */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction, before its reads: waits until every other transaction that serialized on the same subject
   * (`id` narrows it, e.g. one topic) has finished, so a check-then-write (is the slug free? would this move make a
   * cycle? which rows does this list replace?) sees what they wrote. PostgreSQL takes a transaction-scoped advisory
   * lock; SQLite's writers already take turns.
   */
  serialize(subject: string, id?: number): Promise<void>;
  /** Runs `run` after the enclosing transaction commits; never if it rolls back; at once outside a transaction. */
  afterCommit(run: () => void): void;
  /**
   * The write transactions of one run of a long job (an import, a related-reading backlog), each as transaction().
   * On SQLite's file they are paced: a job taking the write lock again within a turn of the event loop, transaction
   * after transaction, leaves no gap another process's busy handler wakes up in, and that process's publish would wait
   * for the whole job (storage/lock-pacer.ts); paced, it waits about a second at most. PostgreSQL has no such lock.
   */
  jobTransactions(): JobTransactions;
}

/** See Store.jobTransactions. */
export interface JobTransactions {
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
}

/** Reader polls: the polls, their options and counts, and the readers' ballots. */
export interface PollRepository {
  find(id: number): Promise<Poll | undefined>;
  /** Newest first, ids below `before`; with each poll's public counts and held ballots. */
  list(limit: number, before?: number): Promise<PollListing[]>;
  /**
   * The ids of the polls a topic page asks for, newest first: the `limit` newest that readers may see (of no article or
   * of a published one), and those of unpublished articles newer than the last of them, which publishing would show.
   */
  ofTopic(topicId: number, limit: number): Promise<number[]>;
  /** Of these ids, the polls that exist, in the order of `ids` (each once). */
  findMany(ids: readonly number[]): Promise<Poll[]>;
  insert(poll: PollWrite, actorId: number, at: number): Promise<number>;
  /** Replaces the poll's fields and option labels (the options' number stays: see the domain). */
  update(id: number, poll: PollWrite, actorId: number, at: number): Promise<void>;
  /** Closes it at `at` unless closed already; whether this call closed it. */
  close(id: number, actorId: number, at: number): Promise<boolean>;
  /** Ballots cast (held ones included). */
  ballotCount(id: number): Promise<number>;
  counts(id: number): Promise<PollCounts>;
  /** The reader's choices, undefined when they have not voted. */
  choicesOf(id: number, readerId: string): Promise<number[] | undefined>;
  /**
   * Writes a ballot if the poll exists and is open at `ballot.at` (checked in the write's own transaction, so a close
   * racing with it is exact) and the reader has not voted; counts it unless held.
   */
  vote(ballot: Ballot): Promise<BallotOutcome>;
  /** Public votes by the hour they were cast. */
  hours(id: number): Promise<PollHour[]>;
  /** Every ballot, oldest first (the CSV export); `after` is the last `at`/reader read, for paging. */
  ballots(id: number, limit: number, after?: { at: number; readerId: string }): Promise<(BallotRow & { readerId: string })[]>;
  heldGroups(limit: number): Promise<HeldBallots[]>;
  /** Counts a poll's held ballots in (release) or deletes them; how many were decided. */
  decideHeld(id: number, release: boolean, prefixHash?: string): Promise<number>;
}

/** The newsroom's search synonym groups; each normalized word (key) in one group at most. */
export interface SynonymRepository {
  /** Every group, oldest first. */
  all(): Promise<SynonymGroup[]>;
  find(id: number): Promise<SynonymGroup | undefined>;
  count(): Promise<number>;
  /** A new group, or the keys other groups have (then nothing is kept: the caller's transaction rolls back). */
  insert(group: SynonymWrite): Promise<{ id: number } | { taken: string[] }>;
  /** The group's words replaced; `gone` when there is no such group. */
  update(id: number, group: SynonymWrite): Promise<'ok' | 'gone' | { taken: string[] }>;
  /** Whether there was such a group. */
  remove(id: number): Promise<boolean>;
}

/** A claimed row of the outbox: what to do (`topic`) about what (`subjectId`), and how often it was tried. */
export interface OutboxItem {
  id: number;
  topic: string;
  subjectId: number;
  attempts: number;
}

export interface OutboxBacklog {
  /** Rows waiting, due or not. */
  count: number;
  /** Rows that failed at least once. */
  failing: number;
  /** When the oldest waiting row was written. */
  oldestAt: number | null;
}

export interface OutboxRepository {
  /**
   * Records work to do about `subjectId`; part of the enclosing transaction, so it exists exactly if the change does.
   * Due at once, or from `dueAt` (work that waits for its subject to be quiet: a draft's index entry).
   */
  add(topic: string, subjectId: number, at: number, dueAt?: number): Promise<void>;
  /**
   * Claims up to `limit` rows due at `now` (or by `dueBy`, later: a drain that does the waiting work too) for `owner`
   * until `now + leaseMs`, oldest first, rows of the `last` topics after all others: rows another process holds are
   * skipped, never waited for, and a lease that ran out (its process died) can be claimed again. New work due further
   * ahead than OUTBOX_LONGEST_WAIT was written by a clock ahead of `now`'s and is due at once.
   */
  claim(owner: string, now: number, leaseMs: number, limit: number, last?: readonly string[], dueBy?: number): Promise<OutboxItem[]>;
  /** Deletes rows whose work is done. */
  complete(ids: readonly number[]): Promise<void>;
  /**
   * Before a piece of work runs: deletes the other rows of the same topic and subject that no process holds (due or
   * waiting for a retry), other than `claimed`, and returns how many. Each was committed before this call, so the
   * work, which reads its subject after it, serves them too: a create then a publish seconds later, or a burst of
   * saves, is one piece of related reading, not one per row.
   */
  absorb(topic: string, subjectId: number, claimed: readonly number[], now: number): Promise<number>;
  /** Gives claimed rows back untried (a process stopping). */
  release(ids: readonly number[]): Promise<void>;
  /** Gives a failed row back, due again at `retryAt`, with the attempt counted and the error kept. */
  fail(id: number, retryAt: number, error: string): Promise<void>;
  /**
   * Inside a transaction: waits for other transactions doing work about the same subject to finish, so what is read
   * after it is at least as new as what they read.
   */
  serialize(topic: string, subjectId: number): Promise<void>;
  /** Whether any row is due at `now` (or by `dueBy`) and not held: the cheap question an idle process asks. */
  due(now: number, dueBy?: number): Promise<boolean>;
  /** Those of `subjectIds` with a row of one of `topics`, due or not, held or not: work some process will do. */
  queued(topics: readonly string[], subjectIds: readonly number[]): Promise<number[]>;
  backlog(): Promise<OutboxBacklog>;
}

export interface ReadOptions {
  /** false: the articles come without their bodies (empty strings), for lists that print titles and summaries. */
  bodies?: boolean;
  /**
   * The body's text cut to its first characters, and no HTML: for work that reads only the opening (related reading).
   * A body of up to 2 MB made into JavaScript strings holds the event loop for tens of milliseconds; this does not.
   */
  openingChars?: number;
  /** false: the body's text without its HTML (the search index reads only the text). */
  html?: boolean;
}

export interface ArticleRepository {
  insert(article: NewArticle): Promise<number>;
  /** With `revision`, only while the article is still at it: false when another write came first. */
  update(id: number, patch: ArticlePatch, revision?: number): Promise<boolean>;
  findById(id: number, options?: ReadOptions): Promise<Article | undefined>;
  /** The article with a body the caller holds in place of its stored one, which is not read (up to 2 MB). */
  findWithBody(id: number, body: Pick<Article, 'bodyHtml' | 'bodyText'>): Promise<Article | undefined>;
  /** In the order of `ids`; missing ones left out. */
  findMany(ids: readonly number[], options?: ReadOptions): Promise<Article[]>;
  /** The published ones among `ids`, in the order of `ids`, with only what a list of links prints. */
  publishedTitles(ids: readonly number[]): Promise<ArticleTitle[]>;
  /** Published articles, newest first, keyset-paginated so new arrivals never shift a reader's next page. */
  listPublished(q: FeedQuery): Promise<Article[]>;
  /**
   * The position of the oldest published article at or after `from` (of those channels only): the position a list
   * page given `from` as its cursor really starts below. Undefined when no article is that new.
   */
  publishedPositionFrom(from: FeedPosition, channelIds?: number[]): Promise<FeedPosition | undefined>;
  /** Every article, newest id first, in pages. */
  listNewsroom(q: NewsroomQuery): Promise<Article[]>;
  /** The highest id of a published article; 0 when none is. */
  maxPublishedId(): Promise<number>;
  /** Published articles with ids in [fromId, toId): how many, and the latest update among them. */
  sitemapStats(fromId: number, toId: number): Promise<SitemapRangeStats>;
  /** Published articles with ids in (afterId, toId), by id, at most `limit`; no bodies. */
  sitemapArticles(afterId: number, toId: number, limit: number): Promise<SitemapArticle[]>;
  /** Articles published at or after `since`, newest first, at most `limit`; no bodies. */
  recentNews(since: number, limit: number): Promise<NewsArticle[]>;
  /** One page of the archive (稿件库): ids and sort times, a keyset seek (see ArchiveQuery). */
  archivePage(q: ArchiveQuery): Promise<ArchiveRow[]>;
  /** The ids among `q.ids` that pass the archive's filters. */
  archiveFilter(q: Omit<ArchiveQuery, 'after' | 'limit'> & { ids: readonly number[] }): Promise<number[]>;
  /** Published articles sharing tags with this one: most shared tags first, then newest. */
  sharingTags(articleId: number, limit: number): Promise<number[]>;
  countByStatus(status: ArticleStatus): Promise<number>;
  /** Ids of scheduled articles whose time has come. */
  dueScheduled(now: number, limit?: number): Promise<number[]>;
  /** Flips a status only if it is still the expected one (and, given, the revision); false when another write came first. */
  compareAndSetStatus(id: number, expected: ArticleStatus, patch: ArticlePatch, revision?: number): Promise<boolean>;
  /** The article's tags become these, in order; `fresh`: an article inserted in this transaction, which has none yet. */
  setTags(articleId: number, names: readonly string[], fresh?: boolean): Promise<void>;
  /**
   * The 回收站. Every read above leaves deleted articles out (they are gone for the newsroom and readers alike); these
   * are the only ways to them. Moves a live article still at `revision` (and in one of `statuses`) into the trash with a
   * new revision; false when it changed or went meanwhile.
   */
  moveToTrash(id: number, trash: { at: number; by: number; revision: number }, statuses: readonly ArticleStatus[]): Promise<boolean>;
  findInTrash(id: number): Promise<TrashEntry | undefined>;
  /** Newest deleted first. */
  listTrash(q: TrashQuery): Promise<TrashEntry[]>;
  /** Takes a deleted article still at `revision` out of the trash as a draft with a new revision; false when it changed or went. */
  restoreFromTrash(id: number, restore: { at: number; revision: number }): Promise<boolean>;
  /**
   * Removes for good up to `limit` articles deleted at or before `deletedBefore`, oldest first, with every row hanging off
   * them (the foreign keys cascade); returns those this call removed, so of two racing purges each article is counted once.
   */
  purgeTrash(deletedBefore: number, limit: number): Promise<PurgedArticle[]>;
}

export interface ChannelRepository {
  all(): Promise<Channel[]>;
  findByPath(path: string): Promise<Channel | undefined>;
  findById(id: number): Promise<Channel | undefined>;
  /** The channel and every channel below it. */
  subtreeIds(path: string): Promise<number[]>;
  nextPosition(parentId: number | null): Promise<number>;
  update(id: number, changes: ChannelChanges): Promise<void>;
  insert(channel: NewChannel): Promise<number>;
}

export interface TopicRepository {
  all(): Promise<Topic[]>;
  findBySlug(slug: string): Promise<Topic | undefined>;
  findById(id: number): Promise<Topic | undefined>;
  insert(topic: NewTopic): Promise<number>;
  update(id: number, changes: TopicChanges): Promise<void>;
  setArticles(topicId: number, articleIds: readonly number[]): Promise<void>;
}

/** Revisions of articles and the audit log: append-only, but for an autosave replacing its own minutes-old revision. */
export interface HistoryRepository {
  addRevision(revision: NewRevision): Promise<void>;
  deleteRevision(articleId: number, number: number): Promise<void>;
  /** Newest first. */
  revisions(articleId: number): Promise<Revision[]>;
  revision(articleId: number, number: number): Promise<Revision | undefined>;
  /** Who made a revision, how and when, without its content (which can be megabytes). */
  revisionHead(articleId: number, number: number): Promise<Omit<Revision, 'content' | 'username'> | undefined>;
  /**
   * For each article whose latest revision among `steps` is a return: that return (comment, when, by whom). One query
   * for all the articles.
   */
  latestReturns(articleIds: readonly number[], steps: readonly string[]): Promise<ReturnNote[]>;
  record(event: NewAuditEvent): Promise<void>;
  /** Newest first, paged by event id, with the actor's display name and the subject's name. */
  auditEvents(query: AuditQuery): Promise<AuditEvent[]>;
}

/** Accounts and their credentials: sessions, API tokens, failed logins. Secrets only as hashes. */
export interface AccountRepository {
  count(): Promise<number>;
  findByUsername(username: string): Promise<Account | undefined>;
  findById(id: number): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  insert(account: NewAccount): Promise<number>;
  update(id: number, changes: AccountChanges, at: number): Promise<void>;
  /**
   * Inside a transaction: waits until no other transaction is changing accounts' roles or access, and keeps them
   * waiting until this one ends (PostgreSQL: an advisory lock; SQLite's write transactions already take turns).
   */
  lockRoles(): Promise<void>;
  /**
   * Inside a transaction: the account as it stands, read so that a change to it (disabled, a new role) waits for this
   * transaction to end, or this one for that change to commit and then sees it (PostgreSQL: `for share`; SQLite: its
   * write lock first).
   */
  holdAccount(id: number): Promise<Account | undefined>;

  insertSession(session: SessionRecord): Promise<void>;
  findSession(id: string): Promise<SessionRecord | undefined>;
  touchSession(id: string, at: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  deleteSessionsOf(accountId: number, exceptId?: string): Promise<void>;

  insertToken(token: NewToken): Promise<number>;
  /** A token not revoked, with the account it acts for (one read: every API request asks it). */
  findLiveToken(tokenHash: string): Promise<{ token: TokenRecord; owner: Account } | undefined>;
  /** Every token, newest first, with its owner; never the hash. */
  listTokens(accountId?: number): Promise<TokenListing[]>;
  /** False when it was revoked already. */
  revokeToken(id: number, at: number): Promise<boolean>;
  tokenExists(id: number): Promise<boolean>;
  touchToken(id: number, at: number): Promise<void>;

  /**
   * Inside a transaction: waits until no other transaction is admitting a sign-in attempt from this address, and keeps
   * them waiting until this one ends (PostgreSQL: an advisory lock; SQLite's write transactions already take turns).
   */
  lockLoginAttempts(address: string): Promise<void>;
  recordLoginFailure(username: string, address: string, at: number): Promise<void>;
  /** Times of failures for this account from this address since `since`, oldest first. */
  loginFailuresSince(username: string, address: string, since: number): Promise<number[]>;
  loginFailuresFromAddress(address: string, since: number): Promise<number[]>;
  loginFailuresForAccount(username: string, since: number): Promise<number[]>;
  pruneLoginFailures(before: number): Promise<void>;
  clearLoginFailures(username: string, address: string): Promise<void>;
}

/** Votes, their counts (kept by the store itself, always equal to the votes) and the read buckets. */
export interface ReactionRepository {
  articleStatus(articleId: number): Promise<string | undefined>;
  /**
   * Records a reader's vote (a new row, or the row moved to another mood); nothing when the article is not published or
   * the mood is the same. Outside a transaction votes arriving together may be group-committed: the caller is answered
   * once its vote committed.
   */
  vote(vote: Vote): Promise<VoteOutcome>;
  counts(articleId: number): Promise<Map<string, number>>;
  moodOf(articleId: number, readerId: string): Promise<string | undefined>;
  /** Published articles by public votes of one mood cast from `since` on. */
  topByMood(mood: string, since: number, limit: number): Promise<Ranked[]>;
  addView(articleId: number, hour: number): Promise<void>;
  topByViews(since: number, limit: number): Promise<Ranked[]>;
  /** Held votes grouped by article and address prefix, oldest burst first. */
  heldGroups(limit: number): Promise<HeldGroup[]>;
  /** Counts an article's held votes in, or drops them; returns how many were decided. */
  decideHeld(articleId: number, release: boolean, prefixHash?: string): Promise<number>;
  /** Compares the counts with the votes and, when `repair`, rewrites what differs; votes wait meanwhile. */
  reconcile(repair: boolean): Promise<{ drift: Drift[]; votes: number }>;
}

/** The analysed articles a term's share is taken of: how many (estimated past a few thousand), and their ids' range. */
export interface AnalysedRange {
  documents: number;
  first: number;
  last: number;
}

/** Term vectors, fingerprints and related lists; the domain decides what goes in, the store keeps and queries it. */
export interface RelatedRepository {
  /** Serializes related-list updates across concurrent transactions where the store needs it (PostgreSQL). */
  lockForRefresh(): Promise<void>;
  sourceHash(articleId: number): Promise<string | undefined>;
  /** The article's revision its own list was last made from (markItems); undefined when none is known. */
  itemsRevision(articleId: number): Promise<number | undefined>;
  /** Records the revision the article's own list was just made from (refreshRelated); null when it has none. */
  markItems(articleId: number, revision: number | null): Promise<void>;
  saveDocument(articleId: number, doc: RelatedDocument, at: number): Promise<void>;
  /**
   * How many analysed articles there are, and in how many of them each term is among the heaviest. Given the range an
   * earlier call returned, the terms are counted against it and the archive is not counted again.
   */
  documentFrequencies(terms: readonly string[], known?: AnalysedRange): Promise<{ documents: number; df: Map<string, number>; range?: AnalysedRange }>;
  /** Articles never analysed. */
  unanalysed(): Promise<number>;
  /** Ids of articles never analysed after `afterId` (and up to `upTo`), ascending, at most `limit`. */
  unanalysedIds(afterId: number, limit: number, upTo?: number): Promise<number[]>;
  /** The newest article's id (0 without articles). */
  lastArticleId(): Promise<number>;
  terms(articleId: number): Promise<[string, number][]>;
  /** Keeps the term vector beside the fingerprint of up to `limit` articles analysed before it was kept there; 0 when none is left. */
  fillVectors(limit: number): Promise<number>;
  /** Published articles sharing terms with the vector, most similar first. */
  similarPublished(articleId: number, terms: readonly [string, number][], limit: number): Promise<Candidate[]>;
  /**
   * findCandidates (related.ts) for an article's stored terms, run outside any transaction and, where the store can,
   * off the event loop (SQLite: a worker thread with its own read connection); undefined inside a transaction or where
   * it cannot, and the caller reads them itself.
   */
  candidatesApart(articleId: number, terms: readonly [string, number][], limit: number): Promise<Candidate[] | undefined>;
  /**
   * An import's batch scoring (related-bulk.ts) in a thread of its own, reading through a connection of its own, where
   * the store can (a database file or server): the batch being written and the next one's scoring then share the two
   * cores. Undefined where it cannot (SQLite in memory): the import scores on its own thread. The caller closes it.
   */
  scoringApart(): BatchScoring | undefined;
  /** The computed list of an article, best first. */
  items(articleId: number): Promise<ScoredItem[]>;
  replaceItems(articleId: number, items: readonly ScoredItem[]): Promise<void>;
  /** Puts one article into other articles' lists, each kept to its `keep` best; other lists lose it. */
  offer(relatedId: number, to: readonly ScoredItem[], keep: number): Promise<void>;
  /** Takes an article out of every related list, its own included. */
  withdraw(articleId: number): Promise<void>;
  picks(articleId: number): Promise<RelatedPick[]>;
  replacePicks(articleId: number, picks: readonly RelatedPick[], accountId: number | null, at: number): Promise<void>;
  /**
   * An article's 相关阅读 as kept beside it (the 2026-12-08T0100 migration: triggers set it aside in the transaction of
   * any change to what it shows); undefined when none is kept or it is to be made again.
   */
  keptList(articleId: number): Promise<RelatedItem[] | undefined>;
  /** Up to `limit` lists to be made again, oldest article first, with the stamp each was read at. */
  staleLists(limit: number): Promise<StaleList[]>;
  /** What many articles' lists are made of: each one's picks (in order) and computed items (best first), in two reads. */
  listParts(articleIds: readonly number[]): Promise<Map<number, { picks: RelatedPick[]; items: ScoredItem[] }>>;
  /** Keeps each list made, unless its stamp moved since it was read (a change overtook the reads); returns how many were kept. */
  keepLists(lists: readonly (StaleList & { items: readonly RelatedItem[] })[]): Promise<number>;
  /** Articles sharing at least one MinHash band key with the given ones, most shared bands first. */
  bucketMates(buckets: readonly string[], limit: number): Promise<number[]>;
  signatures(ids: readonly number[]): Promise<Map<number, { signature: string; shingles: number }>>;

  // The bulk path of a large backlog (related-bulk.ts): many articles' reads and writes in a few statements.
  /** A write transaction holds readers up (SQLite: its statements run on the event loop), so bulk writes keep theirs short. */
  readonly writesHoldReaders: boolean;
  /** Each term's postings heaviest first, cut at its depth (the impact order similarPublished reads). */
  postings(terms: readonly (readonly [term: string, depth: number])[]): Promise<Map<string, Postings>>;
  /** Of `ids`, the published ones with what relatedScore needs. */
  publishedAmong(ids: readonly number[]): Promise<Map<number, { channelId: number; publishedAt: number }>>;
  /** Of `ids`, each existing article's revision and whether it has been analysed, read for the write that follows. */
  analysisState(ids: readonly number[]): Promise<Map<number, { revision: number; analysed: boolean }>>;
  /** saveDocument for many articles never analysed (their old terms and buckets, if any, replaced). */
  saveDocuments(docs: readonly { articleId: number; doc: RelatedDocument }[], at: number): Promise<void>;
  /**
   * The lists of many articles (replaced), and each one's offers into other lists, each of those kept to `keep`; an
   * article of `lists` leaves the lists outside `keepIn` it is not offered to (as offer does).
   */
  writeLists(
    lists: readonly { articleId: number; items: readonly ScoredItem[] }[],
    offers: readonly { targetId: number; relatedId: number; score: number }[],
    keep: number,
    keepIn: readonly number[],
  ): Promise<void>;
}

/** One term's postings, heaviest first: article ids and their weights for the term. */
export interface Postings {
  ids: Int32Array;
  weights: Float64Array;
}

/** Curated home-page slots: ordered article lists with optional expiry. */
export interface SlotRepository {
  items(slot: string): Promise<SlotItem[]>;
  replace(slot: string, items: { articleId: number; expiresAt: number | null }[], at: number): Promise<void>;
}

export interface MediaRepository {
  insert(media: Omit<Media, 'id'>): Promise<number>;
  findById(id: number): Promise<Media | undefined>;
  /** The earliest upload of exactly these bytes. */
  findBySha256(sha256: string): Promise<Media | undefined>;
  /** One upload per key. */
  findByKeys(keys: readonly string[]): Promise<Map<string, Media>>;
  /** Every upload of these keys (identical uploads share one). */
  idsByKeys(keys: readonly string[]): Promise<{ id: number; key: string }[]>;
  /** The upload re-hosted from this remote address: fetched from it, or already in the library with the bytes it gave. */
  findBySourceUrl(url: string): Promise<Media | undefined>;
  /** Remembers that this remote address gave these bytes, whose upload was already in the library. */
  rememberSource(url: string, sha256: string, at: number): Promise<void>;
  /** Keeps the rows of a key from being deleted until the transaction ends; false when none is left. */
  holdKey(key: string): Promise<boolean>;
  countByKey(key: string): Promise<number>;
  count(): Promise<number>;
  /** The library: newest first, with uploader and how many articles use each. */
  list(q: MediaQuery): Promise<MediaListing[]>;
  describe(id: number, changes: MediaDescription): Promise<void>;
  /** Articles whose current body or cover use the upload. */
  usedBy(mediaId: number, limit?: number): Promise<MediaUse[]>;
  /** Topics whose cover is a variant of this key. */
  topicCovers(key: string): Promise<MediaTopicUse[]>;
  /** False when it is in use after all (an article took it meanwhile) or already gone. */
  delete(id: number): Promise<boolean>;
  usageOf(articleId: number): Promise<number[]>;
  /** Replaces an article's usage; false when one of the uploads was deleted meanwhile. */
  setUsage(articleId: number, mediaIds: readonly number[]): Promise<boolean>;
}

export interface SourceRepository {
  all(): Promise<Source[]>;
  findByName(name: string): Promise<Source | undefined>;
  insert(source: NewSource): Promise<number>;
  update(id: number, changes: { url: string }): Promise<void>;
}

/** One heartbeat of the newsroom editor: this account has this article open (and is changing it, or only looking). */
export interface Heartbeat {
  articleId: number;
  accountId: number;
  editing: boolean;
  at: number;
  /** A previous heartbeat at or after this continues the same stretch of presence (keeps its `since`). */
  continuesAfter: number;
}

/** Someone's last heartbeat on an article, with the name the newsroom shows. */
export interface Present {
  accountId: number;
  username: string;
  displayName: string;
  editing: boolean;
  /** When this stretch of heartbeats began. */
  since: number;
  seenAt: number;
}

/** Who has which article open in the editor: one row per article and account, replaced by each heartbeat. */
export interface PresenceRepository {
  beat(heartbeat: Heartbeat): Promise<void>;
  /** Enabled accounts seen on the article at or after `since`, in account order. */
  seenSince(articleId: number, since: number): Promise<Present[]>;
  /** Forgets heartbeats older than `before`; returns how many. */
  prune(before: number): Promise<number>;
}
