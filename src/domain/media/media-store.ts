import type { Readable } from 'node:stream';
import { FORMAT_MIME, type ImageFormat } from './media.ts';

/** One stored file as it is read back: its bytes as a stream, its length and its type. */
export interface StoredMedia {
  body: Readable;
  bytes: number;
  contentType: string;
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
