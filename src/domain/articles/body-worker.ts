/** The body worker thread's entry (see body-pool.ts): one job at a time, plain data in and out. */
import os from 'node:os';
import { runBodyJob, type BodyJob, type BodyOutcome } from './body-work.ts';

// The lowest CPU priority, for this thread alone (Linux applies setpriority to the calling thread; elsewhere it would
// be the whole process, so only there): on a busy machine the event loop, answering readers, gets the cores first.
if (process.platform === 'linux') {
  try {
    os.setPriority(19);
  } catch {
    // Not allowed here: the thread keeps the normal priority.
  }
}

export default function bodyWorker(job: BodyJob): BodyOutcome {
  return runBodyJob(job);
}
