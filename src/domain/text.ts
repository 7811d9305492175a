import { invalid } from './errors.ts';
import { cleanLine } from './articles/html.ts';

/** Length as a reader counts it: code points, so one Chinese character or emoji is one. */
export function length(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** A single-line field: cleaned, bounded, optionally required. */
export function lineField(value: string | undefined, field: string, max: number, required = false): string {
  const cleaned = cleanLine(value ?? '');
  if (required && cleaned === '') throw invalid(`${field} must not be empty`, field, 'required');
  if (length(cleaned) > max) throw invalid(`${field} must be at most ${max} characters`, field, 'too_long');
  return cleaned;
}

/** Our own media paths or an absolute http(s) URL; anything else (javascript:, data:, //host) is refused. */
export function imageUrlField(value: string | undefined, field: string): string {
  const v = (value ?? '').trim();
  if (v === '') return '';
  if (v.length > 1000) throw invalid(`${field} is too long`, field, 'too_long');
  if (/^\/media\/[\w./-]+$/.test(v) && !v.includes('..')) return v;
  try {
    const url = new URL(v);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !/[\s"'<>]/.test(v)) return url.href;
  } catch {
    // fall through to the error below
  }
  throw invalid(`${field} must be an http(s) URL or a /media/ path`, field, 'invalid_url');
}
