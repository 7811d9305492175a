import type { FastifyBaseLogger } from 'fastify';
import { publishDueArticles } from '../domain/articles/service.ts';
import { purgeTrash } from '../domain/articles/trash.ts';
import type { Ctx } from '../domain/context.ts';

export const SCHEDULE_TICK_MS = 15_000;
/** The 回收站 keeps articles 30 days; looking hourly purges each within an hour of its time. */
export const PURGE_TICK_MS = 60 * 60_000;

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
      const ids = await publishDueArticles(ctx);
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
  return () => {
    stopPublishing();
    stopPurging();
  };
}
