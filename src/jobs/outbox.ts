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
   * Resolves once no work is due that this process could claim, the drafts' work that waits to be due included (tests,
   * and commands that exit).
   */
  async drain(): Promise<void> {
    for (;;) {
      while (this.running) await this.running;
      const now = this.ctx.clock.now();
      if (this.controller.signal.aborted || !(await this.ctx.store.outbox.due(now, now + OUTBOX_LONGEST_WAIT))) return;
      this.wake(OUTBOX_LONGEST_WAIT);
    }
  }

  async stop(): Promise<void> {
    this.controller.abort();
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    while (this.running) await this.running;
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
      await runOutbox(this.ctx, {
        owner: this.owner,
        dueWithin,
        leaseMs: this.options.leaseMs ?? 60_000,
        batch: this.options.batch ?? 16,
        signal: this.controller.signal,
        onError: (item, err) =>
          this.log.error({ err, topic: item.topic, subject: item.subjectId, attempts: item.attempts + 1 }, 'outbox: work failed; it is tried again later'),
      });
    } catch (err) {
      // The database refused a claim (busy, gone): the next wake or poll tries again.
      this.warnOnce(err);
    }
  }

  private warnOnce(err: unknown): void {
    if (Date.now() - this.lastPollError < 60_000) return;
    this.lastPollError = Date.now();
    this.log.warn({ err }, 'outbox: the database did not answer; retrying');
  }
}
