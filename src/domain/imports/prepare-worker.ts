/** The import's worker thread entry (see prepare-pool.ts): a batch of posts in, their prepared bodies and search fields out. */
import { lowestThreadPriority } from '../../thread-priority.ts';
import { preparePosts, type PrepareJob, type PrepareOutcome } from './prepare-work.ts';

// The lowest CPU priority for this thread alone. An import is bound by its main thread (the file, the scoring, the SQL;
// on PostgreSQL the server's processes too) and the workers keep ahead of it: at normal priority they took a core from
// it whenever more threads were ready than two cores run. Niced, 20,000 posts (bench/import.ts, the two alternated):
// SQLite 376 / 367 / 370 / 329 → 425 / 388 / 386 / 342 posts/s, PostgreSQL 185 → 201. In the server (the 导入 page)
// readers' requests get the cores first.
lowestThreadPriority();

export default function prepareWorker(jobs: PrepareJob[]): PrepareOutcome[] {
  // Thousands of posts per worker: the body cut once pays for the dictionary's table (the pool's warm-up builds it).
  return preparePosts(jobs, true);
}
