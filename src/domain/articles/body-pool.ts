import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { BUNDLED, packageFile } from '../../package-files.ts';
import type { BodyJob, BodyOutcome } from './body-work.ts';

/**
 * One worker thread per process for long article bodies (sanitizing, text, segmentation), started on first use.
 * A single thread: the point is to keep the event loop free for readers, not to save bodies in parallel; jobs queue.
 * An idle pool does not keep the process alive (piscina unrefs idle threads), and a thread idle for a minute ends:
 * it holds its own copy of jieba's dictionary and the text libraries (RSS +116 MB after one job, run from the
 * sources), which a newsroom writing short articles would otherwise carry for good after one long one.
 */
let pool: Piscina<BodyJob, BodyOutcome> | undefined;

/**
 * The young generation of a worker thread's heap, in MB (V8 sizes it from the machine's memory otherwise, tens of MB):
 * a thread's jobs keep little between them, and the space they are given they keep for good. On the bench:scale
 * archive of 20,000 articles, the server's RSS after reads, writes and searches went from 483 / 487 to 461 / 460 MB
 * with this for the body and related-reader threads (two pairs, alternated), and their CPU a publish did not move
 * (31.5 / 30.8 against 32.2 / 30.6 ms).
 */
export const WORKER_YOUNG_GENERATION_MB = 6;

/** Threads the pool may run: two on a machine with the cores for it, else one. */
export const BODY_THREADS = Math.min(2, availableParallelism());

// From the sources (tsx, Vitest) the worker loads the TypeScript module through tsx's loader, named explicitly: Vitest
// transforms modules itself and a process may have registered tsx in-process. The production build has its own
// bundle for the worker (dist/body-worker.js, scripts/build.js) and needs no loader.
const worker = (): { filename: string; execArgv: string[] } =>
  BUNDLED
    ? { filename: pathToFileURL(packageFile('dist/body-worker.js')).href, execArgv: [] }
    : {
        filename: new URL('./body-worker.ts', import.meta.url).href,
        execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href],
      };

export function bodyPool(): Piscina<BodyJob, BodyOutcome> {
  pool ??= new Piscina<BodyJob, BodyOutcome>({
    ...worker(),
    minThreads: 0,
    // A second thread only while there is work for two (a rebuild's or fill's batches, two long bodies at once): each
    // holds its own dictionaries, and ends after a minute idle.
    maxThreads: BODY_THREADS,
    idleTimeout: 60_000,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  return pool;
}

/** Stops the thread (waiting for the job in hand); the next long body starts a new one. */
export async function closeBodyPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}
