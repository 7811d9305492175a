/** The outbox thread's entry (see outbox-thread.ts): its own connection and Ctx, woken by the event loop's commits. */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createContainer } from './container.ts';
import { analyseOnThisThread } from './domain/articles/body.ts';
import { OutboxRunner } from './jobs/outbox.ts';
import type { FromOutboxThread, OutboxThreadData, ToOutboxThread } from './outbox-thread.ts';
import { openDatabase } from './storage/database.ts';
import { readCandidatesOnThisThread } from './storage/related-finder.ts';

const port = parentPort!;
const { config, options } = workerData as OutboxThreadData;

// Below the event loop's priority, above the other helper threads' (outbox-thread.ts says why not the lowest).
if (process.platform === 'linux') {
  try {
    os.setPriority(10);
  } catch {
    // Not allowed here: the thread keeps the normal priority.
  }
}

// This thread is itself off the event loop: its analyses and candidate reads run here rather than in more threads.
analyseOnThisThread();
readCandidatesOnThisThread();

const log = pino({ level: config.logLevel, name: 'outbox' });
// The process's checkpointer already runs beside the event loop's connection; one per file is enough. The work is one
// piece at a time: a few PostgreSQL connections, not the server's pool again.
const database = openDatabase({ ...config, checkpointer: false, poolSize: 3 });
// Its reads are the work's own, on the primary: no replica pool or lag probes here.
const container = createContainer({ config: { ...config, databaseReadUrl: undefined }, database, log });
const send = (message: FromOutboxThread) => port.postMessage(message);
// Changes this thread committed (related lists rewritten) are the event loop's to purge.
container.ctx.events.subscribe((change) => send({ type: 'change', change }));
const runner = new OutboxRunner(container.ctx, log, options).start();
send({ type: 'ready' });

port.on('message', (message: ToOutboxThread) => {
  // The event loop committed before it woke this thread: the reads after this see it.
  database.fresh();
  if (message.type === 'wake') runner.wake();
  else if (message.type === 'drain') void runner.drain().then(() => send({ type: 'drained', id: message.id }));
  else if (message.type === 'stop') {
    void (async () => {
      await runner.stop();
      await container.close();
      await database.close();
      send({ type: 'stopped' });
      port.close();
    })();
  }
});
