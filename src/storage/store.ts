import { type Kysely, sql } from 'kysely';
import type { JobTransactions, Store } from '../domain/store.ts';
import type { Database } from './database.ts';
import type { Dialect } from './migrations/index.ts';
import type { DB } from './schema.ts';
import { AccountRepository } from './repositories/accounts.ts';
import { ArticleRepository } from './repositories/articles.ts';
import { ChannelRepository } from './repositories/channels.ts';
import { CommentRepository, ModerationWordRepository } from './repositories/comments.ts';
import { HistoryRepository } from './repositories/history.ts';
import { ImportRepository } from './repositories/imports.ts';
import { ImportRunRepository } from './repositories/import-runs.ts';
import { MediaRepository } from './repositories/media.ts';
import { OutboxRepository } from './repositories/outbox.ts';
import { BallotBatcher, PollRepository } from './repositories/polls.ts';
import { ReactionRepository, VoteBatcher } from './repositories/reactions.ts';
import { PresenceRepository } from './repositories/presence.ts';
import { LiveRepository } from './repositories/live.ts';
import { IdempotencyRepository } from './repositories/idempotency.ts';
import { RelatedRepository } from './repositories/related.ts';
import type { SearchIndex } from '../domain/search/search-index.ts';
import { searchIndex } from './search/index.ts';
import { LockPacer } from './lock-pacer.ts';
import type { ExternalIndexes } from './search/external.ts';
import { SlotRepository } from './repositories/slots.ts';
import { SourceRepository } from './repositories/sources.ts';
import { SynonymRepository } from './repositories/synonyms.ts';
import { TopicRepository } from './repositories/topics.ts';
import { brokenNamedStatement } from './drivers.ts';
import { prepared } from './prepared.ts';
import { type ApartSource, sqliteFileOf } from './related-finder.ts';

/** PostgreSQL: the lock serialize() takes, a transaction's (the outbox's own locks name their topics without the prefix). */
const subjectLock = prepared((_db: Kysely<DB>, subject: string, id: number) => sql`select pg_advisory_xact_lock(hashtext(${subject}), ${id})`);

/** Runs of a transaction PostgreSQL aborted before it wrote anything, at most (see SqlStore.transaction). */
const TRANSACTION_RUNS = 3;
/**
 * Why PostgreSQL aborts a transaction that a second run may get through: it was a deadlock's victim (40P01), or one of
 * the client's named statements was broken under it (drivers.ts has named them anew).
 */
const runAgain = (err: unknown) => (err as { code?: string }).code === '40P01' || brokenNamedStatement(err);

/** How long a job's transaction waits at most for the log to be copied into the database file (walCaughtUp). */
const WAL_CATCH_UP_MS = 250;
/** A log shorter than this many pages (4 MB) is not waited for (walCaughtUp). */
const WAL_WAIT_FROM_PAGES = 1024;

/** The domain's Store over Kysely: the repositories over one connection or one transaction. */
export class SqlStore implements Store {
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
  readonly live: LiveRepository;
  readonly imports: ImportRepository;
  readonly importRuns: ImportRunRepository;
  readonly search: SearchIndex;
  readonly draftSearch: SearchIndex;
  readonly synonyms: SynonymRepository;
  readonly outbox: OutboxRepository;
  readonly polls: PollRepository;
  readonly comments: CommentRepository;
  readonly moderationWords: ModerationWordRepository;
  readonly idempotency: IdempotencyRepository;

  private constructor(
    private readonly db: Kysely<DB>,
    readonly dialect: Dialect,
    private readonly votes: VoteBatcher,
    private readonly ballots: BallotBatcher,
    /** An external search engine's indexes, in place of the built-in ones (the same for every transaction). */
    private readonly external: ExternalIndexes | undefined,
    /**
     * What the reader thread (related-finder.ts) reads: SQLite's database file (none in memory), PostgreSQL's primary
     * (a connection of the thread's own).
     */
    private readonly apart: ApartSource | undefined,
    /** The server's secret (config.secret): keys what the store keeps of clients' Idempotency-Keys. */
    private readonly secret: string,
    /** Inside a transaction: what to run once it has committed. */
    private readonly committed?: (() => void)[],
  ) {
    const sqliteFile = sqliteFileOf(apart);
    this.articles = new ArticleRepository(db, dialect, sqliteFile);
    this.channels = new ChannelRepository(db);
    this.topics = new TopicRepository(db);
    this.history = new HistoryRepository(db);
    this.accounts = new AccountRepository(db, dialect);
    this.reactions = new ReactionRepository(db, dialect, votes);
    this.related = new RelatedRepository(db, dialect, { apart });
    this.slots = new SlotRepository(db);
    this.media = new MediaRepository(db, dialect);
    this.sources = new SourceRepository(db);
    this.presence = new PresenceRepository(db);
    this.live = new LiveRepository(db);
    this.imports = new ImportRepository(db, dialect);
    this.importRuns = new ImportRunRepository(db, dialect, sqliteFile);
    this.search = external?.search ?? searchIndex(db, dialect, 'published', sqliteFile);
    this.draftSearch = external?.draftSearch ?? searchIndex(db, dialect, 'unpublished', sqliteFile);
    this.synonyms = new SynonymRepository(db);
    this.outbox = new OutboxRepository(db, dialect);
    this.polls = new PollRepository(db, dialect, ballots);
    this.comments = new CommentRepository(db, dialect);
    this.moderationWords = new ModerationWordRepository(db);
    this.idempotency = new IdempotencyRepository(db, secret);
  }

  /** The store over a database's pool; its transactions share its vote batcher, so make one per pool (the container does). */
  static of(database: Database, secret: string, external?: ExternalIndexes): SqlStore {
    return new SqlStore(
      database.db,
      database.dialect,
      new VoteBatcher(database.db, database.dialect),
      new BallotBatcher(database.db, database.dialect),
      external,
      database.sqlite ? (database.sqlite.memory ? undefined : { file: database.sqlite.name }) : database.url ? { url: database.url } : undefined,
      secret,
    );
  }

  /**
   * Runs `fn` in a transaction; what it hands to afterCommit runs once it committed. On PostgreSQL a transaction that
   * the server aborted before anything of it was written runs again from the start, up to TRANSACTION_RUNS times, as
   * a client trying again would, rather than answering 500: to break a lock cycle (deadlock_detected: an unpublish's
   * trigger marks the related lists showing the article while the outbox's related reading writes some of the same
   * lists in another order, related_lists, 2026-12-08T0100), or because one of its named statements was broken under
   * the connection (another process's migration changed a column it returns, a pooler dropped it: drivers.ts, which
   * has named its statements anew for the next run).
   */
  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    for (let attempt = 1; ; attempt++) {
      const committed: (() => void)[] = [];
      let result: T;
      try {
        result = await this.db
          .transaction()
          .execute((tx) => fn(new SqlStore(tx, this.dialect, this.votes, this.ballots, this.external, this.apart, this.secret, committed)));
      } catch (err) {
        if (this.dialect !== 'postgres' || !runAgain(err) || attempt >= TRANSACTION_RUNS) throw err;
        // A moment apart, as the reactions' retry does, so the other side of the cycle has finished.
        await new Promise((resolve) => setTimeout(resolve, attempt * 5));
        continue;
      }
      // Only the run that committed hands on its work, and outside the retry: a failure there is not the transaction's.
      for (const run of committed) run();
      return result;
    }
  }

  async serialize(subject: string, id = 0): Promise<void> {
    if (!this.db.isTransaction) throw new Error('serialize() belongs inside a transaction');
    if (this.dialect === 'postgres') await subjectLock(this.db, `serialize:${subject}`, id);
  }

  afterCommit(run: () => void): void {
    if (this.committed) this.committed.push(run);
    else run();
  }

  jobTransactions(): JobTransactions {
    // Inside a transaction the job's writes join it; in memory no other process shares the database.
    if (this.dialect !== 'sqlite' || sqliteFileOf(this.apart) === undefined || this.db.isTransaction) return { transaction: (fn) => this.transaction(fn) };
    const pacer = new LockPacer();
    return {
      transaction: (fn) =>
        pacer.run(async () => {
          await this.walCaughtUp();
          return this.transaction(fn);
        }),
    };
  }

  /**
   * Before a job's transaction on SQLite: every committed page of the log copied into the database file. SQLite writes
   * a transaction's pages from the start of the log again only when the log was wholly copied as the transaction began,
   * and a job commits one large transaction after another: with the checkpointer thread behind (a thread among an
   * import's busy ones), the log grew with nearly every transaction, to gigabytes in an import of 100,000 posts, each
   * commit writing to fresh pages of the file. So the job copies what is left itself (a passive checkpoint, which
   * never waits), and while the log is past WAL_WAIT_FROM_PAGES (an import's batches, not the related backlog's short
   * transactions) waits a moment if the checkpointer thread is at it; a reader elsewhere that still needs the older
   * pages holds it back at most WAL_CATCH_UP_MS.
   */
  private async walCaughtUp(): Promise<void> {
    const from = performance.now();
    for (;;) {
      const { rows } = await sql<{ busy: number; log: number; checkpointed: number }>`pragma wal_checkpoint(PASSIVE)`.execute(this.db);
      const r = rows[0];
      if (!r || (r.busy === 0 && r.checkpointed >= r.log) || r.log < WAL_WAIT_FROM_PAGES || performance.now() - from > WAL_CATCH_UP_MS) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}
