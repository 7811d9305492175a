import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import { authorize } from '../policy.ts';
import { AUDIT_GROUPS, type AuditGroup } from './actions.ts';
import type { AuditEvent } from './audit-event.ts';

export interface AuditFilter {
  limit: number;
  before?: number;
  /** The username of who did it. */
  actor?: string;
  /** A group of actions (AUDIT_GROUPS) or one action by its name. */
  action?: string;
  /** An article's id, or text of its title. */
  article?: string;
  from?: number;
  to?: number;
}

/** The audit log, newest first, paged by event id, narrowed by who, what, which article and when. */
export async function listAudit(ctx: Ctx, actor: Actor, filter: AuditFilter): Promise<AuditEvent[]> {
  authorize(actor, 'audit.read');
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) throw invalid('from must be before to', 'from', 'invalid_range');
  let actorId: number | undefined;
  if (filter.actor !== undefined) {
    const account = await ctx.store.accounts.findByUsername(filter.actor.trim().toLowerCase());
    // Nobody by that name did anything.
    if (!account) return [];
    actorId = account.id;
  }
  const action = filter.action?.trim();
  const actions = !action ? undefined : action in AUDIT_GROUPS ? AUDIT_GROUPS[action as AuditGroup] : [action];
  const article = filter.article?.trim() || undefined;
  const articleId = article && /^#?\d{1,15}$/.test(article) ? Number(article.replace('#', '')) : undefined;
  return ctx.store.history.auditEvents({
    limit: filter.limit,
    before: filter.before,
    actorId,
    actions,
    articleId,
    articleTitle: article !== undefined && articleId === undefined ? article : undefined,
    from: filter.from,
    to: filter.to,
  });
}
