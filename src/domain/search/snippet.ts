import { normalizeText } from '../nlp/segment.ts';

/**
 * Highlighting in the app, on the original text: each character is normalized on its own (繁→简, width, case)
 * so a match found in normalized form maps back to the characters the reader sees. The output is escaped
 * text with <mark> around matches, the only markup it can contain.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const charCache = new Map<string, string>();

function normalizeChar(c: string): string {
  let n = charCache.get(c);
  if (n === undefined) {
    n = normalizeText(c) || ' ';
    // Bounded: the distinct characters of Chinese text are a few thousand.
    if (charCache.size < 50_000) charCache.set(c, n);
  }
  return n;
}

interface Mapped {
  chars: string[];
  norm: string;
  /** For each UTF-16 unit of norm, the index in chars it came from. */
  source: number[];
}

function mapped(text: string): Mapped {
  const chars = Array.from(text.replace(/\p{Cs}/gu, '\uFFFD').replace(/\s+/g, ' '));
  let norm = '';
  const source: number[] = [];
  chars.forEach((c, i) => {
    const n = normalizeChar(c);
    norm += n;
    for (let k = 0; k < n.length; k++) source.push(i);
  });
  return { chars, norm, source };
}

const LATIN = /[a-z0-9]/;

/** Ranges [start, end) in chars where any mark occurs; Latin marks only as whole words (ai not inside said). */
interface Match {
  start: number;
  end: number;
  mark: string;
}

function matches(m: Mapped, marks: readonly string[]): Match[] {
  const out: Match[] = [];
  for (const mark of marks) {
    if (mark === '') continue;
    const latinStart = LATIN.test(mark[0]!);
    const latinEnd = LATIN.test(mark[mark.length - 1]!);
    for (let i = m.norm.indexOf(mark); i >= 0; i = m.norm.indexOf(mark, i + 1)) {
      const j = i + mark.length;
      if (latinStart && i > 0 && LATIN.test(m.norm[i - 1]!)) continue;
      if (latinEnd && j < m.norm.length && LATIN.test(m.norm[j]!)) continue;
      out.push({ start: m.source[i]!, end: m.source[j - 1]! + 1, mark });
    }
  }
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

function render(chars: string[], from: number, to: number, ranges: { start: number; end: number }[]): string {
  let html = '';
  let at = from;
  for (const r of ranges) {
    const start = Math.max(r.start, at);
    const end = Math.min(r.end, to);
    if (end <= start) continue;
    html += escapeHtml(chars.slice(at, start).join('')) + '<mark>' + escapeHtml(chars.slice(start, end).join('')) + '</mark>';
    at = end;
  }
  return html + escapeHtml(chars.slice(at, to).join(''));
}

/** The whole text, escaped, with every match marked. */
export function highlight(text: string, marks: readonly string[]): string {
  const m = mapped(text);
  return render(m.chars, 0, m.chars.length, matches(m, marks));
}

/** The window of `size` characters around the marks with the most different marks in it (first such one). */
function bestWindow(found: Match[], marks: Set<string>, length: number, size: number): { start: number; covered: Set<string> } | undefined {
  const lead = Math.floor(size / 6);
  let best: { start: number; covered: Set<string>; score: number } | undefined;
  // A common mark can occur hundreds of times; windows starting at the first few hundred are plenty to choose from.
  for (const f of found.slice(0, 200)) {
    if (!marks.has(f.mark)) continue;
    const start = Math.max(0, Math.min(f.start - lead, length - size));
    const inside = found.filter((g) => g.start >= start && g.end <= start + size && marks.has(g.mark));
    const covered = new Set(inside.map((g) => g.mark));
    const score = covered.size * 1000 + inside.length;
    if (!best || score > best.score) best = { start, covered, score };
  }
  return best;
}

/**
 * A passage of about `size` characters with the most different marks in it, escaped and marked, with … where
 * text was cut; when some marks occur only far away, a shorter second passage shows them. Undefined when no
 * mark occurs in the text.
 */
export function snippet(text: string, marks: readonly string[], size = 120): string | undefined {
  const m = mapped(text.trim());
  const found = matches(m, marks);
  if (found.length === 0) return undefined;
  const length = m.chars.length;
  const first = bestWindow(found, new Set(found.map((f) => f.mark)), length, size)!;
  const windows = [{ start: first.start, end: Math.min(length, first.start + size) }];
  const missing = new Set(found.map((f) => f.mark).filter((mark) => !first.covered.has(mark)));
  const second = missing.size > 0 ? bestWindow(found, missing, length, Math.floor(size / 2)) : undefined;
  if (second) {
    const w = { start: second.start, end: Math.min(length, second.start + Math.floor(size / 2)) };
    // Overlapping passages merge into one; otherwise they show in text order.
    if (w.start <= windows[0]!.end && w.end >= windows[0]!.start)
      windows[0] = { start: Math.min(w.start, windows[0]!.start), end: Math.max(w.end, windows[0]!.end) };
    else windows.push(w);
    windows.sort((a, b) => a.start - b.start);
  }
  let html = '';
  let at = 0;
  for (const w of windows) {
    if (w.start > at) html += '…';
    html += render(m.chars, w.start, w.end, found);
    at = w.end;
  }
  return at < length ? html + '…' : html;
}

/** The start of a text as a snippet, escaped, for articles matched only by title or tags. */
export function lead(text: string, size = 120): string {
  const chars = Array.from(
    text
      .trim()
      .replace(/\p{Cs}/gu, '\uFFFD')
      .replace(/\s+/g, ' '),
  );
  return escapeHtml(chars.slice(0, size).join('')) + (chars.length > size ? '…' : '');
}
