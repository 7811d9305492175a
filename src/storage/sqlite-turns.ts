import { setImmediate as turn } from 'node:timers/promises';
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

/**
 * better-sqlite3 runs each statement synchronously, and Kysely chains a transaction's statements as promises that are
 * already resolved: the whole of a transaction, and the code after it up to the response, runs as one stretch of the
 * event loop. With a 2 MB article body, each statement that reads or writes it (load, update, revision, commit) takes
 * 10-40 ms on a VM where fresh memory is slow to map, and the stretch held every reader, cached pages included, for
 * over 100 ms. Here, a statement that held the loop for SLOW_MS or more is followed by a turn of the event loop
 * (setImmediate, twice), so the sockets waiting meanwhile are served between the statements. The transaction keeps the
 * single connection through that turn (Kysely's mutex), so nothing else writes in between; a quick statement, as
 * nearly all are, costs nothing extra.
 */
export const SLOW_MS = 4;

/**
 * The reads of one stretch of the event loop share one read transaction. Each statement outside a transaction is a
 * transaction of its own: SQLite takes and drops its locks on the file and the WAL index for it (three system calls)
 * and checks that its cache still holds. An uncached article page runs about ten reads; at a million articles that
 * was a tenth of the page's CPU (`bench/server-cpu.ts --what renders`, 1.04-1.07 → 0.94-1.00 ms on the main thread).
 * So the first read outside a transaction begins one (deferred: it takes no write lock and never holds a writer
 * back), and the reads after it in the same stretch run in it; it ends
 * - at the stretch's end (setImmediate, so before the next round of I/O is polled),
 * - before any other statement on the connection (a write, a BEGIN, a pragma), which then runs as it always did,
 * - before a turn of the event loop after a slow statement, and
 * - when fresh() is called: as each request arrives, and as a message from another process that it committed
 *   something (a purge, a live entry) arrives. A snapshot a timer began runs on into the polling for I/O of the same
 *   turn of the loop; a request or message handled there may follow a commit made meanwhile elsewhere (the client's
 *   save on another worker), and reads it fresh.
 *
 * Everything else a stretch reads it would have read statement by statement a moment earlier: within one process
 * the snapshot ends before any write, so a process always reads its own writes.
 */
export class ReadSnapshots {
  private open = false;
  private readonly begin: SQLite.Statement;
  private readonly commit: SQLite.Statement;

  constructor(private readonly sqlite: SQLite.Database) {
    this.begin = sqlite.prepare('begin');
    this.commit = sqlite.prepare('commit');
  }

  /** Before a read: joins the stretch's snapshot, or begins one unless a transaction is open. */
  beforeRead(): void {
    if (this.open || this.sqlite.inTransaction) return;
    this.begin.run();
    this.open = true;
    setImmediate(this.fresh);
  }

  /** Ends the snapshot, if one is open: the next read sees every commit made until then. */
  readonly fresh = (): void => {
    if (!this.open) return;
    this.open = false;
    if (!this.sqlite.open || !this.sqlite.inTransaction) return;
    try {
      this.commit.run();
    } catch {
      // A read transaction has nothing to commit; whatever held it, nothing may stay open past this stretch.
      if (this.sqlite.inTransaction) this.sqlite.exec('rollback');
    }
  };
}

const SELECT = /^\s*select\b/i;
const isRead = (query: CompiledQuery) => query.query.kind === 'SelectQueryNode' || (query.query.kind === 'RawNode' && SELECT.test(query.sql));

class TurnTakingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly snapshots: ReadSnapshots,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (isRead(query)) this.snapshots.beforeRead();
    else this.snapshots.fresh();
    const started = performance.now();
    const result = await this.inner.executeQuery<R>(query);
    if (performance.now() - started >= SLOW_MS) {
      this.snapshots.fresh();
      // Twice: one setImmediate from the poll phase runs before new I/O gets its turn (as service.ts's pacer).
      await turn();
      await turn();
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    // A stream outlives the stretch: it runs on its own, as every statement once did.
    this.snapshots.fresh();
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class TurnTakingDriver implements Driver {
  /** SQLite has one connection; its wrapper is made once, so Kysely sees the same object each time. */
  private readonly wrapped = new WeakMap<DatabaseConnection, TurnTakingConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly snapshots: ReadSnapshots,
  ) {}

  init() {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      wrapper = new TurnTakingConnection(connection, this.snapshots);
      this.wrapped.set(connection, wrapper);
    }
    return wrapper;
  }

  /**
   * BEGIN IMMEDIATE: the write lock is taken at the start, waiting (busy_timeout) for another process's writer. A
   * deferred BEGIN takes it at the first write, and fails at once (SQLITE_BUSY_SNAPSHOT, no waiting) when another
   * process committed after this transaction's first read: with two server processes on one file (INKSTONE_WORKERS)
   * a publish answered 503 that way. A read-only transaction (an export's snapshot) stays deferred, so it never holds
   * other processes' writers back. Run through the wrapper, as commit and rollback are (the inner driver sends them
   * through the connection it is given), so a slow commit is followed by a turn too.
   */
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    await connection.executeQuery(CompiledQuery.raw(settings.accessMode === 'read only' ? 'begin' : 'begin immediate'));
  }

  commitTransaction(connection: DatabaseConnection) {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(connection);
  }

  destroy() {
    return this.inner.destroy();
  }
}

/** Kysely's SQLite dialect whose connection lets the event loop turn after a slow statement, and shares read snapshots (see above). */
export class TurnTakingSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly snapshots: ReadSnapshots,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new TurnTakingDriver(super.createDriver(), this.snapshots);
  }
}
