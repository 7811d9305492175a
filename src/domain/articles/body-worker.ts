/** The body worker thread's entry (see body-pool.ts): one job at a time, plain data in and out. */
import { lowestThreadPriority } from '../../thread-priority.ts';
import { runBodyJob, type BodyJob, type BodyOutcome } from './body-work.ts';

lowestThreadPriority();

export default function bodyWorker(job: BodyJob): BodyOutcome {
  return runBodyJob(job);
}
