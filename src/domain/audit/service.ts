import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { authorize } from '../policy.ts';
import type { AuditEvent } from './audit-event.ts';

/** The audit log, newest first, paged by event id. */
export async function listAudit(ctx: Ctx, actor: Actor, q: { limit: number; before?: number }): Promise<AuditEvent[]> {
  authorize(actor, 'audit.read');
  return ctx.store.history.auditEvents(q.limit, q.before);
}
