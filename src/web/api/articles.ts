import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  articleRevisions,
  createArticle,
  getArticle,
  listNewsroomArticles,
  publishArticle,
  scheduleArticle,
  submitArticle,
  unpublishArticle,
  updateArticle,
  LIMITS,
} from '../../domain/articles/service.ts';
import { ARTICLE_STATUSES } from '../../domain/articles/status.ts';
import { requireActor } from '../auth.ts';
import { newsroomArticle, revisionOut } from '../presenters/articles.ts';
import { typed, type WebDeps } from './context.ts';

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

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
const EmptyBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]);
const ScheduleBody = Type.Object({ at: Type.String({ format: 'date-time', maxLength: 40 }) }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(ARTICLE_STATUSES.map((s) => Type.Literal(s)))),
    mine: Type.Optional(Type.Boolean()),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 30 }),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export function articleRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);
  const present = (a: Parameters<typeof newsroomArticle>[0]) => newsroomArticle(a, config.siteUrl);
  const actorOf = async (req: Parameters<typeof requireActor>[1]) => (await requireActor(ctx, req, config.siteUrl)).actor;

  api.get('/articles', { schema: { querystring: ListQuery } }, async (req) => {
    const actor = await actorOf(req);
    const items = await listNewsroomArticles(ctx, actor, { status: req.query.status, mine: req.query.mine, limit: req.query.limit, beforeId: req.query.before });
    return { items: items.map(present), next: items.length === req.query.limit ? items[items.length - 1]!.id : null };
  });

  api.post('/articles', { schema: { body: CreateBody } }, async (req, reply) => {
    const actor = await actorOf(req);
    const article = await createArticle(ctx, actor, req.body);
    return reply.code(201).header('location', `/api/v1/articles/${article.id}`).send(present(article));
  });

  api.get('/articles/:id', { schema: { params: IdParams } }, async (req) => {
    const actor = await actorOf(req);
    return present(await getArticle(ctx, actor, req.params.id));
  });

  api.patch('/articles/:id', { schema: { params: IdParams, body: PatchBody } }, async (req) => {
    const actor = await actorOf(req);
    return present(await updateArticle(ctx, actor, req.params.id, req.body));
  });

  for (const [name, run] of [
    ['submit', submitArticle],
    ['publish', publishArticle],
    ['unpublish', unpublishArticle],
  ] as const) {
    api.post(`/articles/:id/${name}`, { schema: { params: IdParams, body: Type.Optional(EmptyBody) } }, async (req) => {
      const actor = await actorOf(req);
      return present(await run(ctx, actor, req.params.id));
    });
  }

  api.post('/articles/:id/schedule', { schema: { params: IdParams, body: ScheduleBody } }, async (req) => {
    const actor = await actorOf(req);
    return present(await scheduleArticle(ctx, actor, req.params.id, Date.parse(req.body.at)));
  });

  api.get('/articles/:id/revisions', { schema: { params: IdParams } }, async (req) => {
    const actor = await actorOf(req);
    const revisions = await articleRevisions(ctx, actor, req.params.id);
    return { items: revisions.map(revisionOut) };
  });
}
