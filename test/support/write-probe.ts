import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One write of the probe: when it ended (ms since the epoch) and how long it waited for the lock. */
export interface ProbeWait {
  at: number;
  ms: number;
}

/**
 * Another process's writer on a SQLite file, as the server is beside a long job (`inkstone reindex`, an import): a
 * thread with its own connection and a busy timeout, writing a row every 5 ms and noting how long each write waited.
 * A write that waited past the busy timeout fails the test where `stop` is awaited, not as an uncaught error.
 */
export async function startWriteProbe(file: string): Promise<{ stop: () => Promise<ProbeWait[]> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const db = new (require(workerData.module))(workerData.file, { timeout: 60000 });
    db.exec('create table if not exists write_probe (at integer)');
    let running = true;
    const waits = [];
    parentPort.on('message', () => { running = false; });
    (function poke() {
      if (!running) { db.close(); return parentPort.postMessage(waits); }
      const t = performance.now();
      db.prepare('insert into write_probe (at) values (?)').run(Date.now());
      waits.push({ at: Date.now(), ms: performance.now() - t });
      setTimeout(poke, 5);
    })();
    parentPort.postMessage('ready');`,
    { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file } },
  );
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => {});
  await Promise.race([new Promise((resolve) => worker.once('message', resolve)), failed]);
  const waits = Promise.race([new Promise<ProbeWait[]>((resolve) => worker.once('message', resolve)), failed]);
  return {
    async stop() {
      worker.postMessage('stop');
      try {
        return await waits;
      } finally {
        await worker.terminate();
      }
    },
  };
}
