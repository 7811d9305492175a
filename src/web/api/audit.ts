import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listAudit } from '../../domain/audit/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { auditOut } from '../presenters/newsroom.ts';

const AuditQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), before: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 })) },
  { additionalProperties: false },
);

/** GET /audit: who did what, newest first, for editors. */
export function auditRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  typed(app).get('/audit', { config: AUTH_REQUIRED, schema: { querystring: AuditQuery } }, async (req) => {
    const items = await listAudit(ctx, req.actor, { limit: req.query.limit, before: req.query.before });
    return { items: items.map(auditOut), next: items.length === req.query.limit ? items[items.length - 1]!.id : null };
  });
}
