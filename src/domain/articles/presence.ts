import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { notFound } from '../errors.ts';
import { authorize } from '../policy.ts';

/** The editor sends a heartbeat every few seconds; someone not heard from for this long has left. */
export const PRESENCE_WINDOW_MS = 20_000;
/** Rows older than this are deleted now and then; they could only ever say someone left long ago. */
export const PRESENCE_KEEP_MS = 5 * 60_000;
/** About one heartbeat in this many also prunes, so no process needs a timer for it. */
const PRUNE_EVERY = 20;

export interface Presence {
  username: string;
  displayName: string;
  /** With unsaved changes or typing in the body; otherwise only looking. */
  editing: boolean;
  /** When their current stretch of heartbeats began. */
  since: number;
}

/**
 * One heartbeat of the newsroom editor (王编辑正在编辑): records that the actor has the article open, and returns
 * the others who had it open in the last 20 seconds. Kept in the store, so it works across app processes.
 */
export async function heartbeat(ctx: Ctx, actor: Actor, articleId: number, input: { editing: boolean }): Promise<Presence[]> {
  // Author and status are all the policy needs: the stored body (up to 2 MB) is not read every few seconds.
  const article = await ctx.store.articles.findWithBody(articleId, { bodyHtml: '', bodyText: '' });
  if (!article) throw notFound('Article');
  authorize(actor, 'article.read', article);
  const now = ctx.clock.now();
  const fresh = now - PRESENCE_WINDOW_MS;
  await ctx.store.presence.beat({ articleId, accountId: actor.id, editing: input.editing, at: now, continuesAfter: fresh });
  if (Math.random() * PRUNE_EVERY < 1) await ctx.store.presence.prune(now - PRESENCE_KEEP_MS);
  const seen = await ctx.store.presence.seenSince(articleId, fresh);
  return seen.filter((p) => p.accountId !== actor.id).map((p) => ({ username: p.username, displayName: p.displayName, editing: p.editing, since: p.since }));
}
