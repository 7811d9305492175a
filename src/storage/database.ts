import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { pgClient, pgDriver } from './drivers.ts';
import type { DB } from './schema.ts';
import { ReadSnapshots, TurnTakingSqliteDialect } from './sqlite-turns.ts';
import { withStatementCache } from './statement-cache.ts';
import { DatedFileMigrations, type Dialect, migrationNames } from './migrations/index.ts';

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The SQLite handle, for online backup and integrity checks; undefined on PostgreSQL. */
  sqlite: SQLite.Database | undefined;
  /** PostgreSQL: the primary's connection string, for the related-reading reader thread's own connection (related-finder.ts). */
  url?: string;
  /**
   * Reads after this see every commit made until now. On SQLite the reads of one stretch of the event loop share a
   * snapshot (sqlite-turns.ts): each request, and each message that another process committed something (a purge),
   * calls this first.
   */
  fresh(): void;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  /** SQLite file name inside dataDir, or an absolute path. */
  sqliteFile?: string;
  poolSize?: number;
  /** SQLite's page cache per connection, in MB (default 32; see BULK_SQLITE_CACHE_MB). */
  sqliteCacheMB?: number;
}

/**
 * The page cache of a one-off bulk command's connection (`inkstone import`): an import inserts each post's terms, band
 * keys and search entries at random places in B-trees far larger than the server's 32 MB, and each page missed is a
 * read from the file. SQLite takes the cache as pages are used, up to this; the server keeps 32 MB (its memory bound).
 */
export const BULK_SQLITE_CACHE_MB = 512;

export function openDatabase(options: DatabaseOptions): Database {
  if (options.databaseUrl) {
    const pool = new (pgDriver().Pool)({ connectionString: options.databaseUrl, max: options.poolSize ?? 10, Client: pgClient() });
    // An idle connection dropped by the server (restart, failover) must not crash the process; the pool reconnects.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', sqlite: undefined, url: options.databaseUrl, fresh: () => undefined, close: () => db.destroy() };
  }
  const file = path.resolve(options.dataDir, options.sqliteFile ?? 'inkstone.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (kill -9); only a power loss can drop the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 32 MB of page cache (SQLite's default is 2 MB): a 2 MB article is about 6 MB of pages with its revision, and a
  // write that spills its pages mid-transaction, or reads them back from the file, took twice as long.
  sqlite.pragma(`cache_size = ${-1024 * Math.max(2, Math.round(options.sqliteCacheMB ?? 32))}`);
  const checkpointer = startCheckpointer(sqlite, file);
  const snapshots = new ReadSnapshots(sqlite);
  const db = new Kysely<DB>({ dialect: new TurnTakingSqliteDialect({ database: withStatementCache(sqlite) }, snapshots) });
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    fresh: snapshots.fresh,
    close: async () => {
      await checkpointer.stop();
      await db.destroy();
    },
  };
}

/**
 * A PostgreSQL read replica's pool (DATABASE_READ_URL): its sessions are read-only (so a URL that points at a primary by
 * mistake can never be written through), named `inkstone-reader` in pg_stat_activity, and a connection attempt gives up
 * after 2 s, so a replica that is unreachable sends reads back to the primary instead of holding them.
 */
export function openReadReplica(url: string, poolSize = 10): Database {
  const pool = new (pgDriver().Pool)({
    connectionString: url,
    max: poolSize,
    application_name: 'inkstone-reader',
    options: '-c default_transaction_read_only=on',
    connectionTimeoutMillis: 2_000,
    Client: pgClient(),
  });
  // A replica restarting drops every idle connection at once: one warning a minute is enough.
  let warned = 0;
  pool.on('error', (err) => {
    if (Date.now() - warned < 60_000) return;
    warned = Date.now();
    process.emitWarning(`PostgreSQL read replica connection lost: ${err.message}`);
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', sqlite: undefined, fresh: () => undefined, close: () => db.destroy() };
}

// A second connection in its own thread: PASSIVE checkpoints never block this process's reads or writes.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another process checkpointing): the next round does it.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints (copying committed pages into the database file, with its fsyncs) in a background thread. SQLite
 * runs them in the connection whose commit fills the log past 1000 pages, and this connection's thread is the event
 * loop: after a 2 MB article (about 6 MB of pages with its revision) a commit held it for 30-40 ms. If the thread
 * cannot run, the connection checkpoints for itself again.
 */
function startCheckpointer(sqlite: SQLite.Database, file: string, everyMs = 200): { stop(): Promise<void> } {
  let worker: Worker;
  try {
    worker = new Worker(CHECKPOINTER, { eval: true, workerData: { file, everyMs, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
  } catch {
    return { stop: async () => {} };
  }
  sqlite.pragma('wal_autocheckpoint = 0');
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', () => {
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  });
  return {
    async stop() {
      // Held by the process while it finishes, or an exiting process would not wait for it.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}

/** Applies every dated migration not yet applied; safe to run any number of times. */
export async function migrate(database: Database): Promise<string[]> {
  // Every start asks; nearly always all are applied. Kysely's migrator would first introspect every table (about a
  // second on a large SQLite archive with its full-text tables): one read of its own table answers instead.
  if (await allApplied(database)) return [];
  // Dated files written on parallel branches can land out of name order; each must stand on its own anyway.
  const migrator = new Migrator({ db: database.db, provider: new DatedFileMigrations(database.dialect), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function allApplied(database: Database): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(database.db);
    const applied = new Set(rows.map((r) => r.name));
    return (await migrationNames()).every((name) => applied.has(name));
  } catch {
    // No migration table yet (a new database): the migrator makes it.
    return false;
  }
}

export async function ping(database: Database): Promise<void> {
  await sql`select 1`.execute(database.db);
}
