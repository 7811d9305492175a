// Times in the site's time zone (Asia/Shanghai by default), whatever the editor's computer says.

export const timeZone = document.body.dataset.timeZone || 'Asia/Shanghai';

// Made once: a list of a hundred articles prints two hundred times, and a formatter costs far more than a format.
const formatter = new Intl.DateTimeFormat('en-CA', {
  timeZone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

const parts = (ms: number) => Object.fromEntries(formatter.formatToParts(ms).map((p) => [p.type, p.value])) as Record<string, string>;

/** 2026-11-29 12:05 */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const ms = typeof value === 'number' ? value : Date.parse(value);
  const p = parts(ms);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** 12月2日 10:31 (with the year, 2025年12月2日 10:31, when it is not this year's). */
export function formatDayTime(value: string | number): string {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  const p = parts(ms);
  const year = p.year === parts(Date.now()).year ? '' : `${p.year}年`;
  return `${year}${Number(p.month)}月${Number(p.day)}日 ${p.hour}:${p.minute}`;
}

export function formatClock(ms: number): string {
  const p = parts(ms);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** A datetime-local value ("2026-11-29T12:05") for a moment, in the site's zone. */
export function toLocalInput(ms: number): string {
  const p = parts(ms);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The moment a datetime-local value names in the site's zone (two passes settle daylight-saving edges). */
export function fromLocalInput(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return NaN;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = parts(guess);
    const shown = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!);
    guess += wall - shown;
  }
  return guess;
}
