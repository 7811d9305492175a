import { normalizeText } from '../nlp/segment.ts';

/**
 * Highlighting in the app, on the original text: each character is normalized on its own (繁→简, width, case)
 * so a match found in normalized form maps back to the characters the reader sees. The output is escaped
 * text with <mark> around matches, the only markup it can contain.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * Each character's normalized form (undefined: not yet known), for the Basic Multilingual Plane by code unit (an
 * array read, not a hash); IDENTITY for the many that normalize to themselves, so their text is copied, not rebuilt.
 */
const IDENTITY = '';
const bmpCache: (string | undefined)[] = new Array<string | undefined>(0x10000).fill(undefined);
const astralCache = new Map<string, string>();

/** The normal form of the character of `text` at `at` (code point `code`); a BMP one is not made into a string when known. */
function normalizeChar(text: string, at: number, code: number): string {
  const astral = code > 0xffff ? text.slice(at, at + 2) : undefined;
  let n = astral === undefined ? bmpCache[code] : astralCache.get(astral);
  if (n === undefined) {
    const c = astral ?? text[at]!;
    const normal = normalizeText(c) || ' ';
    n = normal === c ? IDENTITY : normal;
    if (astral === undefined) bmpCache[code] = n;
    // Bounded: the distinct characters of Chinese text are a few thousand.
    else if (astralCache.size < 50_000) astralCache.set(astral, n);
  }
  return n;
}

interface Mapped {
  /** The text with each run of white space as one space and each lone surrogate as U+FFFD. */
  text: string;
  /** Where each character of text starts (in UTF-16 units), and text's length last. */
  starts: Int32Array;
  /** How many characters text has. */
  length: number;
  norm: string;
  /** For each UTF-16 unit of norm, the index of the character it came from. */
  source: Int32Array;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The text by character and its normalized form, each character normalized on its own, in one pass: a search maps
 * the opening of every hit's body, so this is on the path of every search.
 */
function mapped(original: string): Mapped {
  const text = (SURROGATE.test(original) ? original.replace(/\p{Cs}/gu, '\uFFFD') : original).replace(/\s+/g, ' ');
  const starts = new Int32Array(text.length + 1);
  let source = new Int32Array(text.length);
  let units = 0;
  let length = 0;
  // The normalized text as runs of text copied whole between the characters that change.
  let parts: string[] | undefined;
  let copied = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    const at = length++;
    starts[at] = i;
    const n = normalizeChar(text, i, code);
    const size = n === IDENTITY ? width : n.length;
    if (n !== IDENTITY) {
      parts ??= [];
      parts.push(text.slice(copied, i), n);
      copied = i + width;
    }
    if (units + size > source.length) {
      const grown = new Int32Array(Math.max(source.length * 2, units + size));
      grown.set(source);
      source = grown;
    }
    for (let k = 0; k < size; k++) source[units++] = at;
    i += width;
  }
  starts[length] = text.length;
  const norm = parts ? (parts.push(text.slice(copied)), parts.join('')) : text;
  return { text, starts, length, norm, source };
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

function render(m: Mapped, from: number, to: number, ranges: { start: number; end: number }[]): string {
  const chars = (a: number, b: number) => escapeHtml(m.text.slice(m.starts[a], m.starts[b]));
  let html = '';
  let at = from;
  for (const r of ranges) {
    const start = Math.max(r.start, at);
    const end = Math.min(r.end, to);
    if (end <= start) continue;
    html += chars(at, start) + '<mark>' + chars(start, end) + '</mark>';
    at = end;
  }
  return html + chars(at, to);
}

/** The whole text, escaped, with every match marked. */
export function highlight(text: string, marks: readonly string[]): string {
  const m = mapped(text);
  return render(m, 0, m.length, matches(m, marks));
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
  const length = m.length;
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
    html += render(m, w.start, w.end, found);
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
