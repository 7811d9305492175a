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
const offsets = new Map<string, number>();

function lookUpOffset(ms: number, timeZone: string): number {
  const name =
    formatter(timeZone)
      .formatToParts(ms)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
}

function remembered(key: string, find: () => number): number {
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = find();
    // A bounded map, cleared when full (a crawler walking years of archive).
    if (offsets.size > 20_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** How far the zone's clock is ahead of UTC at `ms`, in ms. NaN marks a day whose offset changes within it. */
function zoneOffset(ms: number, timeZone: string): number {
  const day = Math.floor(ms / DAY);
  const whole = remembered(`${timeZone}|d${day}`, () => {
    const start = lookUpOffset(day * DAY, timeZone);
    return lookUpOffset((day + 1) * DAY - 1, timeZone) === start ? start : Number.NaN;
  });
  if (!Number.isNaN(whole)) return whole;
  return remembered(`${timeZone}|${Math.floor(ms / QUARTER_HOUR)}`, () => lookUpOffset(ms, timeZone));
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The wall-clock fields of `ms` in the zone, worked out from its offset (formatToParts on every call was a hot spot). */
function parts(ms: number, timeZone: string) {
  const offset = zoneOffset(ms, timeZone);
  const d = new Date(ms + offset);
  const abs = Math.abs(offset) / 60_000;
  return {
    year: String(d.getUTCFullYear()),
    month: two(d.getUTCMonth() + 1),
    day: two(d.getUTCDate()),
    hour: two(d.getUTCHours()),
    minute: two(d.getUTCMinutes()),
    second: two(d.getUTCSeconds()),
    timeZoneName: `GMT${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`,
  };
}

/** `YYYY-MM-DD HH:mm` in the site's time zone, as Chinese portals print it. */
export function formatTime(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** ISO 8601 with the site zone's offset, for <time datetime> and structured data. */
export function isoWithOffset(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  const offset = p.timeZoneName.replace('GMT', '');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`;
}

/**
 * The short time of a list (phones have no room for `2026-12-02 06:30` beside a headline): `12-02 06:30` within the
 * year, `2025-12-02` before it. Absolute on purpose: cached pages must not say 刚刚 for minutes; the reader script
 * turns it into 刚刚 / 5分钟前 / 今天 06:30 / 12-02 in the browser (src/client/format-time.ts).
 */
export function shortTime(ms: number, timeZone: string, now: number = Date.now()): string {
  const p = parts(ms, timeZone);
  return p.year === parts(now, timeZone).year ? `${p.month}-${p.day} ${p.hour}:${p.minute}` : `${p.year}-${p.month}-${p.day}`;
}
