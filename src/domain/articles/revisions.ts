import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { notFound } from '../errors.ts';
import { authorize } from '../policy.ts';
import type { Article } from './article.ts';
import { getArticle, updateArticle } from './service.ts';

/** Brings an article's content back to an earlier revision, as a new revision (history is never rewritten). */
export async function restoreRevision(ctx: Ctx, actor: Actor, id: number, number: number, expectedRevision?: number): Promise<Article> {
  const article = await getArticle(ctx, actor, id);
  authorize(actor, 'article.edit', article);
  const revision = await ctx.store.history.revision(id, number);
  if (!revision) throw notFound(`Revision ${number}`);
  const c = revision.content;
  // The channel the revision was filed in, wherever it has moved since (its old path may be gone, or another's now).
  const channel = c.channelId === undefined ? undefined : await ctx.store.channels.findById(c.channelId);
  return updateArticle(
    ctx,
    actor,
    id,
    {
      title: c.title,
      subtitle: c.subtitle,
      summary: c.summary,
      body: c.bodyHtml,
      channel: channel?.path ?? c.channelPath,
      source: c.source,
      byline: c.byline,
      editor: c.editor,
      tags: c.tags,
      cover: c.cover,
    },
    'restore',
    `恢复自第 ${number} 版`,
    expectedRevision,
  );
}
