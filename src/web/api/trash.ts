import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { BULK_ACTIONS, bulkArticles } from '../../domain/articles/bulk.ts';
import { deleteArticle, undeleteArticle } from '../../domain/articles/service.ts';
import { listTrash, trashCursor } from '../../domain/articles/trash.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { newsroomArticle } from '../presenters/articles.ts';
import { bulkOut, trashItem } from '../presenters/trash.ts';
import { ifMatch } from './articles.ts';
import { EmptyBody, IdParams, MAX_ID } from './schemas.ts';

const TrashQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    before: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

const BulkBody = Type.Object(
  {
    action: Type.Union(BULK_ACTIONS.map((a) => Type.Literal(a))),
    // At most 200 (the domain says so with `too_many`); the body limit keeps a hostile list from costing more than its parse.
    ids: Type.Array(Type.Integer({ minimum: 1, maximum: MAX_ID })),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tag: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** 200 ids of 10 digits and a channel or a tag fit in 4 KB; 16 KB leaves room for whitespace and nothing more. */
const BULK_BODY_LIMIT = 16 * 1024;

/** The 回收站 (delete, list, restore) and bulk actions on articles. */
export function trashRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);

  api.delete('/articles/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await deleteArticle(ctx, req.actor, req.params.id, ifMatch(req));
    return reply.code(204).send();
  });

  api.post('/articles/:id/undelete', { config: AUTH_REQUIRED, schema: { params: IdParams, body: Type.Optional(EmptyBody) } }, async (req, reply) => {
    const article = await undeleteArticle(ctx, req.actor, req.params.id, ifMatch(req));
    reply.header('etag', `"${article.revision}"`);
    return newsroomArticle(article, config.siteUrl, req.actor);
  });

  api.get('/trash', { config: AUTH_REQUIRED, schema: { querystring: TrashQuery } }, async (req) => {
    const items = await listTrash(ctx, req.actor, { limit: req.query.limit, before: req.query.before });
    return {
      items: items.map((e) => trashItem(e, req.actor)),
      next: items.length === req.query.limit ? trashCursor(items[items.length - 1]!) : null,
    };
  });

  api.post('/articles/bulk', { config: AUTH_REQUIRED, schema: { body: BulkBody }, bodyLimit: BULK_BODY_LIMIT }, async (req) =>
    bulkOut(await bulkArticles(ctx, req.actor, req.body)),
  );
}
