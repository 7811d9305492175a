import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { FORMAT_MIME, type ImageFormat } from './media.ts';

/** One stored file as it is read back: its bytes as a stream, its length and its type. */
export interface StoredMedia {
  body: Readable;
  /** Bytes of `body`: the whole file, or the range asked for. */
  bytes: number;
  contentType: string;
  /** Bytes of the whole file. */
  totalBytes: number;
  /** Set when `body` is the part of the file asked for: first and last byte, inclusive. */
  range?: { start: number; end: number };
}

/** A range of bytes a reader asked for (video seeking, resumed downloads): from `start` to `end` inclusive, or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

/** A range that starts past the file's end: 416, saying how long the file is. */
export interface RangeNotSatisfiable {
  unsatisfiable: true;
  totalBytes: number;
}

/**
 * The single range of a Range header (`bytes=0-499`, `bytes=500-`, `bytes=-500`). Anything else — several ranges,
 * another unit, a malformed one — is no range, and the whole file is sent with 200, as RFC 9110 allows.
 */
export function parseRange(header: string | undefined): ByteRange | undefined {
  const m = header === undefined ? null : /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return Number(m[2]) > 0 ? { suffix: Number(m[2]) } : undefined;
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/** The first and last byte a range covers in a file of `total` bytes, or undefined when it covers none. */
export function resolveRange(range: ByteRange, total: number): { start: number; end: number } | undefined {
  if ('suffix' in range) return total === 0 ? undefined : { start: Math.max(0, total - range.suffix), end: total - 1 };
  if (range.start >= total) return undefined;
  return { start: range.start, end: Math.min(range.end ?? total - 1, total - 1) };
}

/**
 * Where finished media files live: the media folder on this machine, or a bucket every machine sees
 * (storage/media/). Paths are the variants' own (<yyyy>/<mm>/<key>-<width>.<ext>, demo/<file>), made by the server,
 * never by a request; temporary files (spooled uploads, encodings in progress) stay in the local media folder's tmp
 * and only finished files come here. Every file is immutable: a path is never written twice with other bytes.
 */
export interface MediaStore {
  /** 'local' or 's3', for logs and the start-up line. */
  readonly kind: string;
  /**
   * Puts a finished file under its path with its content type (served with an immutable cache lifetime). The local
   * file may be moved (the local folder renames it) or left (a bucket uploads a copy): the caller removes it either way.
   */
  put(mediaPath: string, localFile: string, contentType: string): Promise<void>;
  /** The file, or undefined when nothing is stored under the path. */
  open(mediaPath: string): Promise<StoredMedia | undefined>;
  /** The range of the file asked for (or all of it when the range covers it), what the range misses, or undefined. */
  open(mediaPath: string, range: ByteRange | undefined): Promise<StoredMedia | RangeNotSatisfiable | undefined>;
  /** Whether a file is stored under the path. */
  exists(mediaPath: string): Promise<boolean>;
  /** Removes the file; removing a path that holds nothing is not an error (a retry, or another machine was first). */
  remove(mediaPath: string): Promise<void>;
}

/** Cache lifetime of every stored file: its path changes whenever its bytes would. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/**
 * True for a path a store may hold: segments of letters, digits, dot, dash and underscore, none starting with a dot (keys are base64url: a dash may lead)
 * (so no "..", no hidden files), at most 8 deep, and never under tmp (uploads in progress are never served or stored).
 */
export function isMediaPath(mediaPath: string): boolean {
  if (mediaPath.length === 0 || mediaPath.length > 400) return false;
  const segments = mediaPath.split('/');
  if (segments.length > 8 || !segments.every((s) => SEGMENT.test(s))) return false;
  return segments[0]!.toLowerCase() !== 'tmp';
}

/** Refuses a path a store must not hold: a programming error, never a reader's input (that is checked with isMediaPath). */
export function checkMediaPath(mediaPath: string): string {
  if (!isMediaPath(mediaPath)) throw new Error(`not a media path: ${JSON.stringify(mediaPath).slice(0, 100)}`);
  return mediaPath;
}

const BY_EXTENSION: Record<string, string> = {
  ...Object.fromEntries(Object.entries(FORMAT_MIME).map(([format, mime]) => [format, mime])),
  jpg: FORMAT_MIME.jpeg,
};

/** The content type of a stored file by its extension (the server chose it when encoding). */
export function contentTypeOf(mediaPath: string): string {
  const ext = mediaPath.slice(mediaPath.lastIndexOf('.') + 1).toLowerCase();
  return BY_EXTENSION[ext as ImageFormat] ?? 'application/octet-stream';
}

/** The entity tag of a stored file: its path never holds other bytes, so the path names its content. */
export function mediaEtag(mediaPath: string): string {
  return `"${createHash('sha256').update(mediaPath).digest('base64url').slice(0, 22)}"`;
}

/** Whether an If-None-Match header (`*`, or a list of tags, weak or strong) names this tag. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
