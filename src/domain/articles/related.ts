import type { Ctx } from '../context.ts';
import type { Article } from './article.ts';

export const RELATED = { min: 5, max: 8 };

/**
 * 相关阅读 until content similarity lands: articles sharing the most tags, then the newest of the same
 * channel, then of the parent channel — never the article itself, only published ones.
 */
export async function relatedArticles(ctx: Ctx, article: Article): Promise<Article[]> {
  const chosen: number[] = await ctx.store.articles.sharingTags(article.id, RELATED.max);
  const paths = [article.channelPath];
  if (article.channelPath.includes('/')) paths.push(article.channelPath.slice(0, article.channelPath.lastIndexOf('/')));
  for (const path of paths) {
    if (chosen.length >= RELATED.min) break;
    const channelIds = await ctx.store.channels.subtreeIds(path);
    const candidates = await ctx.store.articles.listPublished({ channelIds, limit: RELATED.max + 1 });
    for (const c of candidates) {
      if (chosen.length >= RELATED.max) break;
      if (c.id !== article.id && !chosen.includes(c.id)) chosen.push(c.id);
    }
  }
  return ctx.store.articles.findMany(chosen);
}
