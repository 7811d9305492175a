// Times in the site's time zone (html[data-timezone]): `YYYY-MM-DD HH:mm` as the server prints it, and the short,
// relative form of lists (刚刚, 5分钟前, 今天 06:30, 昨天 06:30, 12-02, 2025-12-02).

import { $$ } from './dom.ts';

const formatters: Record<string, Intl.DateTimeFormat> = {};

/** The site's time zone, as the page says it. */
const siteZone = (): string => (typeof document === 'undefined' ? '' : document.documentElement.dataset.timezone || '');
const pad = (n: number) => (n < 10 ? '0' : '') + n;

interface Parts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
}

function partsOf(d: Date, zone: string): Parts {
  const p: Record<string, string> = {};
  try {
    const formatter = (formatters[zone] =
      formatters[zone] ||
      new Intl.DateTimeFormat('en-US', {
        timeZone: zone || undefined,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hour12: false,
      }));
    for (const x of formatter.formatToParts(d)) p[x.type] = x.value;
    if (p.hour === '24') p.hour = '00'; // some engines print midnight as 24 with hour12:false
  } catch {
    // unknown zone or no formatToParts: the reader's local time
    p.year = String(d.getFullYear());
    p.month = pad(d.getMonth() + 1);
    p.day = pad(d.getDate());
    p.hour = pad(d.getHours());
    p.minute = pad(d.getMinutes());
  }
  return p as unknown as Parts;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = partsOf(d, siteZone());
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The short form of a list's time, relative to `now` (a time ahead of the clock, a skewed device's, is 刚刚). */
export function relativeTime(iso: string, now: number = Date.now(), zone: string = siteZone()): string {
  const d = new Date(iso);
  const ms = d.getTime();
  if (Number.isNaN(ms)) return '';
  const ago = now - ms;
  if (ago < MINUTE) return '刚刚';
  if (ago < 60 * MINUTE) return Math.floor(ago / MINUTE) + '分钟前';
  const p = partsOf(d, zone);
  const today = partsOf(new Date(now), zone);
  const dayOf = (x: Parts) => x.year + x.month + x.day;
  if (dayOf(p) === dayOf(today)) return '今天 ' + p.hour + ':' + p.minute;
  if (ago < 2 * DAY && dayOf(p) === dayOf(partsOf(new Date(now - DAY), zone))) return '昨天 ' + p.hour + ':' + p.minute;
  if (p.year === today.year) return p.month + '-' + p.day;
  return p.year + '-' + p.month + '-' + p.day;
}

/** Marks a list's <time> for relativeTime: the full time stays in its title. */
export function relativeTimeNode(time: HTMLTimeElement): void {
  time.setAttribute('data-relative', '');
  if (!time.title) time.title = formatTime(time.dateTime);
  time.textContent = relativeTime(time.dateTime);
}

/** Lists' times become relative, and stay so while the page is open. */
export function initTimes(): void {
  const update = () => {
    for (const t of $$<HTMLTimeElement>('time[data-relative]')) {
      const text = relativeTime(t.dateTime);
      if (text && t.textContent !== text) t.textContent = text;
    }
  };
  if (!$$('time[data-relative]').length) return;
  update();
  setInterval(update, MINUTE);
}
