import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { deleteLiveEntry, editLiveEntry, entryEtag, LIVE_LIMITS, liveForNewsroom, postLiveEntry, setLiveStatus } from '../../domain/live/service.ts';
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
      const entry = await postLiveEntry(ctx, req.actor, req.params.id, req.body);
      const article = await ctx.store.articles.findWithBody(req.params.id, { bodyHtml: '', bodyText: '' });
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
