import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import { can } from '../policy.ts';
import type { PurgedArticle, TrashEntry, TrashPosition } from './article.ts';

/** How long a deleted article stays in the 回收站, restorable, before the purge removes it for good. */
export const TRASH_DAYS = 30;
export const TRASH_RETENTION_MS = TRASH_DAYS * 24 * 3600 * 1000;

/** When the purge may remove an article deleted at `deletedAt`. */
export const purgeAt = (deletedAt: number): number => deletedAt + TRASH_RETENTION_MS;

/** The listing's cursor: `<deletedAt>-<id>` of the last item of the previous page. */
export function trashCursor(e: Pick<TrashEntry, 'deletedAt' | 'id'>): string {
  return `${e.deletedAt}-${e.id}`;
}

function parseCursor(cursor: string): TrashPosition {
  const m = /^(\d{1,15})-(\d{1,10})$/.exec(cursor);
  if (!m) throw invalid('Not a trash cursor', 'before', 'invalid_cursor');
  return { deletedAt: Number(m[1]), id: Number(m[2]) };
}

/** The 回收站, newest deleted first: editors see every deleted article, reporters the ones they wrote. */
export async function listTrash(ctx: Ctx, actor: Actor, q: { limit: number; before?: string }): Promise<TrashEntry[]> {
  return ctx.store.articles.listTrash({
    authorId: can(actor, 'article.list_all') ? undefined : actor.id,
    before: q.before === undefined ? undefined : parseCursor(q.before),
    limit: q.limit,
  });
}

export const PURGE_BATCH = 100;

/**
 * Removes for good every article deleted more than TRASH_DAYS ago, with everything hanging off it (revisions, tags,
 * topic and slot entries, presence, votes, related and search rows: every table with an article_id cascades, and
 * SQLite's FTS tokens follow their search_docs row by trigger; polls made for the article are deleted with it, as a
 * poll of no article would be public), in batches of one transaction
 * each, so a large trash never holds the database long. Each batch claims its rows by deleting them in one statement:
 * with several processes purging at once, each article is purged, and audited (`article.purge`), exactly once.
 */
export async function purgeTrash(ctx: Ctx, { batch = PURGE_BATCH } = {}): Promise<PurgedArticle[]> {
  const before = ctx.clock.now() - TRASH_RETENTION_MS;
  const purged: PurgedArticle[] = [];
  for (;;) {
    const removed = await ctx.store.transaction(async (store) => {
      const rows = await store.articles.purgeTrash(before, batch);
      const at = ctx.clock.now();
      for (const a of rows) {
        await store.history.record({
          at,
          actorId: null,
          action: 'article.purge',
          subjectType: 'article',
          subjectId: a.id,
          detail: { title: a.title, authorId: a.authorId, deletedAt: new Date(a.deletedAt).toISOString(), deletedBy: a.deletedBy },
        });
      }
      return rows;
    });
    purged.push(...removed);
    // The built-in draft index lost them with the rows (cascade); an external engine is told after the commit. Should
    // it not answer, its stale entries match no article (results are read from the database) until `inkstone reindex`.
    if (ctx.store.draftSearch.external) {
      for (const a of removed) await ctx.store.draftSearch.remove(a.id).catch(() => undefined);
    }
    // Fewer than a batch: nothing older is left (or another process is taking the rest).
    if (removed.length < batch) return purged;
  }
}
