import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listAudit } from '../../domain/audit/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { auditOut } from '../presenters/newsroom.ts';

const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 })),
    /** Who: a username. */
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** What: a group of actions (writing, review, publishing, …) or one action (article.publish). */
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+(\\.[a-z_]+)?$' })),
    /** Which article: its id, or words of its title. */
    article: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** When: from (inclusive) and to (exclusive), ISO 8601 with a time zone. */
    from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  { additionalProperties: false },
);

const time = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

/** GET /audit: who did what, newest first, for editors; filtered by who, what, which article and when. */
export function auditRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  typed(app).get('/audit', { config: AUTH_REQUIRED, schema: { querystring: AuditQuery } }, async (req) => {
    const { limit, before, actor, action, article, from, to } = req.query;
    const items = await listAudit(ctx, req.actor, { limit, before, actor, action, article, from: time(from), to: time(to) });
    return { items: items.map(auditOut), next: items.length === limit ? items[items.length - 1]!.id : null };
  });
}
