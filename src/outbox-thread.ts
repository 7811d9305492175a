import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import type { Ctx } from './domain/context.ts';
import type { ContentChange } from './domain/events.ts';
import type { OutboxOptions } from './jobs/outbox.ts';
import { BUNDLED, packageFile } from './package-files.ts';

type Log = Pick<FastifyBaseLogger, 'warn' | 'error'>;

/** Main thread → outbox thread. */
export type ToOutboxThread = { type: 'wake' } | { type: 'drain'; id: number } | { type: 'stop' };
/** Outbox thread → main thread. */
export type FromOutboxThread = { type: 'ready' } | { type: 'change'; change: ContentChange } | { type: 'drained'; id: number } | { type: 'stopped' };

export interface OutboxThreadData {
  config: Config;
  options: OutboxOptions;
}

/** What the app holds of its outbox's runner, in this thread (jobs/outbox.ts) or in its own (below). */
export interface OutboxWork {
  wake(): void;
  drain(): Promise<void>;
  stop(): Promise<void>;
}

// From the sources (tsx, Vitest) the thread registers tsx's loader itself and then imports its TypeScript entry (given
// `--import tsx`, a worker reads its first import before that loader's hooks are in place); the production build has
// its own bundle (dist/outbox-worker.js, scripts/build.js).
const entry = (): { filename: string; eval: boolean } => {
  if (BUNDLED) return { filename: packageFile('dist/outbox-worker.js'), eval: false };
  // The ESM build of the API, beside the CommonJS one that require finds.
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const main = new URL('./outbox-worker.ts', import.meta.url).href;
  return { filename: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(main)}); })`, eval: true };
};

/**
 * A thread that stopped without being asked is started again after 1 s, then 2, 4 … up to a minute while it keeps
 * failing before it is ready; its claimed work comes back when the claims' lease runs out.
 */
const restartDelay = (failures: number) => Math.min(60_000, 1_000 * 2 ** Math.min(failures, 6));

/**
 * The outbox's work (search entries, related reading, and the offers and list rewrites it makes) in a thread of its
 * own, with its own connection, instead of on the event loop that serves readers. At 20,000 articles one create +
 * publish cost the event loop ~29 ms of CPU, most of it this work: 14 % of the event loop's time at 5 publishes a second,
 * taken from cached pages (issue #12). Here the event loop only wakes the thread after its own commits, and hears back
 * what readers must see changed (the related lists it rewrote), which it purges as if it had made the change itself.
 * The thread runs at a lower CPU priority than the event loop (nice 10, not 19: it takes SQLite's write lock, and a
 * holder starved of CPU would keep the event loop's own writes waiting).
 */
export class OutboxThread implements OutboxWork {
  private worker: Worker | undefined;
  private stopping: Promise<void> | undefined;
  private readonly drains = new Map<number, () => void>();
  private nextDrain = 1;
  /** Starts in a row that ended before the thread was ready. */
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly config: Config,
    private readonly log: Log,
    /** Before a change the thread committed is told to this thread's subscribers: reads after it must see it. */
    private readonly fresh: () => void,
    private readonly options: OutboxOptions = {},
  ) {}

  start(): this {
    this.unsubscribe = this.ctx.events.subscribe((change) => {
      if (change.kind === 'article') this.wake();
    });
    this.spawn();
    return this;
  }

  private spawn(): void {
    const { filename, eval: evaluated } = entry();
    const data: OutboxThreadData = { config: this.config, options: this.options };
    const worker = new Worker(filename, { eval: evaluated, workerData: data, name: 'inkstone-outbox' });
    this.worker = worker;
    worker.on('message', (message: FromOutboxThread) => {
      if (message.type === 'ready') this.failures = 0;
      else if (message.type === 'change') {
        this.fresh();
        this.ctx.events.emit(message.change);
      } else if (message.type === 'drained') {
        this.drains.get(message.id)?.();
        this.drains.delete(message.id);
      }
    });
    worker.on('error', (err) => this.log.error({ err }, 'outbox thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.stopping) return;
      this.log.error({ code }, 'outbox thread stopped; starting it again');
      // Whoever waits for a drain waits for the next thread's.
      this.restartTimer = setTimeout(
        () => {
          this.restartTimer = undefined;
          if (this.stopping) return;
          this.spawn();
          for (const id of this.drains.keys()) this.post({ type: 'drain', id });
        },
        restartDelay(this.failures++),
      );
      this.restartTimer.unref();
    });
  }

  /** The running thread's id (0 while none runs): logs, and tests that follow a restart. */
  get threadId(): number {
    return this.worker?.threadId ?? 0;
  }

  /** Ends the thread as a crash would (tests): it is started again, and its claimed work comes back. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private post(message: ToOutboxThread): void {
    this.worker?.postMessage(message);
  }

  wake(): void {
    if (!this.stopping) this.post({ type: 'wake' });
  }

  /** Resolves once the thread found no work due that it could claim (tests, and a server's first start). */
  drain(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const id = this.nextDrain++;
    return new Promise<void>((resolve) => {
      this.drains.set(id, resolve);
      this.post({ type: 'drain', id });
    });
  }

  /** Stops the thread after the piece of work in hand; what it claimed and did not do comes back to the next runner. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unsubscribe?.();
      if (this.restartTimer) clearTimeout(this.restartTimer);
      for (const resolve of this.drains.values()) resolve();
      this.drains.clear();
      const worker = this.worker;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' } satisfies ToOutboxThread);
      // A thread stuck in a statement past this is ended: its claims come back when their lease runs out.
      const timer = setTimeout(() => void worker.terminate(), 30_000);
      await exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }
}
