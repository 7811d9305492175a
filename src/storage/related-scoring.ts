import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { BatchScoring, ComputedList, RelatedDocument, ScoredArticle } from '../domain/articles/related-reading.ts';
import { bulkTimings } from '../domain/articles/related-bulk.ts';
import { BUNDLED, packageFile } from '../package-files.ts';
import type { ApartSource } from './related-finder.ts';

/** What crosses to the scoring thread: a batch to score, or the ids the last one scored was written under. */
export type ScoringTask = { source: ApartSource } & (
  | { kind: 'score'; articles: readonly ScoredArticle[]; docs: readonly RelatedDocument[] }
  | { kind: 'written'; ids: readonly (number | undefined)[] }
);

/** What the thread answers: a scoring's lists (none for `written`), and its time by step since its last answer. */
export interface ScoringAnswer {
  lists?: Map<number, ComputedList>;
  timings: Partial<typeof bulkTimings>;
}

// From the sources (tsx, Vitest) the thread loads TypeScript through tsx's loader, as the body pool's do; the build has
// its own bundle (dist/related-scoring-worker.js, scripts/build.js).
const worker = (): { filename: string; execArgv: string[] } =>
  BUNDLED
    ? { filename: pathToFileURL(packageFile('dist/related-scoring-worker.js')).href, execArgv: [] }
    : {
        filename: new URL('./related-scoring-worker.ts', import.meta.url).href,
        execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href],
      };

/**
 * An import's batch scoring (related-bulk.ts) in a thread of its own, with its own read connection to `source`. On
 * SQLite the import's transactions hold the thread that runs them for their whole length: scored there, a batch waited
 * for its transaction and the transaction for the scoring, one core idle. Here the thread scores a batch while the
 * import's thread writes its articles, revisions and search entries; the transaction waits for the lists only before
 * it writes them. The thread's reads see the archive as committed (the batch being written is not, and is not read:
 * the lists name it by provisional ids). One thread, one task at a time, in the order asked: a batch's `written`
 * before the next one's scoring. A thread that fails is replaced by one that reads the archive afresh.
 */
export function scoringThread(source: ApartSource): BatchScoring {
  const pool = new Piscina<ScoringTask, ScoringAnswer>({ ...worker(), minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY });
  const add = (timings: ScoringAnswer['timings']) => {
    for (const [step, ms] of Object.entries(timings)) {
      const key = step as keyof typeof bulkTimings;
      bulkTimings[key] = key === 'longestWrite' ? Math.max(bulkTimings[key], ms ?? 0) : bulkTimings[key] + (ms ?? 0);
    }
  };
  // Piscina starts a thread again for a task given after close(): a closed scoring takes none.
  let closed = false;
  return {
    async score(articles, docs) {
      if (closed) throw new Error('the related scoring thread is closed');
      const answer = await pool.run({ source, kind: 'score', articles, docs });
      add(answer.timings);
      return answer.lists ?? new Map();
    },
    written(ids) {
      // A failure shows in the next scoring's answer (a thread replaced has no batch to remember).
      if (!closed) pool.run({ source, kind: 'written', ids }).catch(() => undefined);
    },
    close() {
      closed = true;
      return pool.close({ force: true });
    },
  };
}
