import { commentsOfPublished } from '../domain/comments/service.ts';
import type { Article } from '../domain/articles/article.ts';
import { liveForReaders } from '../domain/live/service.ts';
import { relatedArticles } from '../domain/articles/related.ts';
import type { Channel } from '../domain/channels/channel.ts';
import type { Ctx } from '../domain/context.ts';
import { imageSources, loadMediaIndex, withResponsiveImages } from '../domain/media/responsive.ts';
import { slotArticles } from '../domain/slots/service.ts';
import type { WebDeps } from './context.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { ArticleData, ChannelData, HomeData } from './public/pages.tsx';
import { withScrollingTables } from './public/html.ts';
import { loadEmbeddedPolls, withPolls } from './public/polls.tsx';
import { publicMemo } from './public/memo.ts';
import { loadMoods, loadSidebar } from './public/sidebar.ts';
import type { SiteView } from './public/view.ts';

/**
 * Read models: what a page shows, loaded in one place for every place that shows it — the reader pages, the
 * JSON API (the feed) and the newsroom's preview (the article page of a draft).
 */

/** Items per page of the feed on reader pages (推荐阅读, channel pages). */
export const FEED_PAGE = 10;
/** The first page of the site's feed with room for an excluded article and the next-page probe. */
const FRONT_FEED_ROWS = FEED_PAGE + 2;
/** Forgotten at once on a change readers can see; the time bounds a change another process failed to announce. */
const FRONT_FEED_TTL_MS = 30_000;

export interface FeedPage {
  items: Article[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of published articles, newest first, after `cursor` (keyset on publication time and id, so new
 * articles never shift a reader's next page); of some channels only, and without one article (the one being read).
 */
export async function feedPage(
  ctx: Ctx,
  { channelIds, cursor, limit, exclude }: { channelIds?: number[]; cursor?: string; limit: number; exclude?: number },
): Promise<FeedPage> {
  const before = cursor ? decodeCursor(cursor) : undefined;
  // One extra row tells whether a next page exists; one more covers the excluded article.
  const wanted = limit + (exclude === undefined ? 1 : 2);
  // The site's first page of latest articles is the same under every article and on the home page: read once.
  const rows =
    before === undefined && channelIds === undefined && wanted <= FRONT_FEED_ROWS
      ? (await publicMemo(ctx, 'front-feed', FRONT_FEED_TTL_MS, () => ctx.store.articles.listPublished({ limit: FRONT_FEED_ROWS, bodies: false }))).slice(
          0,
          wanted,
        )
      : await ctx.store.articles.listPublished({ channelIds, before, limit: wanted, bodies: false });
  const candidates = rows.filter((a) => a.id !== exclude);
  const items = candidates.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: candidates.length > limit && last ? encodeCursor({ publishedAt: last.publishedAt!, id: last.id }) : null };
}

/**
 * The cursor a list page given `cursor` really shows: the position of the newest article it lists below, i.e. of the
 * oldest published article at or after the cursor's (undefined: none is that new, the list's first page). The same
 * for every spelling of a position and every time between two articles, so a forged cursor names a page a real one
 * names too (routes redirect to it: the page cache then holds one entry per real page, not one per forged variant).
 * A cursor that is not well-formed is refused here as by feedPage.
 */
export async function realCursor(ctx: Ctx, cursor: string | undefined, channelIds?: number[]): Promise<string | undefined> {
  if (!cursor) return undefined;
  const at = await ctx.store.articles.publishedPositionFrom(decodeCursor(cursor), channelIds);
  return at ? encodeCursor(at) : undefined;
}

/** The home page: carousel, headlines, each top channel's latest, topics, the feed and the rankings. */
export async function homePageData({ ctx, config }: WebDeps, view: SiteView, cursor: string | undefined): Promise<HomeData> {
  const top = view.channels.filter((c) => c.parentId === null);
  const [focus, headlines, topics, feed, sidebar] = await Promise.all([
    slotArticles(ctx, 'focus'),
    slotArticles(ctx, 'headline'),
    ctx.store.topics.all(),
    feedPage(ctx, { cursor, limit: FEED_PAGE }),
    loadSidebar(ctx, config),
  ]);
  const channelBlocks = await Promise.all(
    top.map(async (channel) => ({
      channel,
      articles: await ctx.store.articles.listPublished({ channelIds: await ctx.store.channels.subtreeIds(channel.path), limit: 5, bodies: false }),
    })),
  );
  const media = await loadMediaIndex(ctx.store, [...focus.map((a) => a.cover), ...topics.slice(0, 4).map((t) => t.cover)]);
  return {
    media,
    focus,
    headlines,
    channelBlocks: channelBlocks.filter((b) => b.articles.length > 0),
    topics: topics.slice(0, 4).map((t) => ({ ...t, coverAlt: '' })),
    feed: feed.items,
    nextCursor: feed.nextCursor,
    sidebar,
  };
}

/**
 * An article page, for readers (a published article) and for the newsroom's preview (any article the editor may
 * read): body images that are our uploads become <picture> with srcset in both.
 */
/**
 * The reads of a published article's page that need only its id, started with the read of the article itself: on
 * PostgreSQL they then share its round trip (storage/prepared.ts), one instead of two per uncached page. Nothing
 * awaits them when the article turns out not to be published, so each has a rejection handler of its own and a
 * failure is never an unhandled rejection.
 */
export interface ArticleReadsAhead {
  id: number;
  related: ReturnType<typeof relatedArticles>;
  moods: ReturnType<typeof loadMoods>;
  comments: ReturnType<typeof commentsOfPublished>;
  live: ReturnType<typeof liveForReaders>;
}

export function articleReadsAhead({ ctx, config }: WebDeps, id: number): ArticleReadsAhead {
  const ahead = {
    id,
    related: relatedArticles(ctx, { id }),
    moods: loadMoods(ctx, config, id),
    comments: commentsOfPublished(ctx, id),
    live: liveForReaders(ctx.store, { id }),
  };
  for (const read of [ahead.related, ahead.moods, ahead.comments, ahead.live]) read.catch(() => {});
  return ahead;
}

export async function articlePageData(
  { ctx, config }: WebDeps,
  view: SiteView,
  article: Article,
  { cursor, unfold }: { cursor?: string; unfold: boolean },
  readsAhead?: ArticleReadsAhead,
): Promise<ArticleData> {
  const channel = view.channels.find((c) => c.id === article.channelId) ?? (await ctx.store.channels.findById(article.channelId))!;
  const published = article.status === 'published';
  const ahead = published && readsAhead?.id === article.id ? readsAhead : undefined;
  const [related, feed, moods, sidebar, author, media, polls, comments, live] = await Promise.all([
    ahead?.related ?? relatedArticles(ctx, article),
    feedPage(ctx, { cursor, limit: FEED_PAGE, exclude: article.id }),
    // Only published articles have votes; a draft shows the buttons at zero.
    ahead ? ahead.moods : published ? loadMoods(ctx, config, article.id) : config.moods.map((m) => ({ key: m.key, label: m.label, count: 0 })),
    loadSidebar(ctx, config),
    // The byline names the author on almost every story; the account only when it is empty.
    article.byline ? undefined : ctx.store.accounts.findById(article.authorId),
    loadMediaIndex(ctx.store, imageSources(article.bodyHtml)),
    loadEmbeddedPolls(ctx, article.bodyHtml),
    // Comments only under published articles (a preview shows none).
    ahead ? ahead.comments : published ? commentsOfPublished(ctx, article.id) : { items: [], total: 0 },
    ahead?.live ?? liveForReaders(ctx.store, article),
  ]);
  return {
    article: {
      ...article,
      bodyHtml: withPolls(withScrollingTables(withResponsiveImages(article.bodyHtml, media)), view, polls.views),
      // A draft has no publication time yet: show when it will (scheduled) or would (now) appear.
      publishedAt: article.publishedAt ?? article.scheduledAt ?? ctx.clock.now(),
    },
    channel,
    related,
    feed: feed.items,
    nextCursor: feed.nextCursor,
    moods,
    polls,
    comments,
    sidebar,
    unfold,
    authorName: article.byline || author?.displayName || view.name,
    live,
  };
}

/** A channel page: its subchannels and the feed of its whole subtree (`ids`: the subtree's channels, from the route). */
export async function channelPageData(
  { ctx, config }: WebDeps,
  view: SiteView,
  channel: Channel,
  { ids, cursor }: { ids: number[]; cursor: string | undefined },
): Promise<ChannelData> {
  const [feed, sidebar] = await Promise.all([feedPage(ctx, { channelIds: ids, cursor, limit: FEED_PAGE }), loadSidebar(ctx, config)]);
  const children = view.channels.filter((c) => c.parentId === channel.id);
  return { channel, children, articles: feed.items, nextCursor: feed.nextCursor, sidebar };
}
