// `YYYY-MM-DD HH:mm` in the site's time zone (html[data-timezone]), as the server prints it.

let formatter: Intl.DateTimeFormat | undefined;
const pad = (n: number) => (n < 10 ? '0' : '') + n;

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p: Record<string, string> = {};
  try {
    formatter =
      formatter ||
      new Intl.DateTimeFormat('en-US', {
        timeZone: document.documentElement.dataset.timezone || undefined,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hour12: false,
      });
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
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
}
