import type { Config } from '../config.ts';
import { ManualClock } from '../domain/clock.ts';
import type { Ctx } from '../domain/context.ts';
import { MemoryHitCounter } from '../domain/reactions/hits.ts';
import { castVote, recordView } from '../domain/reactions/service.ts';

/** A small deterministic generator, so every fresh demo shows the same rankings. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Readers' moods and reads for the demo, cast through the same services as real ones over the days since each
 * article appeared, so the emotion ranking and most-read lists have something to show on a fresh install.
 */
export async function seedDemoReactions(ctx: Ctx, config: Config, articles: { id: number; publishedAt: number }[]): Promise<number> {
  const now = ctx.clock.now();
  const clock = new ManualClock(now);
  // Caps off and counters of its own: the demo's readers all come from a handful of made-up addresses.
  const reactions = { moods: config.moods, capPerHour: 0, newReadersPerHour: 0, burstPerMinute: 0, secret: config.secret, hits: new MemoryHitCounter() };
  const demoCtx = { ...ctx, clock, reactions };
  const next = random(20261129);
  let votes = 0;
  for (const article of articles) {
    const ageHours = Math.max(1, (now - article.publishedAt) / 3600_000);
    // Newer stories draw more readers; each reads from its own address over the hours since publication.
    const readers = Math.round(4 + next() * 24 * Math.min(1, 72 / ageHours));
    const favourite = Math.floor(next() * config.moods.length);
    for (let r = 0; r < readers; r++) {
      clock.set(article.publishedAt + Math.floor(next() * Math.min(ageHours, 24 * 7)) * 3600_000 + 60_000);
      if (clock.now() > now) clock.set(now);
      const address = `198.51.${article.id % 250}.${r + 1}`;
      await recordView(demoCtx, { articleId: article.id, readerId: null, address, userAgent: 'Mozilla/5.0 (demo reader)' });
      if (next() < 0.45) {
        const mood = config.moods[next() < 0.6 ? favourite : Math.floor(next() * config.moods.length)]!.key;
        await castVote(demoCtx, { articleId: article.id, mood, readerId: null, address });
        votes++;
      }
    }
  }
  return votes;
}
