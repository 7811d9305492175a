import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { PrepareJob, PrepareOutcome } from './prepare-work.ts';

/**
 * Worker threads for an import (one per core): sanitizing and segmenting a post takes milliseconds, and an archive has
 * hundreds of thousands of them. Started by the import and closed when it ends; the main thread keeps the file and the
 * database.
 */
export function preparePool(): { run: (jobs: PrepareJob[]) => Promise<PrepareOutcome[]>; close: () => Promise<void> } {
  // As the body pool does: the worker loads TypeScript through tsx's loader, however this process was started.
  const loader = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
  const threads = Math.max(1, os.availableParallelism());
  const pool = new Piscina<PrepareJob[], PrepareOutcome[]>({
    filename: new URL('./prepare-worker.ts', import.meta.url).href,
    execArgv: loader,
    minThreads: threads,
    maxThreads: threads,
  });
  return { run: (jobs) => pool.run(jobs), close: () => pool.close() };
}
