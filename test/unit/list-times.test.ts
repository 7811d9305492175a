import { describe, expect, it } from 'vitest';
import { relativeTime } from '../../src/client/format-time.ts';
import { shortTime } from '../../src/web/public/format.ts';

const SH = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);

/** Lists' times (issue #16): short on the server (cacheable), relative in the browser, both in the site's zone. */
describe('list times', () => {
  it('the server prints MM-DD HH:mm within the year and the date before it', () => {
    const now = at('2026-12-02T10:00:00');
    expect(shortTime(at('2026-12-02T06:30:00'), SH, now)).toBe('12-02 06:30');
    expect(shortTime(at('2026-01-01T00:00:00'), SH, now)).toBe('01-01 00:00');
    expect(shortTime(at('2025-12-31T23:59:00'), SH, now)).toBe('2025-12-31');
    // The zone decides the day and the year: 16:30 UTC on 31 December is already next year in Shanghai.
    expect(shortTime(Date.UTC(2025, 11, 31, 16, 30), SH, at('2026-06-01T00:00:00'))).toBe('01-01 00:30');
    expect(shortTime(Date.UTC(2025, 11, 31, 16, 30), 'UTC', Date.UTC(2026, 5, 1))).toBe('2025-12-31');
  });

  it('the browser says 刚刚, N分钟前, 今天, 昨天, MM-DD or the date, in the site’s zone', () => {
    const now = at('2026-12-02T10:00:00');
    const rel = (local: string) => relativeTime(new Date(at(local)).toISOString(), now, SH);
    expect(rel('2026-12-02T09:59:30')).toBe('刚刚');
    expect(rel('2026-12-02T10:05:00')).toBe('刚刚'); // a device clock behind the server's
    expect(rel('2026-12-02T09:55:00')).toBe('5分钟前');
    expect(rel('2026-12-02T09:00:01')).toBe('59分钟前');
    expect(rel('2026-12-02T06:30:00')).toBe('今天 06:30');
    expect(rel('2026-12-02T00:00:00')).toBe('今天 00:00');
    expect(rel('2026-12-01T23:59:00')).toBe('昨天 23:59');
    expect(rel('2026-11-30T12:00:00')).toBe('11-30');
    expect(rel('2025-12-02T06:30:00')).toBe('2025-12-02');
    // 01:00 in Shanghai is still the previous day in UTC: the site's zone, not the device's, decides 今天.
    const early = at('2026-12-02T01:00:00');
    expect(relativeTime(new Date(at('2026-12-01T23:00:00')).toISOString(), early, SH)).toBe('昨天 23:00');
    expect(relativeTime(new Date(at('2026-12-02T00:30:00')).toISOString(), early, SH)).toBe('30分钟前');
    expect(relativeTime('not a time', now, SH)).toBe('');
  });
});
