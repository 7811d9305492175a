import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { BodyJob, BodyOutcome } from './body-work.ts';

/**
 * One worker thread per process for long article bodies (sanitizing, text, segmentation), started on first use.
 * A single thread: the point is to keep the event loop free for readers, not to save bodies in parallel; jobs queue.
 * An idle pool does not keep the process alive (piscina unrefs idle threads).
 */
let pool: Piscina<BodyJob, BodyOutcome> | undefined;

// The worker loads the TypeScript module the way the app runs: through tsx's loader. `npm start` has it in execArgv,
// but bin/inkstone.js registers it in-process and Vitest transforms modules itself, so it is named explicitly.
const loader = (): string[] => ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];

export function bodyPool(): Piscina<BodyJob, BodyOutcome> {
  pool ??= new Piscina<BodyJob, BodyOutcome>({
    filename: new URL('./body-worker.ts', import.meta.url).href,
    execArgv: loader(),
    minThreads: 1,
    maxThreads: 1,
  });
  return pool;
}

/** Stops the thread (waiting for the job in hand); the next long body starts a new one. */
export async function closeBodyPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}
