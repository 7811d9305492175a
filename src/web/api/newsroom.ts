import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { restoreRevision } from '../../domain/articles/revisions.ts';
import { returnArticle } from '../../domain/articles/service.ts';
import { listAudit } from '../../domain/audit/service.ts';
import { listSources, saveSource, SOURCE_LIMITS } from '../../domain/sources/service.ts';
import { requireActor } from '../auth.ts';
import { newsroomArticle } from '../presenters/articles.ts';
import { auditOut, sourceOut } from '../presenters/newsroom.ts';
import { IdParams } from './articles.ts';
import { typed, type WebDeps } from './context.ts';

const ReturnBody = Type.Object({ comment: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });
const RevisionParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  n: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});
const EmptyBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]);
const AuditQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), before: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 })) },
  { additionalProperties: false },
);
const SourceBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: SOURCE_LIMITS.name }), url: Type.Optional(Type.String({ maxLength: SOURCE_LIMITS.url })) },
  { additionalProperties: false },
);

/** The review desk: returning copy with a comment, restoring revisions, the audit log, the list of sources. */
export function newsroomRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);
  const actorOf = async (req: Parameters<typeof requireActor>[1]) => (await requireActor(ctx, req, config.siteUrl)).actor;

  api.post('/articles/:id/return', { schema: { params: IdParams, body: ReturnBody } }, async (req) => {
    const actor = await actorOf(req);
    return newsroomArticle(await returnArticle(ctx, actor, req.params.id, req.body.comment), config.siteUrl);
  });

  api.post('/articles/:id/revisions/:n/restore', { schema: { params: RevisionParams, body: Type.Optional(EmptyBody) } }, async (req) => {
    const actor = await actorOf(req);
    return newsroomArticle(await restoreRevision(ctx, actor, req.params.id, req.params.n), config.siteUrl);
  });

  api.get('/audit', { schema: { querystring: AuditQuery } }, async (req) => {
    const actor = await actorOf(req);
    const items = await listAudit(ctx, actor, { limit: req.query.limit, before: req.query.before });
    return { items: items.map(auditOut), next: items.length === req.query.limit ? items[items.length - 1]!.id : null };
  });

  api.get('/sources', async (req) => {
    const actor = await actorOf(req);
    return { items: (await listSources(ctx, actor)).map(sourceOut) };
  });

  api.post('/sources', { schema: { body: SourceBody } }, async (req, reply) => {
    const actor = await actorOf(req);
    const { source, created } = await saveSource(ctx, actor, req.body);
    return reply.code(created ? 201 : 200).send(sourceOut(source));
  });
}
