import type { FastifyBaseLogger } from 'fastify';
import { publishDueArticles } from '../domain/articles/service.ts';
import type { Ctx } from '../domain/context.ts';

export const SCHEDULE_TICK_MS = 15_000;

/** Publishes scheduled articles as their time comes; safe with several app processes (each claim is atomic). */
export function startScheduler(ctx: Ctx, log: FastifyBaseLogger, tickMs = SCHEDULE_TICK_MS): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const ids = await publishDueArticles(ctx);
      if (ids.length) log.info({ ids }, 'published scheduled articles');
    } catch (err) {
      log.error({ err }, 'scheduled publishing failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
