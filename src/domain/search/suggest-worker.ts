import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { buildTables, packTables } from './suggest-tables.ts';

// Below the event loop's priority (on Linux a thread has its own nice value; elsewhere it would be the whole process,
// so only there), as body-worker.ts: on a busy machine the thread answering readers gets the cores first.
if (process.platform === 'linux') {
  try {
    os.setPriority(19);
  } catch {
    // Not allowed here: the thread keeps the normal priority.
  }
}

/** Worker thread entry (suggest.ts starts it once per process): builds did-you-mean's tables, posts them packed, ends. */
const packed = packTables(buildTables());
parentPort?.postMessage(packed, [packed.frequencies.buffer]);
