import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../../domain/errors.ts';
import {
  deleteLiveEntry,
  editLiveEntry,
  entryEtag,
  IDEMPOTENCY_KEY_MAX,
  LIVE_LIMITS,
  liveForNewsroom,
  postLiveEntry,
  setLiveStatus,
} from '../../domain/live/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { liveStatusOut, newsroomLive, newsroomLiveEntry } from '../presenters/live.ts';
import { ifMatch } from './articles.ts';
import { IdParams, MAX_ID } from './schemas.ts';

const EntryParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID }), entryId: Type.Integer({ minimum: 1, maximum: MAX_ID }) });
const StatusBody = Type.Object({ status: Type.Union([Type.Literal('live'), Type.Literal('ended')]) }, { additionalProperties: false });
// Lengths are checked again in code points by the domain; these bound the bytes before any work.
const Quote = Type.Union([
  Type.Object(
    { text: Type.String({ maxLength: LIVE_LIMITS.quote * 2 }), source: Type.Optional(Type.String({ maxLength: LIVE_LIMITS.quoteSource * 2 })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const entryFields = {
  body: Type.Optional(Type.String({ maxLength: LIVE_LIMITS.body * 2 })),
  quote: Type.Optional(Quote),
  images: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: MAX_ID }), { maxItems: LIVE_LIMITS.images })),
  pinned: Type.Optional(Type.Boolean()),
};
const EntryBody = Type.Object(entryFields, { additionalProperties: false });
/** Entries are short: anything larger is refused (413) before it is parsed. */
const ENTRY_BODY_LIMIT = 32 * 1024;

/** Visible ASCII, as the IETF draft's keys (UUIDs, random tokens) are. */
const KEY_SHAPE = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_MAX}}$`);

/** The request's `Idempotency-Key` header, if it sent one; a malformed one is refused (400). */
function idempotencyKey(req: FastifyRequest): string | undefined {
  const value = req.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY_SHAPE.test(value))
    throw invalid(`Idempotency-Key is 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters, sent once`, 'Idempotency-Key', 'invalid_input');
  return value;
}

/** 图文直播 in the newsroom: make an article a live, post, edit, pin and delete entries, close it. */
export function liveRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.get('/articles/:id/live', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) => {
    const { article, stream, entries } = await liveForNewsroom(ctx, req.actor, req.params.id);
    return newsroomLive(stream, entries, req.actor, article);
  });

  api.put('/articles/:id/live', { config: AUTH_REQUIRED, schema: { params: IdParams, body: StatusBody }, bodyLimit: 1024 }, async (req) =>
    liveStatusOut(await setLiveStatus(ctx, req.actor, req.params.id, req.body.status)),
  );

  api.post(
    '/articles/:id/live/entries',
    { config: AUTH_REQUIRED, schema: { params: IdParams, body: EntryBody }, bodyLimit: ENTRY_BODY_LIMIT },
    async (req, reply) => {
      // A retry with the key of a post that committed answers that entry as the first answer did (201), marked replayed.
      const { entry, replayed } = await postLiveEntry(ctx, req.actor, req.params.id, req.body, idempotencyKey(req));
      const article = await ctx.store.articles.findWithBody(req.params.id, { bodyHtml: '', bodyText: '' });
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(201)
        .header('etag', entryEtag(entry))
        .send(newsroomLiveEntry(entry, req.actor, article!));
    },
  );

  api.patch(
    '/articles/:id/live/entries/:entryId',
    { config: AUTH_REQUIRED, schema: { params: EntryParams, body: EntryBody }, bodyLimit: ENTRY_BODY_LIMIT },
    async (req, reply) => {
      const entry = await editLiveEntry(ctx, req.actor, req.params.id, req.params.entryId, req.body, ifMatch(req));
      const article = await ctx.store.articles.findWithBody(req.params.id, { bodyHtml: '', bodyText: '' });
      return reply.header('etag', entryEtag(entry)).send(newsroomLiveEntry(entry, req.actor, article!));
    },
  );

  api.delete('/articles/:id/live/entries/:entryId', { config: AUTH_REQUIRED, schema: { params: EntryParams } }, async (req, reply) => {
    await deleteLiveEntry(ctx, req.actor, req.params.id, req.params.entryId, ifMatch(req));
    return reply.code(204).send();
  });
}
