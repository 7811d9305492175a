/**
 * Fixed-window hit counters for the anti-stuffing caps and the read de-duplication. In one process they live in
 * memory; with REDIS_URL every process shares them (storage/redis-hits.ts).
 */
export interface HitCounter {
  /** Adds one hit to `key` in the window of `windowMs` that contains `now`; returns the hits so far in that window. */
  hit(key: string, windowMs: number, now: number): Promise<number>;
  close(): Promise<void>;
}

/** Window-qualified key: the window's index is part of it, so a new window starts from zero on its own. */
export const windowKey = (key: string, windowMs: number, now: number): string => `${key}:${windowMs}:${Math.floor(now / windowMs)}`;

export class MemoryHitCounter implements HitCounter {
  private readonly hits = new Map<string, { n: number; until: number }>();
  private sinceSweep = 0;

  async hit(key: string, windowMs: number, now: number): Promise<number> {
    return this.hitNow(key, windowMs, now);
  }

  /** Synchronous form, also the fallback while Redis is unreachable. */
  hitNow(key: string, windowMs: number, now: number): number {
    if (++this.sinceSweep >= 10_000) this.sweep(now);
    const k = windowKey(key, windowMs, now);
    const entry = this.hits.get(k);
    if (entry) return ++entry.n;
    this.hits.set(k, { n: 1, until: (Math.floor(now / windowMs) + 1) * windowMs });
    return 1;
  }

  /** Drops windows that have ended, so memory follows the traffic of the current windows only. */
  private sweep(now: number): void {
    this.sinceSweep = 0;
    for (const [k, v] of this.hits) if (v.until <= now) this.hits.delete(k);
  }

  async close(): Promise<void> {
    this.hits.clear();
  }
}
