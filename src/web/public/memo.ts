import type { Ctx } from '../../domain/context.ts';

interface Entry {
  expires: number;
  value: Promise<unknown>;
}

const memos = new WeakMap<Ctx, Map<string, Entry>>();

/**
 * Forgets every memo of the site: called on every page-cache purge, here or heard from another app process, so a
 * page re-rendered after a purge never shows what the purge was for.
 */
export function forgetPublicMemos(ctx: Ctx): void {
  memos.get(ctx)?.clear();
}

/**
 * What every reader page shows alike and what changes by the minute (rankings, the latest articles): computed at most
 * once per `ttlMs` per process — an uncached render does not redo the queries — and again at once after a change
 * readers can see. A failed computation is not kept, nor does it drop a newer one made meanwhile.
 */
export function publicMemo<T>(ctx: Ctx, key: string, ttlMs: number, compute: () => Promise<T>): Promise<T> {
  let table = memos.get(ctx);
  if (!table) {
    const created = new Map<string, Entry>();
    memos.set(ctx, created);
    ctx.events.subscribe((change) => {
      if (change.kind !== 'article' || change.public) created.clear();
    });
    table = created;
  }
  const now = ctx.clock.now();
  const hit = table.get(key);
  if (hit && hit.expires > now) return hit.value as Promise<T>;
  const value = compute();
  const entry = { expires: now + ttlMs, value };
  table.set(key, entry);
  const owner = table;
  value.catch(() => {
    if (owner.get(key) === entry) owner.delete(key);
  });
  return value;
}
