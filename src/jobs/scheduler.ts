import type { FastifyBaseLogger } from 'fastify';
import { fillRelatedLists } from '../domain/articles/related.ts';
import { publishDueArticles } from '../domain/articles/service.ts';
import { purgeTrash } from '../domain/articles/trash.ts';
import type { Ctx } from '../domain/context.ts';

export const SCHEDULE_TICK_MS = 15_000;
/** The 回收站 keeps articles 30 days; looking hourly purges each within an hour of its time. */
export const PURGE_TICK_MS = 60 * 60_000;

/**
 * Kept 相关阅读 lists set aside by a change are made again within this (a page reads them from their parts meanwhile);
 * with none to make, a tick is one probe of an empty partial index.
 */
export const LISTS_TICK_MS = 2_000;

/** Runs `job` every `everyMs` and at once, never two runs of it at a time in this process. */
function every(everyMs: number, job: () => Promise<void>): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await job();
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}

/**
 * Publishes scheduled articles as their time comes and purges the 回收站; safe with several app processes: each
 * publication is a compare-and-set, each purge a delete that only one of them gets to count (see purgeTrash).
 */
export function startScheduler(ctx: Ctx, log: FastifyBaseLogger, tickMs = SCHEDULE_TICK_MS, purgeTickMs = PURGE_TICK_MS): () => void {
  const stopPublishing = every(tickMs, async () => {
    try {
      const ids = await publishDueArticles(ctx, (id, err) => log.warn({ id, reason: err.message }, 'a scheduled article due now cannot be published'));
      if (ids.length) log.info({ ids }, 'published scheduled articles');
    } catch (err) {
      log.error({ err }, 'scheduled publishing failed');
    }
  });
  const stopPurging = every(purgeTickMs, async () => {
    try {
      const purged = await purgeTrash(ctx);
      if (purged.length) log.info({ ids: purged.map((a) => a.id) }, 'purged articles deleted more than 30 days ago');
    } catch (err) {
      log.error({ err }, 'purging the trash failed');
    }
  });
  const stopLists = every(LISTS_TICK_MS, async () => {
    try {
      const started = Date.now();
      const kept = await fillRelatedLists(ctx);
      // A first start after the migration makes every list once: said in the log, as the other backlogs are.
      if (kept >= 1_000) log.info({ kept, seconds: Math.round((Date.now() - started) / 1000) }, 'related reading: lists kept');
    } catch (err) {
      log.error({ err }, 'keeping related lists failed');
    }
  });
  return () => {
    stopPublishing();
    stopPurging();
    stopLists();
  };
}
