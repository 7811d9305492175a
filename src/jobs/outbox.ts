import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Ctx } from '../domain/context.ts';
import { OUTBOX_LONGEST_WAIT, runOutbox } from '../domain/outbox.ts';

type Log = Pick<FastifyBaseLogger, 'warn' | 'error'>;

export interface OutboxOptions {
  /** How often an idle process asks whether other processes left work (their crash, a retry coming due). */
  pollMs?: number;
  leaseMs?: number;
  batch?: number;
  /** The search indexes settle (SearchIndex.settle) after work was done, at most once in so many milliseconds. */
  settleMs?: number;
}

/**
 * Does the outbox's work in an app process: at once after a change this process committed (woken by its content
 * event), and otherwise every `pollMs` for work left by others — a process that died, a retry whose back-off ran out.
 * One pass at a time; a wake during a pass runs another after it.
 */
export class OutboxRunner {
  /** host:pid:random, so two processes never share a claim even with the same pid on two machines. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastPollError = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  private settling: Promise<void> | undefined;
  private lastSettle = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly log: Log,
    private readonly options: OutboxOptions = {},
  ) {}

  start(): this {
    this.unsubscribe = this.ctx.events.subscribe((change) => {
      if (change.kind === 'article') this.wake();
    });
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.wake();
    // What an earlier process wrote and left unmerged (it stopped within its interval) is folded in now.
    this.settleSoon();
    return this;
  }

  /** `dueWithin`: also the work that comes due within so many milliseconds (a drain). */
  wake(dueWithin = 0): void {
    if (this.controller.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass(dueWithin).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /**
   * Resolves once no work is due that this process could claim, the drafts' work that waits to be due included, and the
   * search indexes have settled after it (tests, and commands that exit).
   */
  async drain(): Promise<void> {
    for (;;) {
      while (this.running) await this.running;
      const now = this.ctx.clock.now();
      if (this.controller.signal.aborted || !(await this.ctx.store.outbox.due(now, now + OUTBOX_LONGEST_WAIT))) break;
      this.wake(OUTBOX_LONGEST_WAIT);
    }
    await this.settleWaiting();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    while (this.running) await this.running;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    await this.settling;
  }

  private async poll(): Promise<void> {
    if (this.running) return;
    try {
      if (await this.ctx.store.outbox.due(this.ctx.clock.now())) this.wake();
    } catch (err) {
      this.warnOnce(err);
    }
  }

  private async pass(dueWithin: number): Promise<void> {
    try {
      const completed = await runOutbox(this.ctx, {
        owner: this.owner,
        dueWithin,
        leaseMs: this.options.leaseMs ?? 60_000,
        batch: this.options.batch ?? 16,
        signal: this.controller.signal,
        onError: (item, err) =>
          this.log.error({ err, topic: item.topic, subject: item.subjectId, attempts: item.attempts + 1 }, 'outbox: work failed; it is tried again later'),
      });
      if (completed > 0) this.settleSoon();
    } catch (err) {
      // The database refused a claim (busy, gone): the next wake or poll tries again.
      this.warnOnce(err);
    }
  }

  /**
   * The search entries just written are folded into their indexes (on PostgreSQL the GIN pending list, which every
   * search reads whole, is merged): at once after a quiet spell, else once the interval since the last time is up, so a
   * busy newsroom's entries are merged together. Never two at once.
   */
  private settleSoon(): void {
    if (this.settleTimer || this.controller.signal.aborted) return;
    const wait = Math.max(0, this.lastSettle + (this.options.settleMs ?? 5000) - Date.now());
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.settle();
    }, wait);
    this.settleTimer.unref();
  }

  /** Settles now what waits to be (drain): the searches that follow read no pending entry of this process's work. */
  private async settleWaiting(): Promise<void> {
    if (!this.settleTimer) return this.settling;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    await this.settle();
  }

  /** Both indexes, one after the other on one pooled connection (not two taken from the readers at once); one run at a time. */
  private async settle(): Promise<void> {
    while (this.settling) await this.settling;
    this.lastSettle = Date.now();
    const { search, draftSearch } = this.ctx.store;
    this.settling = search
      .settle()
      .then(() => draftSearch.settle())
      .then(
        () => undefined,
        (err: unknown) => this.warnOnce(err),
      )
      .finally(() => {
        this.settling = undefined;
      });
    await this.settling;
  }

  private warnOnce(err: unknown): void {
    if (Date.now() - this.lastPollError < 60_000) return;
    this.lastPollError = Date.now();
    this.log.warn({ err }, 'outbox: the database did not answer; retrying');
  }
}
