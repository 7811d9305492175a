import { describe, expect, it } from 'vitest';
import { cacheControlUntil } from '../../src/web/page-cache.ts';

describe('Cache-Control of a page that holds until a time (a poll open until it closes)', () => {
  const now = Date.UTC(2026, 11, 7, 12, 0, 0, 400);

  it('lets no cache keep or serve the page past that time', () => {
    // 90.6 s left: fresh for a minute, then stale-while-revalidate for the 30 whole seconds that remain, not 300.
    expect(cacheControlUntil('public, max-age=60, stale-while-revalidate=300', now + 90_600, now)).toBe('public, max-age=60, stale-while-revalidate=30');
    // 1.9 s left: one second, no stale serving at all.
    expect(cacheControlUntil('public, max-age=60, stale-while-revalidate=300', now + 1_900, now)).toBe('public, max-age=1');
    // A shared cache's own lifetime is cut too, and stale serving counts from the longer of the two.
    expect(cacheControlUntil('public, max-age=10, s-maxage=600, stale-if-error=60', now + 120_000, now)).toBe('public, max-age=10, s-maxage=120');
  });

  it('counts from the render on an answer that says its Age: less the age, the lifetimes end by that time, within their own', () => {
    // 1.9 s left of a page 3 s old: max-age=4, which a cache counts from the render.
    expect(cacheControlUntil('public, max-age=60, stale-while-revalidate=300', now + 1_900, now, 3)).toBe('public, max-age=4');
    // 90.6 s left of a page 5 s old: the minute from the render as it was, then stale for the 35 s that remain.
    expect(cacheControlUntil('public, max-age=60, stale-while-revalidate=300', now + 90_600, now, 5)).toBe('public, max-age=60, stale-while-revalidate=35');
    // Past the time: nothing beyond the age, so nothing left.
    expect(cacheControlUntil('public, max-age=60', now - 5_000, now, 7)).toBe('public, max-age=7');
  });

  it('says max-age=0 once the time has come or passed, and leaves other directives as they are', () => {
    expect(cacheControlUntil('public, max-age=60, stale-while-revalidate=300', now + 999, now)).toBe('public, max-age=0');
    expect(cacheControlUntil('public, max-age=60', now - 5_000, now)).toBe('public, max-age=0');
    expect(cacheControlUntil('public, max-age=30', now + 3_600_000, now)).toBe('public, max-age=30');
    expect(cacheControlUntil('public, no-transform', now + 3_600_000, now)).toBe('public, no-transform');
  });
});
