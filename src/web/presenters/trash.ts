import type { Actor } from '../../domain/accounts/roles.ts';
import type { TrashEntry } from '../../domain/articles/article.ts';
import type { BulkOutcome } from '../../domain/articles/bulk.ts';
import { purgeAt } from '../../domain/articles/trash.ts';
import { can } from '../../domain/policy.ts';

const iso = (t: number): string => new Date(t).toISOString();

/** An article in the 回收站: who deleted it and when, when the purge will take it, and whether the caller may restore it. */
export function trashItem(e: TrashEntry, actor: Actor) {
  return {
    id: e.id,
    title: e.title,
    channel: e.channelPath,
    status: e.status,
    author: e.author,
    revision: e.revision,
    createdAt: iso(e.createdAt),
    deletedAt: iso(e.deletedAt),
    deletedBy: e.deletedBy && { username: e.deletedBy.username, displayName: e.deletedBy.displayName },
    purgeAt: iso(purgeAt(e.deletedAt)),
    abilities: { undelete: can(actor, 'article.undelete', e) },
  };
}

/** Per article of a bulk request, in the order asked (each id once). */
export function bulkOut(outcomes: readonly BulkOutcome[]) {
  return {
    items: outcomes.map((o) => ({ id: o.id, ok: o.ok, ...(o.unchanged ? { unchanged: true } : {}), ...(o.error ? { error: o.error } : {}) })),
    done: outcomes.filter((o) => o.ok).length,
    failed: outcomes.filter((o) => !o.ok).length,
  };
}
