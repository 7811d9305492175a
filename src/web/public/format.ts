const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
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
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Offsets change (DST, zone history) only at quarter hours, and on few days: one Intl call per zone and day tells
 * whether the day's offset holds from its start to its end, and only a day where it changes is looked up by quarter hour.
 */
const QUARTER_HOUR = 15 * 60_000;
const DAY = 86_400_000;
/** Per zone: a day's offset by day number (NaN: it changes within the day), and such a day's by quarter hour. */
const offsets = new Map<string, { days: Map<number, number>; quarters: Map<number, number> }>();

function lookUpOffset(ms: number, timeZone: string): number {
  const name =
    formatter(timeZone)
      .formatToParts(ms)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
}

/** Numbers for keys: a page prints dozens of times, and a string key made for each was most of their cost. */
function remembered(table: Map<number, number>, key: number, find: () => number): number {
  let offset = table.get(key);
  if (offset === undefined) {
    offset = find();
    // A bounded map, cleared when full (a crawler walking years of archive).
    if (table.size > 20_000) table.clear();
    table.set(key, offset);
  }
  return offset;
}

/** How far the zone's clock is ahead of UTC at `ms`, in ms. */
function zoneOffset(ms: number, timeZone: string): number {
  let zone = offsets.get(timeZone);
  if (!zone) {
    zone = { days: new Map(), quarters: new Map() };
    offsets.set(timeZone, zone);
  }
  const day = Math.floor(ms / DAY);
  const whole = remembered(zone.days, day, () => {
    const start = lookUpOffset(day * DAY, timeZone);
    return lookUpOffset((day + 1) * DAY - 1, timeZone) === start ? start : Number.NaN;
  });
  if (!Number.isNaN(whole)) return whole;
  return remembered(zone.quarters, Math.floor(ms / QUARTER_HOUR), () => lookUpOffset(ms, timeZone));
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The zone's wall clock at `ms` as a Date read through its UTC fields (formatToParts on every call was a hot spot). */
function wallClock(ms: number, timeZone: string): { at: Date; offset: number } {
  const offset = zoneOffset(ms, timeZone);
  return { at: new Date(ms + offset), offset };
}

const ymd = (d: Date) => `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
const hm = (d: Date) => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;

const full = (at: Date) => `${ymd(at)} ${hm(at)}`;
const short = (at: Date, thisYear: number) => (at.getUTCFullYear() === thisYear ? `${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())} ${hm(at)}` : ymd(at));

function iso(at: Date, offset: number): string {
  const minutes = Math.abs(offset) / 60_000;
  return `${ymd(at)}T${hm(at)}:${two(at.getUTCSeconds())}${offset < 0 ? '-' : '+'}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

/** `YYYY-MM-DD HH:mm` in the site's time zone, as Chinese portals print it. */
export function formatTime(ms: number, timeZone: string): string {
  return full(wallClock(ms, timeZone).at);
}

/** ISO 8601 with the site zone's offset, for <time datetime> and structured data. */
export function isoWithOffset(ms: number, timeZone: string): string {
  const { at, offset } = wallClock(ms, timeZone);
  return iso(at, offset);
}

/**
 * The short time of a list (phones have no room for `2026-12-02 06:30` beside a headline): `12-02 06:30` within the
 * year, `2025-12-02` before it. Absolute on purpose: cached pages must not say 刚刚 for minutes; the reader script
 * turns it into 刚刚 / 5分钟前 / 今天 06:30 / 12-02 in the browser (src/client/format-time.ts).
 */
export function shortTime(ms: number, timeZone: string, now: number = Date.now()): string {
  return short(wallClock(ms, timeZone).at, wallClock(now, timeZone).at.getUTCFullYear());
}

/**
 * A list's time in the three forms its <time> prints (isoWithOffset, formatTime, shortTime), from one reading of the
 * zone's clock: a page lists a few dozen.
 */
export function listTime(ms: number, timeZone: string, now: number = Date.now()): { iso: string; full: string; short: string } {
  const { at, offset } = wallClock(ms, timeZone);
  return { iso: iso(at, offset), full: full(at), short: short(at, wallClock(now, timeZone).at.getUTCFullYear()) };
}
