/** The scoring thread's entry (see related-scoring.ts): an import's batches scored in order, through a connection of its own. */
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { bulkTimings, LocalBatchScoring } from '../domain/articles/related-bulk.ts';
import { pgClient, pgDriver } from './drivers.ts';
import type { ApartSource } from './related-finder.ts';
import type { ScoringAnswer, ScoringTask } from './related-scoring.ts';
import { ChannelRepository } from './repositories/channels.ts';
import { RelatedRepository } from './repositories/related.ts';
import type { DB } from './schema.ts';
import { withStatementCache } from './statement-cache.ts';

/**
 * SQLite's page cache of the thread's connection: the pages the scoring reads (each term's heaviest postings, read once
 * in a run, and the articles' rows of its candidates) stay there rather than being read again from the file.
 */
const SQLITE_CACHE_MB = 256;

function open(source: ApartSource): Kysely<DB> {
  if ('file' in source) {
    const sqlite = new SQLite(source.file, { readonly: true, fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma(`cache_size = ${-1024 * SQLITE_CACHE_MB}`);
    return new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  }
  const pool = new (pgDriver().Pool)({ connectionString: source.url, max: 1, application_name: 'inkstone-import-scoring', Client: pgClient() });
  // A connection the server ended fails the scoring that used it, never this thread.
  pool.on('error', () => {});
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** One import's scoring per thread: the thread is started for it and closed with it. */
let scoring: LocalBatchScoring | undefined;

/** The time by step (bulkTimings) since the last answer: handed over, and counted from zero again. */
function timings(): ScoringAnswer['timings'] {
  const out = { ...bulkTimings };
  for (const key of Object.keys(bulkTimings) as (keyof typeof bulkTimings)[]) bulkTimings[key] = 0;
  return out;
}

export default async function scoringWorker(task: ScoringTask): Promise<ScoringAnswer> {
  if (!scoring) {
    const db = open(task.source);
    scoring = new LocalBatchScoring({ related: new RelatedRepository(db, 'file' in task.source ? 'sqlite' : 'postgres'), channels: new ChannelRepository(db) });
  }
  if (task.kind === 'written') {
    scoring.written(task.ids);
    return { timings: {} };
  }
  const lists = await scoring.score(task.articles, task.docs);
  return { lists: new Map(lists), timings: timings() };
}
