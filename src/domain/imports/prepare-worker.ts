/** The import's worker thread entry (see prepare-pool.ts): a batch of posts in, their prepared bodies and search fields out. */
import { preparePosts, type PrepareJob, type PrepareOutcome } from './prepare-work.ts';

export default function prepareWorker(jobs: PrepareJob[]): PrepareOutcome[] {
  return preparePosts(jobs);
}
