import { ARTICLE_INDEXING, ARTICLE_RELATED, indexArticleNow, relateArticleNow } from './articles/indexing.ts';
import { OUTBOX_LONGEST_WAIT } from './articles/outbox-topics.ts';
import type { Ctx } from './context.ts';
import type { OutboxItem } from './store.ts';

/** The work behind each outbox topic. Work is done from the subject as it is when it runs, so doing it twice is harmless. */
const HANDLERS: Record<string, (ctx: Ctx, subjectId: number) => Promise<void>> = {
  [ARTICLE_INDEXING]: indexArticleNow,
  [ARTICLE_RELATED]: async (ctx, id) => {
    // Its page was purged at the commit and may have been rendered since with the related reading of before.
    if (await relateArticleNow(ctx, id)) ctx.events.emit({ kind: 'related', id });
  },
};

export { OUTBOX_LONGEST_WAIT };

/** Topics claimed only when no other work is due: related reading waits for every search entry queued before it. */
const CLAIMED_LAST: readonly string[] = [ARTICLE_RELATED];
/** Topics whose work queues more (a search entry's run queues the article's related reading). */
const QUEUES_MORE: readonly string[] = [ARTICLE_INDEXING];

export interface OutboxPass {
  /** Who claims (process and host), shown in the table while a row is held. */
  owner: string;
  /** How long a claim holds: past it, a row whose process died is claimed again. */
  leaseMs: number;
  /** Rows claimed at a time. */
  batch: number;
  /** Told about every failure; the row comes back after its back-off. */
  onError?: (item: OutboxItem, err: unknown) => void;
  /** Stops between two pieces of work; what was claimed and not done comes back when the lease runs out. */
  signal?: AbortSignal;
  /** Also claims the work that comes due within this many milliseconds (a drain: OUTBOX_LONGEST_WAIT). */
  dueWithin?: number;
}

/** After a failure a row waits 2 s, 4 s, 8 s … up to 10 minutes, and is never dropped: a lost index entry is a lost story. */
export function retryDelay(attempts: number): number {
  return Math.min(10 * 60_000, 1000 * 2 ** Math.min(attempts + 1, 20));
}

/**
 * Claims and does the outbox's due work until none is left; returns how many rows it completed. Rows about the same
 * subject claimed together are done once. Safe with any number of processes doing the same (leases; SKIP LOCKED on
 * PostgreSQL), and after a crash (a row is deleted only once its work has committed).
 */
export async function runOutbox(ctx: Ctx, pass: OutboxPass): Promise<number> {
  let completed = 0;
  while (!pass.signal?.aborted) {
    const now = ctx.clock.now();
    const items = await ctx.store.outbox.claim(pass.owner, now, pass.leaseMs, pass.batch, CLAIMED_LAST, now + (pass.dueWithin ?? 0));
    if (items.length === 0) break;
    const bySubject = new Map<string, OutboxItem[]>();
    for (const item of items) {
      const key = `${item.topic}\u0000${item.subjectId}`;
      const group = bySubject.get(key);
      if (group) group.push(item);
      else bySubject.set(key, [item]);
    }
    const done: number[] = [];
    const failed = new Set<number>();
    // The quick work first; then one piece of the slower work per claim: what is left goes back (below), and the next
    // claim takes any search entry that came due meanwhile before it.
    const slow = (group: OutboxItem[]) => CLAIMED_LAST.includes(group[0]!.topic);
    const groups = [...bySubject.values()].sort((a, b) => Number(slow(a)) - Number(slow(b)));
    let slowDone = false;
    for (const group of groups) {
      if (pass.signal?.aborted || (slowDone && slow(group))) break;
      slowDone ||= slow(group);
      const [first] = group as [OutboxItem, ...OutboxItem[]];
      try {
        const handler = HANDLERS[first.topic];
        if (!handler) throw new Error(`No handler for outbox topic "${first.topic}" (written by a newer version?)`);
        // The same work queued for the subject since the claim is served by this run, which reads the subject after this.
        completed += await ctx.store.outbox.absorb(
          first.topic,
          first.subjectId,
          group.map((i) => i.id),
          ctx.clock.now(),
        );
        await handler(ctx, first.subjectId);
        done.push(...group.map((i) => i.id));
      } catch (err) {
        for (const item of group) {
          failed.add(item.id);
          pass.onError?.(item, err);
          await ctx.store.outbox.fail(item.id, ctx.clock.now() + retryDelay(item.attempts), err instanceof Error ? err.message : String(err));
        }
      }
    }
    await ctx.store.outbox.complete(done);
    completed += done.length;
    // Stopped midway, or the slower work's turn is over: what is left goes back at once rather than when the lease runs out.
    const left = items.filter((i) => !done.includes(i.id) && !failed.has(i.id));
    if (left.length) await ctx.store.outbox.release(left.map((i) => i.id));
    // Fewer rows than asked for: nothing else was due at the claim. When nothing was left and the work done queued none,
    // another claim would find nothing (a statement per pass): work committed meanwhile in this process wakes its runner
    // for another pass, and other processes' work, or a draft's coming due, is found by the next poll.
    if (items.length < pass.batch && left.length === 0 && !items.some((i) => QUEUES_MORE.includes(i.topic) && done.includes(i.id))) break;
  }
  return completed;
}

/**
 * Does the work due now in this process (and the drafts' work that waits to be due), for a process that exits (a CLI
 * command) or must not serve before it is done (the demo's first start): failures stay in the outbox for the server to
 * retry.
 */
export function drainOutbox(ctx: Ctx, onError?: OutboxPass['onError']): Promise<number> {
  return runOutbox(ctx, { owner: `drain:${process.pid}`, leaseMs: 60_000, batch: 50, dueWithin: OUTBOX_LONGEST_WAIT, ...(onError ? { onError } : {}) });
}
