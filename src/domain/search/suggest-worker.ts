import { parentPort } from 'node:worker_threads';
import { buildTables, packTables } from './suggest-tables.ts';

/**
 * Worker thread entry (suggest.ts starts it once per process, at nice 19 on Linux, as body-worker.ts: on a busy machine
 * the event loop answering readers gets the cores first): builds did-you-mean's tables, posts them packed, ends.
 */
const packed = packTables(buildTables());
parentPort?.postMessage(packed, [packed.frequencies.buffer]);
