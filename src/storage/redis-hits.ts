import { Redis } from 'ioredis';
import { MemoryHitCounter, windowKey, type HitCounter } from '../domain/reactions/hits.ts';

/**
 * Hit counters shared by every app process through Redis (INCR + PEXPIRE in one round trip). While Redis cannot
 * be reached each process falls back to counting in its own memory: the caps loosen to per-process, voting goes on.
 */
export class RedisHitCounter implements HitCounter {
  private readonly redis: Redis;
  private readonly fallback = new MemoryHitCounter();

  constructor(
    url: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
    this.redis.on('error', (err: Error) => this.onError(err));
  }

  async hit(key: string, windowMs: number, now: number): Promise<number> {
    const k = `inkstone:${windowKey(key, windowMs, now)}`;
    try {
      const replies = await this.redis.multi().incr(k).pexpire(k, windowMs + 60_000).exec();
      const [err, n] = replies?.[0] ?? [new Error('no reply from Redis'), null];
      if (err) throw err;
      return Number(n);
    } catch (err) {
      this.onError(err as Error);
      return this.fallback.hitNow(key, windowMs, now);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.fallback.close();
  }
}
