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
  timings: Partial<Record<keyof typeof bulkTimings, number>>;
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
 * An import's batch scoring (related-bulk.ts) in a thread of its own, with its own read connection to `source`, so the
 * import's thread does other work meanwhile: on PostgreSQL the batch's transaction writes its articles, revisions and
 * search entries and waits for the lists only before it writes them; on SQLite (whose transaction holds the database's
 * write lock) the import's thread reads and maps the posts after the batch before its transaction begins. The
 * thread's reads see the archive as committed (the batch itself is named by provisional ids). One thread, one task at
 * a time, in the order asked: a batch's `written` before the next one's scoring. A scoring that fails rejects (the
 * import then scores on its own thread); once closed, it takes no task.
 */
export function scoringThread(source: ApartSource): BatchScoring {
  const pool = new Piscina<ScoringTask, ScoringAnswer>({ ...worker(), minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY });
  // The thread's time by step, added to this process's (bench/import.ts prints them).
  const add = (timings: ScoringAnswer['timings']) => {
    for (const [step, ms] of Object.entries(timings)) bulkTimings[step as keyof typeof bulkTimings] += ms;
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
