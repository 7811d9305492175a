import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Article } from '../../domain/articles/article.ts';
import type { Ctx } from '../../domain/context.ts';
import { normalizeChannelPath } from '../../domain/channels/channel.ts';
import { resolveOldUrl } from '../../domain/imports/old-urls.ts';
import { loadMediaIndex } from '../../domain/media/responsive.ts';
import { typed, type WebDeps } from '../context.ts';
import type { Assets } from '../assets.ts';
import { articlePageData, articleReadsAhead, channelPageData, homePageData, realCursor } from '../loaders.ts';
import { readerLoad } from '../reads.ts';
import { PUBLIC_PAGE, pageKey, SURROGATE_KEY_HEADER, surrogateKey } from '../page-cache.ts';
import { articlePath } from '../presenters/articles.ts';
import { distributionRoutes, FEED_EXTENSIONS } from './distribution.ts';
import { renderPage, sendHtml } from './html.ts';
import { renderPoster } from './poster.ts';
import { pollPageRoutes, publicPollViews, TOPIC_PAGE_POLLS } from './polls.tsx';
import { searchPageRoutes } from './search.tsx';
import { ArticlePage, ChannelPage, ErrorPage, HomePage, MoodPage, SharePage, TopicPage } from './pages.tsx';
import { getReactions } from '../../domain/reactions/service.ts';
import { answerOldAddress } from './old-addresses.ts';
import { readerOf } from '../reader.ts';
import { carePage, wantsCare } from './care.ts';
import { siteViews, type SiteView } from './view.ts';

const errorTexts: Record<number, [string, string]> = {
  404: ['页面不存在', '您访问的页面不存在，可能链接有误或稿件尚未发布。'],
  410: ['稿件已撤下', '这篇稿件已被编辑部撤下，不再提供阅读。'],
};

export type ErrorRenderer = (status: number) => Promise<string>;

export function errorRenderer(read: <T>(load: (ctx: Ctx) => Promise<T>) => Promise<T>, view: () => Promise<SiteView>): ErrorRenderer {
  return async (status) => {
    const [title, message] = errorTexts[status] ?? (status < 500 ? ['请求有误', '请检查链接后重试。'] : ['服务暂时不可用', '请稍后再试。']);
    let latest: Article[] = [];
    // A failing database must not also break the error page.
    if (status < 500) latest = await read((ctx) => ctx.store.articles.listPublished({ limit: 6, bodies: false })).catch(() => []);
    const v = await view();
    return renderPage(<ErrorPage view={v} status={status} title={title} message={message} latest={latest} />, v);
  };
}

/**
 * A reader page's own parameters, checked (a value of the wrong shape is a 400 page); any other parameter, such as a
 * tracking tag, is ignored, as the page cache ignores it. The cursor is judged by decodeCursor.
 */
const Cursor = Type.String({ maxLength: 200 });
const PageQuery = Type.Object({ cursor: Type.Optional(Cursor) });
const ArticlePageQuery = Type.Object({ cursor: Type.Optional(Cursor), full: Type.Optional(Type.String({ maxLength: 10 })) });
// Path parameters are matched by the handlers, so that any malformed address is a 404 like a missing page.
const ArticleParams = Type.Object({ id: Type.String() });
const ChannelParams = Type.Object({ '*': Type.String() });

/** A reader page's own address: its path, the real cursor of its list (see realCursor), `full=1` when unfolded. */
function pageAddress(path: string, cursor: string | undefined, full = false): string {
  const query = new URLSearchParams();
  if (cursor) query.set('cursor', cursor);
  if (full) query.set('full', '1');
  const q = query.toString();
  return q ? `${encodeURI(path)}?${q}` : encodeURI(path);
}

/**
 * Sends a reader asking for a page by another address than its own (a cursor spelt otherwise or at a time between
 * two articles, a parameter the page does not read, a padded id, extra slashes) to its own, and says whether it did.
 * Each variant renders the same page, and each would take an entry in the page cache and, asked twice, its protected
 * part: a flood of them would push out the pages readers return to. Tracking parameters are no variant (the cache's
 * key leaves them out). A 302: what a forged cursor comes to changes as articles are published.
 */
function redirectedToOwnAddress(req: FastifyRequest, reply: FastifyReply, address: string): boolean {
  if (pageKey(req.url) === pageKey(address)) return false;
  reply.code(302).header('location', address).header('cache-control', 'public, max-age=60').send();
  return true;
}

/** The reader site: server-rendered pages with no per-reader data, so they cache whole. */
export function publicRoutes(app: FastifyInstance, deps: WebDeps, assets: Assets): ErrorRenderer {
  const { ctx, config } = deps;
  const view = siteViews(ctx, config, assets);
  const renderError = errorRenderer((load) => readerLoad(deps, undefined, load), view);
  const notFoundPage = async (reply: FastifyReply, status = 404) => {
    // Nothing of ours here: the address may still be an imported article's old one (WordPress's /p/123.html).
    if (status === 404) {
      const old = await answerOldAddress(ctx, reply.request, reply, renderError, 60);
      if (old) return old;
    }
    return sendHtml(reply, status, await renderError(status), 'public, max-age=30');
  };

  const page = typed(app);

  page.get('/', { config: PUBLIC_PAGE, schema: { querystring: PageQuery } }, async (req, reply) => {
    // WordPress's /?p=123 of an imported article (its page), else the home page without the parameter, which is part
    // of the page cache's key and would otherwise let any ?p= value add an entry.
    if (/[?&]p=/.test(req.url)) {
      const old = await resolveOldUrl(ctx, req.url);
      if (old?.kind === 'gone') return notFoundPage(reply, 410);
      return reply
        .code(301)
        .header('location', old ? articlePath(old.articleId) : '/')
        .header('cache-control', 'public, max-age=3600')
        .send();
    }
    const cursor = await readerLoad(deps, req, (ctx) => realCursor(ctx, req.query.cursor));
    if (redirectedToOwnAddress(req, reply, pageAddress('/', cursor))) return reply;
    reply.header(SURROGATE_KEY_HEADER, surrogateKey.home);
    const v = await view();
    const data = await readerLoad(deps, req, (ctx) => homePageData({ ...deps, ctx }, v, cursor));
    return sendHtml(reply, 200, renderPage(<HomePage view={v} data={data} />, v));
  });

  const loadArticle = async (raw: string, req: FastifyRequest) => {
    const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
    return Number.isSafeInteger(id) ? readerLoad(deps, req, (ctx) => ctx.store.articles.findById(id)) : undefined;
  };

  page.get('/a/:id', { config: PUBLIC_PAGE, schema: { params: ArticleParams, querystring: ArticlePageQuery } }, async (req, reply) => {
    const v = await view();
    // The article and what its page shows are read from one server (the replica only when it has every purged change).
    const loaded = await readerLoad(deps, req, async (ctx) => {
      const id = /^\d{1,10}$/.test(req.params.id) ? Number(req.params.id) : NaN;
      if (!Number.isSafeInteger(id)) return { article: undefined, data: undefined };
      // What the page reads by the id alone is asked with the article (on PostgreSQL one round trip).
      const ahead = articleReadsAhead({ ...deps, ctx }, id);
      const found = await ctx.store.articles.findById(id);
      if (found?.status !== 'published') return { article: found, data: undefined };
      const cursor = await realCursor(ctx, req.query.cursor);
      const address = pageAddress(articlePath(found.id), cursor, req.query.full === '1');
      if (pageKey(req.url) !== pageKey(address)) return { article: found, data: undefined, address };
      return { article: found, data: await articlePageData({ ...deps, ctx }, v, found, { cursor, unfold: req.query.full === '1' }, ahead) };
    });
    const { article } = loaded;
    if (loaded.address && redirectedToOwnAddress(req, reply, loaded.address)) return reply;
    // Also on the 404 of an article not yet published, so that publishing it purges that answer.
    // …and the polls its body embeds (shown or not yet), so that a change showing, hiding or closing one purges the page.
    if (article) {
      const keys = [surrogateKey.article(article.id), surrogateKey.articlePage(article.id), ...(loaded.data?.polls.keys ?? [])];
      reply.header(SURROGATE_KEY_HEADER, keys.join(' '));
    }
    if (!article || !['published', 'unpublished'].includes(article.status)) return notFoundPage(reply);
    if (article.status === 'unpublished') return notFoundPage(reply, 410);
    return sendHtml(reply, 200, renderPage(<ArticlePage view={v} data={loaded.data!} />, v), undefined, loaded.data!.polls.until);
  });

  app.get<{ Params: { id: string } }>('/a/:id/qr.svg', async (req, reply) => {
    const article = await loadArticle(req.params.id, req);
    if (article?.status !== 'published') return notFoundPage(reply);
    const svg = await (await import('qrcode')).default.toString(config.siteUrl + articlePath(article.id), {
      type: 'svg',
      margin: 1,
      errorCorrectionLevel: 'M',
    });
    return reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=86400').send(svg);
  });

  // 分享 without JavaScript: the link and the QR code on a page of their own, cached like the article page.
  page.get('/a/:id/share', { config: PUBLIC_PAGE, schema: { params: ArticleParams } }, async (req, reply) => {
    const article = await loadArticle(req.params.id, req);
    if (article) reply.header(SURROGATE_KEY_HEADER, `${surrogateKey.article(article.id)} ${surrogateKey.articlePage(article.id)}`);
    if (article?.status !== 'published') return notFoundPage(reply);
    const v = await view();
    return sendHtml(reply, 200, renderPage(<SharePage view={v} article={article} />, v));
  });

  // Where the no-JavaScript mood vote lands: this reader's vote and the counts now. Per reader: never cached.
  page.get(
    '/a/:id/mood',
    { schema: { params: ArticleParams, querystring: Type.Object({ mode: Type.Optional(Type.String({ maxLength: 10 })) }) } },
    async (req, reply) => {
      const article = await loadArticle(req.params.id, req);
      if (article?.status !== 'published') return notFoundPage(reply);
      const reactions = await getReactions(ctx, article.id, readerOf(req, config) ?? undefined);
      const v = await view();
      const moods = config.moods.map((m) => ({ key: m.key, label: m.label, count: reactions.counts[m.key] ?? 0 }));
      const care = req.query.mode === 'care' || wantsCare(req.headers.cookie);
      const html = renderPage(<MoodPage view={v} article={article} moods={moods} mine={reactions.mine} care={care} />, v);
      const path = `/a/${article.id}/mood`;
      return sendHtml(reply, 200, care ? carePage(html, path) : html, 'private, no-store');
    },
  );

  // Posters are rendered once per article version and kept: rendering one takes tens of milliseconds.
  const posters = new Map<string, Buffer>();
  app.get<{ Params: { id: string } }>('/a/:id/poster.png', async (req, reply) => {
    const article = await loadArticle(req.params.id, req);
    if (article?.status !== 'published') return notFoundPage(reply);
    const key = `${article.id}:${article.revision}`;
    let png = posters.get(key);
    if (!png) {
      png = await renderPoster(article, {
        siteName: config.siteName,
        url: config.siteUrl + articlePath(article.id),
        timeZone: config.timeZone,
        media: ctx.media,
      });
      if (posters.size >= config.posterCacheEntries) posters.delete(posters.keys().next().value!);
      posters.set(key, png);
    }
    return reply.header('content-type', 'image/png').header('cache-control', 'public, max-age=3600').send(png);
  });

  const feeds = distributionRoutes(app, deps);

  page.get('/c/*', { config: PUBLIC_PAGE, schema: { params: ChannelParams, querystring: PageQuery } }, async (req, reply) => {
    // A channel's own feeds: /c/<path>/feed.xml (RSS) and /c/<path>/feed.atom (not HTML: the page cache keeps neither).
    const feed = /^(.+)\/feed\.(xml|atom)$/.exec(req.params['*']);
    if (feed) {
      const out = await feeds.channelFeed(feed[1]!, FEED_EXTENSIONS[feed[2]!]!);
      return out ? feeds.send(reply, out) : notFoundPage(reply);
    }
    const path = normalizeChannelPath(req.params['*']);
    const v = await view();
    const channel = v.channels.find((c) => c.path === path);
    if (!channel) return notFoundPage(reply);
    // The page lists the channel's articles and its subchannels': a change in any of them may change it.
    const listed = v.channels.filter((c) => c.path === channel.path || c.path.startsWith(`${channel.path}/`));
    reply.header(SURROGATE_KEY_HEADER, listed.map((c) => surrogateKey.channel(c.id)).join(' '));
    const subtree = await readerLoad(deps, req, async (ctx) => {
      const ids = await ctx.store.channels.subtreeIds(channel.path);
      return { ids, cursor: await realCursor(ctx, req.query.cursor, ids) };
    });
    if (redirectedToOwnAddress(req, reply, pageAddress(`/c/${channel.path}`, subtree.cursor))) return reply;
    const data = await readerLoad(deps, req, (ctx) => channelPageData({ ...deps, ctx }, v, channel, subtree));
    return sendHtml(reply, 200, renderPage(<ChannelPage view={v} data={data} />, v));
  });

  app.get<{ Params: { slug: string } }>('/t/:slug', { config: PUBLIC_PAGE }, async (req, reply) => {
    const loaded = await readerLoad(deps, req, async (ctx) => {
      const topic = await ctx.store.topics.findBySlug(req.params.slug);
      if (!topic) return undefined;
      const articles = (await ctx.store.articles.findMany(topic.articleIds, { bodies: false })).filter((a) => a.status === 'published');
      const polls = await publicPollViews(ctx, await ctx.store.polls.ofTopic(topic.id, TOPIC_PAGE_POLLS));
      return { topic, articles, polls, media: await loadMediaIndex(ctx.store, [topic.cover]) };
    });
    if (!loaded) return notFoundPage(reply);
    const { topic, articles, media, polls } = loaded;
    // Every poll of the topic, shown or not: the change that shows one (its article published, the poll moved off it) purges the page.
    reply.header(SURROGATE_KEY_HEADER, [surrogateKey.topic(topic.id), ...polls.keys].join(' '));
    const v = await view();
    // Newest first, as ofTopic asked; no more than the limit even if a waiting poll's article was published between the two reads.
    const shown = [...polls.views.values()].slice(0, TOPIC_PAGE_POLLS);
    const html = renderPage(<TopicPage view={v} topic={topic} articles={articles} media={media} polls={shown} />, v);
    return sendHtml(reply, 200, html, undefined, polls.until);
  });

  pollPageRoutes(app, deps, view, (reply) => notFoundPage(reply));
  searchPageRoutes(app, deps, view);
  return renderError;
}
