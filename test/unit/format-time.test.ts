import { describe, expect, it } from 'vitest';
import { formatTime, isoWithOffset, shortTime } from '../../src/web/public/format.ts';

/** The times pages print, worked out from cached zone offsets, agree with Intl's own answer at every instant. */
describe('reader page times', () => {
  const reference = (ms: number, timeZone: string) => {
    const p: Record<string, string> = {};
    const f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    for (const { type, value } of f.formatToParts(ms)) p[type] = value;
    const offset = (p.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
    return { time: `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`, iso: `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}` };
  };

  it('matches Intl in zones with and without daylight saving, across their transitions', () => {
    const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'];
    // Every 7 minutes 13 seconds through 2026's spring and autumn transitions, and a random spread of years.
    const instants: number[] = [];
    for (const start of [Date.UTC(2026, 2, 7), Date.UTC(2026, 9, 24), Date.UTC(2026, 3, 4)]) {
      for (let t = start; t < start + 3 * 86_400_000; t += 433_000) instants.push(t);
    }
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      instants.push(Date.UTC(1990, 0, 1) + (x / 2 ** 31) * 50 * 365 * 86_400_000);
      // And before 1970 (negative days and quarter hours, Shanghai's summer time of 1986-1991 among them).
      instants.push(Date.UTC(1940, 0, 1) + (x / 2 ** 31) * 52 * 365 * 86_400_000);
    }
    for (const zone of zones) {
      for (const ms of instants) {
        const want = reference(ms, zone);
        expect(formatTime(ms, zone), `${zone} ${ms}`).toBe(want.time);
        expect(isoWithOffset(ms, zone), `${zone} ${ms}`).toBe(want.iso);
      }
    }
  });

  it('lists print the short time within the site’s year, the date before it, the year read in the site’s zone', () => {
    const now = Date.UTC(2026, 11, 3, 4);
    expect(shortTime(Date.UTC(2026, 0, 1, 1, 5), 'Asia/Shanghai', now)).toBe('01-01 09:05');
    // 2025-12-31 20:00 UTC is already 2026 in Shanghai, still 2025 in New York.
    expect(shortTime(Date.UTC(2025, 11, 31, 20), 'Asia/Shanghai', now)).toBe('01-01 04:00');
    expect(shortTime(Date.UTC(2025, 11, 31, 20), 'America/New_York', now)).toBe('2025-12-31');
  });
});
