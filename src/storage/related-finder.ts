import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { Piscina } from 'piscina';
import type { Candidate } from '../domain/articles/related-reading.ts';
import { WORKER_YOUNG_GENERATION_MB } from '../domain/articles/body-pool.ts';
import { BUNDLED, packageFile } from '../package-files.ts';

/** The database the reader thread reads: SQLite's file, or PostgreSQL's primary (one connection of the thread's own). */
export type ApartSource = { file: string } | { url: string };

/** SQLite's database file of a source, if it is one (the scans below read only SQLite). */
export const sqliteFileOf = (source: ApartSource | undefined): string | undefined => (source && 'file' in source ? source.file : undefined);

/** What crosses to the reader thread to find an article's related candidates: its stored terms and the database to read. */
export interface FindJob {
  source: ApartSource;
  articleId: number;
  terms: [string, number][];
  limit: number;
}

/**
 * The other reads the thread takes off the event loop: scans that at a million articles read tens of megabytes from a
 * cold cache right after a start (a window of the related backlog's id walk took 100-240 ms, the start's count of
 * published articles a second, the search backlog's count of whole documents 0.2 s), each a stretch in which no reader was served.
 */
export type ScanJob =
  | { kind: 'unanalysed'; file: string; afterId: number; limit: number; upTo?: number | undefined }
  | { kind: 'countByStatus'; file: string; status: string }
  | { kind: 'wholeDocuments'; file: string; scope: 'published' | 'unpublished' };

type Job = FindJob | ScanJob | { warm: true };

/** Archives below this many articles (by the newest id) scan in a few milliseconds: read where asked, no thread. */
export const SCAN_APART_FROM = 5_000;

/**
 * On SQLite every statement runs on the calling thread, and finding an article's related candidates reads thousands of
 * postings (tens of milliseconds at a million articles): done by the outbox after each publish, on the event loop it
 * would hold every reader up. One worker thread with its own read-only connection does it instead (WAL lets it read
 * beside the writer), started on first use and ended after a minute idle. On PostgreSQL the server reads the postings,
 * but their ~40,000 packed entries are summed, and the shortlist's 400 vectors parsed and scored, by whoever asked:
 * ~10 ms of the event loop a publish at 300,000 articles, and the queries' own work besides. The same thread does it
 * with a connection of its own.
 */
let pool: Piscina<Job, unknown> | undefined;

// From the sources (tsx, Vitest) the worker loads TypeScript through tsx's loader, named explicitly (see body-pool.ts);
// the production build has its own bundle (dist/related-worker.js, scripts/build.js).
const worker = (): { filename: string; execArgv: string[] } =>
  BUNDLED
    ? { filename: pathToFileURL(packageFile('dist/related-worker.js')).href, execArgv: [] }
    : {
        filename: new URL('./related-worker.ts', import.meta.url).href,
        execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href],
      };

/** Set once the thread has answered; a thread ended by its idle timeout is started again by the next call. */
let ready = false;
let warming: Promise<boolean> | undefined;

/** Starts the thread if it is not running; resolves true once it answers (false if it could not start). */
function warm(): Promise<boolean> {
  if (!pool) {
    pool = new Piscina<Job, unknown>({
      ...worker(),
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 60_000,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    pool.on('workerDestroy', () => {
      ready = false;
      warming = undefined;
    });
  }
  warming ??= pool.run({ warm: true }).then(
    () => {
      ready = true;
      return true;
    },
    () => {
      warming = undefined;
      return false;
    },
  );
  return warming;
}

/**
 * The candidates from the reader thread, or undefined while the thread is starting (a second or so from the sources,
 * less from the build): the caller then reads them itself, so the first publish after a quiet minute waits for nothing.
 */
export async function findInWorker(job: FindJob): Promise<Candidate[] | undefined> {
  if (!ready) {
    void warm();
    return undefined;
  }
  return (await pool!.run(job)) as Candidate[];
}

/**
 * A scan in the reader thread, waiting for the thread to start: the work that asks (a backlog, the start's counts) runs
 * in the background and can wait a second; undefined only if the thread cannot start, and the caller reads it itself.
 */
export async function scanInWorker<T>(job: ScanJob): Promise<T | undefined> {
  if (!ready && !(await warm())) return undefined;
  return (await pool!.run(job)) as T;
}

/**
 * A scan read in the reader thread when it should be, else undefined and the caller reads it where it is: on SQLite
 * with a database file, outside a transaction (which must see its own writes), and from `from` articles by the newest
 * id (below, the scan takes milliseconds and the thread is not started for it).
 */
export async function scanApart<T>(db: Kysely<any>, file: string | undefined, from: number, job: (file: string) => ScanJob): Promise<T | undefined> {
  if (!file || db.isTransaction) return undefined;
  const { rows } = await sql<{ id: number | null }>`select max(id) as id from articles`.execute(db);
  if (Number(rows[0]?.id ?? 0) < from) return undefined;
  return scanInWorker<T>(job(file));
}
