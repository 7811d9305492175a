/** The related-reading reader thread's entry (see related-finder.ts): one job at a time, plain data in and out. */
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Candidate } from '../domain/articles/related-reading.ts';
import { KeptPostings } from '../domain/articles/kept-postings.ts';
import { findCandidates } from '../domain/articles/related.ts';
import type { FindJob, ScanJob } from './related-finder.ts';
import { pgClient, pgDriver } from './drivers.ts';
import { ArticleRepository } from './repositories/articles.ts';
import { RelatedRepository } from './repositories/related.ts';
import type { DB } from './schema.ts';
import type { IndexScope } from './search/shared.ts';
import { SqliteSearchIndex } from './search/sqlite.ts';
import { withStatementCache } from './statement-cache.ts';
import { lowestThreadPriority } from '../thread-priority.ts';

lowestThreadPriority();

interface Reader {
  sqlite: SQLite.Database;
  related: RelatedRepository;
  articles: ArticleRepository;
  search: Record<IndexScope, SqliteSearchIndex>;
}
/**
 * Connections kept by database (SQLite's file, PostgreSQL's primary): a process has one, a test run a few, each
 * database gone when its file ends; past four the oldest is closed.
 */
function kept<T>(make: (key: string) => T, close: (entry: T) => void): (key: string) => T {
  const open = new Map<string, T>();
  return (key) => {
    const found = open.get(key);
    if (found) return found;
    const entry = make(key);
    open.set(key, entry);
    if (open.size > 4) {
      const [oldest, evicted] = open.entries().next().value!;
      open.delete(oldest);
      close(evicted);
    }
    return entry;
  };
}

/**
 * A publish's candidates read each of its forty terms' first postings, ~40,000 in all (at 300,000 articles ~14 ms of
 * PostgreSQL's CPU, most of a publish's reads): the thread keeps them from publish to publish (KeptPostings), each
 * publish's analysis added once its candidates are found. Analyses it is not told of (another process's, an import's,
 * a backlog's) reach a term's list when it is read again, at most a minute later. 12 MB at most, and a quarter of that in arrays let go and used again.
 */
const KEPT_POSTINGS = { capacity: 1_000_000, ttlMs: 60_000, recycle: true };

// The repositories here are given no database file: they read on this thread, as the event loop's would.
const reader = kept(
  (file): Reader => {
    const sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
    // Statements kept prepared, as on the event loop's connection: a publish's candidate read is one compound SELECT of
    // forty cut lists, whose preparing alone took 1.6 ms.
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return {
      sqlite,
      related: new RelatedRepository(db, 'sqlite', { kept: new KeptPostings(KEPT_POSTINGS) }),
      articles: new ArticleRepository(db, 'sqlite'),
      search: { published: new SqliteSearchIndex(db, 'published'), unpublished: new SqliteSearchIndex(db, 'unpublished') },
    };
  },
  (evicted) => evicted.sqlite.close(),
);

/** PostgreSQL: one connection to the primary. */
const postgresReader = kept(
  (url) => {
    const pool = new (pgDriver().Pool)({ connectionString: url, max: 1, application_name: 'inkstone-related', Client: pgClient() });
    // A connection the server ended (a restart, a test's database dropped) is made again by the next job; its error is
    // that job's, never this thread's end.
    pool.on('error', () => {});
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { pool, related: new RelatedRepository(db, 'postgres', { kept: new KeptPostings(KEPT_POSTINGS) }) };
  },
  (evicted) => void evicted.pool.end().catch(() => {}),
);

export default async function relatedWorker(job: FindJob | ScanJob | { warm: true }): Promise<Candidate[] | number[] | number> {
  // The first job only starts the thread (see related-finder.ts).
  if ('warm' in job) return [];
  if (!('kind' in job)) {
    const related = 'file' in job.source ? reader(job.source.file).related : postgresReader(job.source.url).related;
    const found = await findCandidates(related, job.articleId, job.terms, job.limit);
    // Its analysis is committed (the caller's transaction wrote its terms before asking): later publishes find it.
    related.remember(job.articleId, job.terms);
    return found;
  }
  if (job.kind === 'unanalysed') return reader(job.file).related.unanalysedIds(job.afterId, job.limit, job.upTo);
  if (job.kind === 'wholeDocuments') return reader(job.file).search[job.scope].count();
  return reader(job.file).articles.countByStatus(job.status as Parameters<ArticleRepository['countByStatus']>[0]);
}
