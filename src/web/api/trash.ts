import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { deleteArticle, undeleteArticle } from '../../domain/articles/service.ts';
import { listTrash, trashCursor } from '../../domain/articles/trash.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { newsroomArticle } from '../presenters/articles.ts';
import { trashItem } from '../presenters/trash.ts';
import { ifMatch } from './articles.ts';
import { EmptyBody, IdParams } from './schemas.ts';

const TrashQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    before: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

/** The 回收站: delete, list, restore. */
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
}
