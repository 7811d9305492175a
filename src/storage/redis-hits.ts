import type { Redis } from 'ioredis';
import { MemoryHitCounter, windowKey, type HitCounter } from '../domain/reactions/hits.ts';
import { redisDriver } from './drivers.ts';

/**
 * Hit counters shared by every app process through Redis (INCR + PEXPIRE in one round trip). While Redis cannot
 * be reached each process counts in its own memory instead: the caps loosen to per-process, and voting never waits.
 */
export class RedisHitCounter implements HitCounter {
  private readonly redis: Redis;
  private readonly fallback = new MemoryHitCounter();

  constructor(
    url: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    // No offline queue and a short command timeout: a vote must not hang on a Redis that is down or slow.
    this.redis = new (redisDriver().Redis)(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, connectTimeout: 2000 });
    this.redis.on('error', (err: Error) => this.onError(err));
  }

  async hit(key: string, windowMs: number, now: number): Promise<number> {
    if (this.redis.status !== 'ready') return this.fallback.hitNow(key, windowMs, now);
    const k = `inkstone:${windowKey(key, windowMs, now)}`;
    try {
      const replies = await this.redis
        .multi()
        .incr(k)
        .pexpire(k, windowMs + 60_000)
        .exec();
      const [err, n] = replies?.[0] ?? [new Error('no reply from Redis'), null];
      if (err) throw err;
      return Number(n);
    } catch (err) {
      this.onError(err as Error);
      return this.fallback.hitNow(key, windowMs, now);
    }
  }

  /** Resolves once connected (or after `ms`), so a fresh process shares its caps from its first vote. */
  async ready(ms = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
    await this.fallback.close();
  }
}
