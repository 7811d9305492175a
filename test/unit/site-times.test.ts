import { describe, expect, it } from 'vitest';
import { formatTime, isoWithOffset, shortTime } from '../../src/web/public/format.ts';

/**
 * The site's times are worked out from a remembered offset per zone and day, not asked of Intl each time: they must
 * be what Intl says, in zones ahead of and behind UTC, at half and quarter hours, and across the days the clocks move.
 */
const ZONES = ['Asia/Shanghai', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/London', 'Australia/Lord_Howe', 'UTC'];

function byIntl(ms: number, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName!.replace('GMT', '');
  return {
    time: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`,
    iso: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`,
  };
}

describe('site times', () => {
  it('agree with Intl in every zone, minute by minute across the days clocks change', () => {
    // 2026-03-08 (New York springs forward), 2026-04-05 (Lord Howe's half hour back), 2026-10-25 (London falls back).
    const days = [Date.UTC(2026, 2, 8), Date.UTC(2026, 3, 4, 12), Date.UTC(2026, 9, 25)];
    for (const timeZone of ZONES) {
      for (const day of days) {
        for (let ms = day - 6 * 3_600_000; ms < day + 30 * 3_600_000; ms += 7 * 60_000 + 13_000) {
          const expected = byIntl(ms, timeZone);
          expect([timeZone, formatTime(ms, timeZone)]).toEqual([timeZone, expected.time]);
          expect([timeZone, isoWithOffset(ms, timeZone)]).toEqual([timeZone, expected.iso]);
        }
      }
    }
  });

  it('agree with Intl over random moments from 1970 to 2100, and before 1970', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 3000; i++) {
      const ms = Math.floor(-1e12 + random() * 5.1e12);
      const timeZone = ZONES[i % ZONES.length]!;
      expect(isoWithOffset(ms, timeZone)).toBe(byIntl(ms, timeZone).iso);
    }
  });

  it('lists print the short time within the site’s year, the date before it', () => {
    const now = Date.UTC(2026, 11, 3, 4);
    expect(shortTime(Date.UTC(2026, 0, 1, 1, 5), 'Asia/Shanghai', now)).toBe('01-01 09:05');
    // 2025-12-31 20:00 UTC is already 2026 in Shanghai, still 2025 in New York.
    expect(shortTime(Date.UTC(2025, 11, 31, 20), 'Asia/Shanghai', now)).toBe('01-01 04:00');
    expect(shortTime(Date.UTC(2025, 11, 31, 20), 'America/New_York', now)).toBe('2025-12-31');
  });
});
