import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One write of the probe: when it ended (ms since the epoch) and how long it waited for the lock. */
export interface ProbeWait {
  at: number;
  ms: number;
}

export interface ProbeOptions {
  /** Pause between two writes. */
  everyMs?: number;
  /** The connection's busy timeout (the server's is 5 s; a probe waits longer, to measure). */
  busyTimeoutMs?: number;
  /** Told of each wait over a second as it ends (a benchmark prints them). */
  onLongWait?: (wait: ProbeWait) => void;
}

/**
 * Another process's writer on a SQLite file, as the server is beside a long job (`inkstone reindex`, an import, the
 * related-reading backlog): a thread with its own connection and a busy timeout takes the write lock (and gives it
 * back) every few milliseconds, noting how long each take waited. Tests and benchmarks (bench/support.ts) use it.
 * A take that waited past the busy timeout fails where `stop` is awaited, not as an uncaught error.
 */
export async function startWriteProbe(
  file: string,
  { everyMs = 5, busyTimeoutMs = 60_000, onLongWait }: ProbeOptions = {},
): Promise<{ stop: () => Promise<ProbeWait[]> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const db = new (require(workerData.module))(workerData.file, { timeout: workerData.busyTimeoutMs });
    let running = true;
    const waits = [];
    parentPort.on('message', () => { running = false; });
    (function poke() {
      if (!running) { db.close(); return parentPort.postMessage({ waits }); }
      const t = performance.now();
      db.exec('begin immediate');
      db.exec('rollback');
      const wait = { at: Date.now(), ms: performance.now() - t };
      waits.push(wait);
      if (wait.ms > 1000) parentPort.postMessage({ long: wait });
      setTimeout(poke, workerData.everyMs);
    })();
    parentPort.postMessage({ ready: true });`,
    { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file, everyMs, busyTimeoutMs } },
  );
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => {});
  let ready: () => void = () => {};
  let done: (waits: ProbeWait[]) => void = () => {};
  const started = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const waits = Promise.race([
    new Promise<ProbeWait[]>((resolve) => {
      done = resolve;
    }),
    failed,
  ]);
  worker.on('message', (m: { ready?: true; long?: ProbeWait; waits?: ProbeWait[] }) => {
    if (m.ready) ready();
    else if (m.long) onLongWait?.(m.long);
    else if (m.waits) done(m.waits);
  });
  await Promise.race([started, failed]);
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
