import { invalid } from '../domain/errors.ts';
import type { FeedPosition } from '../domain/articles/article.ts';

/** Opaque feed cursors: the (publishedAt, id) of the last item seen, base64url so clients do not parse them. */
export function encodeCursor(p: FeedPosition): string {
  return Buffer.from(`${p.publishedAt.toString(36)}.${p.id.toString(36)}`).toString('base64url');
}

export function decodeCursor(cursor: string): FeedPosition {
  const bad = invalid('cursor is not one this server gave out', 'cursor', 'invalid_cursor');
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad;
  const match = /^([0-9a-z]{1,12})\.([0-9a-z]{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match) throw bad;
  const publishedAt = parseInt(match[1]!, 36);
  const id = parseInt(match[2]!, 36);
  if (!Number.isSafeInteger(publishedAt) || !Number.isSafeInteger(id)) throw bad;
  return { publishedAt, id };
}
