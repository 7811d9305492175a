import { setImmediate as turn } from 'node:timers/promises';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SqliteDialect, type TransactionSettings } from 'kysely';

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

class TurnTakingConnection implements DatabaseConnection {
  constructor(private readonly inner: DatabaseConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const started = performance.now();
    const result = await this.inner.executeQuery<R>(query);
    if (performance.now() - started >= SLOW_MS) {
      // Twice: one setImmediate from the poll phase runs before new I/O gets its turn (as service.ts's pacer).
      await turn();
      await turn();
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class TurnTakingDriver implements Driver {
  /** SQLite has one connection; its wrapper is made once, so Kysely sees the same object each time. */
  private readonly wrapped = new WeakMap<DatabaseConnection, TurnTakingConnection>();

  constructor(private readonly inner: Driver) {}

  init() {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      wrapper = new TurnTakingConnection(connection);
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

/** Kysely's SQLite dialect whose connection lets the event loop turn after a slow statement (see above). */
export class TurnTakingSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return new TurnTakingDriver(super.createDriver());
  }
}
