import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { Candidate } from '../domain/articles/related-reading.ts';
import { BUNDLED, packageFile } from '../package-files.ts';

/** What crosses to the related-reading reader thread: an article's stored terms and the database file to read. */
export interface FindJob {
  file: string;
  articleId: number;
  terms: [string, number][];
  limit: number;
}

/**
 * On SQLite every statement runs on the calling thread, and finding an article's related candidates reads thousands of
 * postings (tens of milliseconds at a million articles): done by the outbox after each publish, on the event loop it
 * would hold every reader up. One worker thread with its own read-only connection does it instead (WAL lets it read
 * beside the writer), started on first use and ended after a minute idle. PostgreSQL needs none: its queries do not
 * hold the event loop.
 */
let pool: Piscina<FindJob | { warm: true }, Candidate[]> | undefined;

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
let starting = false;

/**
 * The candidates from the reader thread, or undefined while the thread is starting (a second or so from the sources,
 * less from the build): the caller then reads them itself, so the first publish after a quiet minute waits for nothing.
 */
export async function findInWorker(job: FindJob): Promise<Candidate[] | undefined> {
  if (!pool) {
    pool = new Piscina<FindJob | { warm: true }, Candidate[]>({ ...worker(), minThreads: 0, maxThreads: 1, idleTimeout: 60_000 });
    pool.on('workerDestroy', () => {
      ready = false;
      starting = false;
    });
  }
  if (!ready) {
    if (!starting) {
      starting = true;
      pool.run({ warm: true }).then(
        () => {
          ready = true;
          starting = false;
        },
        () => {
          starting = false;
        },
      );
    }
    return undefined;
  }
  return pool.run(job);
}
