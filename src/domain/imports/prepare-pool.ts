import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { BUNDLED, packageFile } from '../../package-files.ts';
import type { PrepareJob, PrepareOutcome } from './prepare-work.ts';

/**
 * Worker threads for an import (one per core): sanitizing and segmenting a post takes milliseconds, and an archive has
 * hundreds of thousands of them. Started by the import and closed when it ends; the main thread keeps the file and the
 * database.
 */
export function preparePool(): { run: (jobs: PrepareJob[]) => Promise<PrepareOutcome[]>; warm: () => Promise<void>; close: () => Promise<void> } {
  // As the body pool does: from the sources the worker loads TypeScript through tsx's loader, however this process was
  // started; the production build has the worker's own bundle (dist/prepare-worker.js).
  const worker = BUNDLED
    ? { filename: pathToFileURL(packageFile('dist/prepare-worker.js')).href, execArgv: [] }
    : {
        filename: new URL('./prepare-worker.ts', import.meta.url).href,
        execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href],
      };
  const threads = Math.max(1, os.availableParallelism());
  const pool = new Piscina<PrepareJob[], PrepareOutcome[]>({
    ...worker,
    minThreads: threads,
    maxThreads: threads,
  });
  // One small post per thread: each loads its segmenter's dictionaries, the tagger and the sanitizer before the first batch.
  const sample: PrepareJob = { html: '<p>预热：北京市人民政府发布通知。</p>', title: '预热', summary: '', tags: ['预热'], related: true };
  return {
    run: (jobs) => pool.run(jobs),
    warm: async () => {
      await Promise.all(Array.from({ length: threads }, () => pool.run([sample])));
    },
    close: () => pool.close(),
  };
}
