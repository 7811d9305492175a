import os from 'node:os';

/**
 * Gives the calling worker thread the lowest CPU priority (nice 19), for that thread alone: Linux applies setpriority to
 * the calling thread; elsewhere it would be the whole process, so only there. Called at the top of a worker thread's
 * entry: on a busy machine the event loop, answering readers, gets the cores first. Where it is not allowed the thread
 * keeps the normal priority.
 */
export function lowestThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(19);
  } catch {
    // Not allowed here: the thread keeps the normal priority.
  }
}
