import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../../domain/errors.ts';
import { deleteMedia, describeMedia, DESCRIPTION_LIMITS, getMedia, listMedia } from '../../domain/media/library.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { mediaDetailOut, mediaItemOut } from '../presenters/media.ts';
import { IdParams } from './schemas.ts';

const LibraryQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 100 })),
    uploader: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(Type.String({ format: 'date', maxLength: 10 })),
    to: Type.Optional(Type.String({ format: 'date', maxLength: 10 })),
    cursor: Type.Optional(Type.String({ maxLength: 32 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 40 }),
  },
  { additionalProperties: false },
);

const DescribeBody = Type.Object(
  {
    caption: Type.Optional(Type.String({ maxLength: DESCRIPTION_LIMITS.caption * 4 })),
    alt: Type.Optional(Type.String({ maxLength: DESCRIPTION_LIMITS.alt * 4 })),
    credit: Type.Optional(Type.String({ maxLength: DESCRIPTION_LIMITS.credit * 4 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** The site's day boundaries: a date in the library's filter is a day in Asia/Shanghai (UTC+8, no DST). */
const SITE_OFFSET_MS = 8 * 3600_000;
const dayStart = (date: string, field: string): number => {
  const t = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(t)) throw invalid(`${field} must be a date (YYYY-MM-DD)`, field, 'invalid_date');
  return t - SITE_OFFSET_MS;
};

/** Cursors are the last id seen, base36 in base64url, so clients treat them as opaque. */
const encodeCursor = (id: number) => Buffer.from(`m${id.toString(36)}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const m = /^m([0-9a-z]{1,7})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const id = m ? parseInt(m[1]!, 36) : NaN;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || !Number.isSafeInteger(id) || id < 1)
    throw invalid('cursor is not one this server gave out', 'cursor', 'invalid_cursor');
  return id;
}

/** The picture library: GET /media (search, filters, keyset pages), GET/PATCH/DELETE /media/:id. */
export function mediaLibraryRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.get('/media', { config: AUTH_REQUIRED, schema: { querystring: LibraryQuery } }, async (req) => {
    const { q, uploader, from, to, cursor, limit } = req.query;
    const fromMs = from ? dayStart(from, 'from') : undefined;
    // `to` is inclusive: the whole of that day.
    const toMs = to ? dayStart(to, 'to') + 24 * 3600_000 : undefined;
    if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw invalid('from must be before to', 'from', 'invalid_range');
    let uploaderId: number | undefined;
    if (uploader) {
      const account = await ctx.store.accounts.findByUsername(uploader);
      // Nobody by that name uploaded anything.
      if (!account) return { items: [], next: null };
      uploaderId = account.id;
    }
    const items = await listMedia(ctx, req.actor, { q, uploaderId, from: fromMs, to: toMs, beforeId: cursor ? decodeCursor(cursor) : undefined, limit });
    return { items: items.map((m) => mediaItemOut(m, req.actor)), next: items.length === limit ? encodeCursor(items[items.length - 1]!.id) : null };
  });

  api.get('/media/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) => {
    const { media, usedBy } = await getMedia(ctx, req.actor, req.params.id);
    return mediaDetailOut(media, usedBy, req.actor);
  });

  api.patch('/media/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: DescribeBody } }, async (req) => {
    await describeMedia(ctx, req.actor, req.params.id, req.body);
    const { media, usedBy } = await getMedia(ctx, req.actor, req.params.id);
    return mediaDetailOut(media, usedBy, req.actor);
  });

  api.delete('/media/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await deleteMedia(ctx, req.actor, req.params.id);
    return reply.code(204).send();
  });
}
