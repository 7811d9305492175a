import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../domain/accounts/roles.ts';
import type { Article } from '../../domain/articles/article.ts';
import { Type } from 'typebox';
import {
  articleRevisions,
  createArticle,
  articleMadeBefore,
  getArticle,
  publishArticle,
  returnArticle,
  scheduleArticle,
  submitArticle,
  unpublishArticle,
  updateArticle,
  LIMITS,
} from '../../domain/articles/service.ts';
import { type ReturnNote, returnNotes } from '../../domain/articles/returned.ts';
import { restoreRevision } from '../../domain/articles/revisions.ts';
import { ARCHIVE_LIMIT, listArchive } from '../../domain/articles/archive.ts';
import { ARCHIVE_SORTS } from '../../domain/articles/article.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { heldKey, idempotentCreate } from '../idempotency.ts';
import { archiveItem, newsroomArticle, revisionOut } from '../presenters/articles.ts';
import { EmptyBody, IdParams, MAX_ID } from './schemas.ts';

const text = (max: number) => Type.String({ maxLength: max });

const fields = {
  title: Type.String({ minLength: 1, maxLength: LIMITS.title }),
  subtitle: text(LIMITS.subtitle),
  channel: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ maxLength: LIMITS.bodyBytes }),
  summary: text(LIMITS.summary),
  source: text(LIMITS.source),
  byline: text(LIMITS.byline),
  editor: text(LIMITS.editor),
  tags: Type.Array(Type.String({ maxLength: LIMITS.tag }), { maxItems: LIMITS.tags }),
  cover: text(1000),
};

const CreateBody = Type.Object(
  {
    title: fields.title,
    channel: fields.channel,
    body: fields.body,
    subtitle: Type.Optional(fields.subtitle),
    summary: Type.Optional(fields.summary),
    source: Type.Optional(fields.source),
    byline: Type.Optional(fields.byline),
    editor: Type.Optional(fields.editor),
    tags: Type.Optional(fields.tags),
    cover: Type.Optional(fields.cover),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    title: Type.Optional(fields.title),
    channel: Type.Optional(fields.channel),
    body: Type.Optional(fields.body),
    subtitle: Type.Optional(fields.subtitle),
    summary: Type.Optional(fields.summary),
    source: Type.Optional(fields.source),
    byline: Type.Optional(fields.byline),
    editor: Type.Optional(fields.editor),
    tags: Type.Optional(fields.tags),
    cover: Type.Optional(fields.cover),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** `publishedAt`: keep the first publication time (default), `now`, or a time in the past (ISO 8601). */
const PublishBody = Type.Union([
  Type.Object(
    { publishedAt: Type.Optional(Type.Union([Type.Literal('keep'), Type.Literal('now'), Type.String({ format: 'date-time', maxLength: 40 })])) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const ScheduleBody = Type.Object({ at: Type.String({ format: 'date-time', maxLength: 40 }) }, { additionalProperties: false });
const ReturnBody = Type.Object({ comment: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });
const RevisionParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID }), n: Type.Integer({ minimum: 1, maximum: MAX_ID }) });
/** The archive (稿件库) and every other newsroom list: filters, a sort, a keyset cursor. Values are checked for meaning in the domain. */
const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    // One or several: repeated (status=draft&status=submitted) or comma-separated.
    status: Type.Optional(Type.Array(Type.String({ maxLength: 80 }), { maxItems: 5 })),
    mine: Type.Optional(Type.Boolean()),
    channel: Type.Optional(Type.String({ maxLength: 200 })),
    author: Type.Optional(Type.String({ maxLength: 64 })),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    hasImage: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Type.Union([...ARCHIVE_SORTS, 'relevance' as const].map((s) => Type.Literal(s)))),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Integer({ minimum: ARCHIVE_LIMIT.min, maximum: ARCHIVE_LIMIT.max, default: ARCHIVE_LIMIT.default }),
    // Legacy id paging (before the cursor): only articles with a lower id.
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })),
  },
  { additionalProperties: false },
);

/**
 * The revision an If-Match header names: `"7"` (or `W/"7"`, as our ETags read). No header or `*` names none (the last
 * write wins); anything else names a revision that cannot be current, so the write is refused.
 */
export function ifMatch(req: FastifyRequest): number | undefined {
  const raw = req.headers['if-match'];
  if (raw === undefined) return undefined;
  const value = String(raw).trim();
  if (value === '*') return undefined;
  const m = /^(?:W\/)?"(\d{1,10})"$/.exec(value);
  return m ? Number(m[1]) : -1;
}

/** Articles in the newsroom: the list, writing and editing, the workflow (submit, return, publish, schedule, unpublish), revisions. */
export function articleRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);
  const present = (a: Article, actor: Actor, returned?: ReturnNote) => newsroomArticle(a, config.siteUrl, actor, returned);
  // Every answer about one article names its revision, for the next write's If-Match, and a standing return note.
  const one = async (reply: FastifyReply, a: Article, actor: Actor) => {
    reply.header('etag', `"${a.revision}"`);
    return present(a, actor, (await returnNotes(ctx, [a])).get(a.id));
  };

  api.get('/articles', { config: AUTH_REQUIRED, schema: { querystring: ListQuery } }, async (req) => {
    const page = await listArchive(ctx, req.actor, { ...req.query, timeZone: config.timeZone });
    // The reporter's dashboard marks returned drafts: one query for the page's notes.
    const returned = await returnNotes(
      ctx,
      page.hits.map((h) => h.article),
    );
    return {
      items: page.hits.map((h) => archiveItem(h, config.siteUrl, req.actor, returned.get(h.article.id))),
      next: page.next,
      ...(page.total !== undefined ? { total: page.total } : {}),
      ...(page.query ? { capped: page.capped } : {}),
    };
  });

  const created = async (reply: FastifyReply, article: Article, actor: Actor) =>
    reply
      .code(201)
      .header('location', `/api/v1/articles/${article.id}`)
      .send(await one(reply, article, actor));
  // A retry after a crash between the article's commit and its answer being kept, or after its key's day (the key is
  // kept with the article for good): the article as it is now, or why it is no more.
  const remake = async (req: FastifyRequest, reply: FastifyReply, id: number) => created(reply, await articleMadeBefore(ctx, req.actor, id), req.actor);
  // A kept answer is not given again about an article deleted since: the retry is told where it went.
  const stillThere = (req: FastifyRequest, id: number) => articleMadeBefore(ctx, req.actor, id);
  api.post('/articles', { config: idempotentCreate(remake, stillThere), schema: { body: CreateBody } }, async (req, reply) =>
    created(reply, await createArticle(ctx, req.actor, req.body, heldKey(req)), req.actor),
  );

  api.get('/articles/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) =>
    one(reply, await getArticle(ctx, req.actor, req.params.id), req.actor),
  );

  api.patch('/articles/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: PatchBody } }, async (req, reply) =>
    one(reply, await updateArticle(ctx, req.actor, req.params.id, req.body, 'edit', '', ifMatch(req)), req.actor),
  );

  api.post('/articles/:id/publish', { config: AUTH_REQUIRED, schema: { params: IdParams, body: Type.Optional(PublishBody) } }, async (req, reply) => {
    const at = req.body?.publishedAt ?? 'keep';
    const when = at === 'keep' || at === 'now' ? at : Date.parse(at);
    return one(reply, await publishArticle(ctx, req.actor, req.params.id, ifMatch(req), undefined, when), req.actor);
  });

  for (const [name, run] of [
    ['submit', submitArticle],
    ['unpublish', unpublishArticle],
  ] as const) {
    api.post(`/articles/:id/${name}`, { config: AUTH_REQUIRED, schema: { params: IdParams, body: Type.Optional(EmptyBody) } }, async (req, reply) =>
      one(reply, await run(ctx, req.actor, req.params.id, ifMatch(req)), req.actor),
    );
  }

  api.post('/articles/:id/schedule', { config: AUTH_REQUIRED, schema: { params: IdParams, body: ScheduleBody } }, async (req, reply) =>
    one(reply, await scheduleArticle(ctx, req.actor, req.params.id, Date.parse(req.body.at), ifMatch(req)), req.actor),
  );

  // Back to its reporter with a comment, which the revision keeps as its note.
  api.post('/articles/:id/return', { config: AUTH_REQUIRED, schema: { params: IdParams, body: ReturnBody } }, async (req, reply) =>
    one(reply, await returnArticle(ctx, req.actor, req.params.id, req.body.comment, ifMatch(req)), req.actor),
  );

  api.get('/articles/:id/revisions', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) => {
    const revisions = await articleRevisions(ctx, req.actor, req.params.id);
    return { items: revisions.map(revisionOut) };
  });

  api.post(
    '/articles/:id/revisions/:n/restore',
    { config: AUTH_REQUIRED, schema: { params: RevisionParams, body: Type.Optional(EmptyBody) } },
    async (req, reply) => one(reply, await restoreRevision(ctx, req.actor, req.params.id, req.params.n, ifMatch(req)), req.actor),
  );
}
