import type { FastifyInstance } from 'fastify';
import type { Article } from '../../domain/articles/article.ts';
import type { WebDeps } from '../context.ts';
import { publicMediaRewriter } from '../media-url.ts';
import { readerLoad } from '../reads.ts';
import { articlePath } from '../presenters/articles.ts';
import { sitemapRoutes } from './sitemaps.ts';
import { normalizeChannelPath } from '../../domain/channels/channel.ts';
import { notFound } from '../../domain/errors.ts';
import { absoluteUrls, xmlText } from './xml.ts';

const FEED_ITEMS = 30;

const xml = xmlText;

export interface FeedOut {
  type: string;
  maxAge: number;
  body: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What a feed lists: the whole site, a channel (with its subchannels) or a topic. */
interface FeedScope {
  title: string;
  /** The page the feed belongs to, site-relative ('/', '/c/keji', '/t/slug'). */
  page: string;
  /** The feed's own address without its extension ('/feed', '/c/keji/feed'). */
  base: string;
  items: Article[];
}

export type FeedFormat = 'rss' | 'atom';

/** Channel feeds live under the channel pages' wildcard route (/c/<path>/feed.xml), which hands them over. */
export interface ChannelFeeds {
  channelFeed: (path: string, format: FeedFormat) => Promise<FeedOut | undefined>;
  send: (r: { header(k: string, v: string): unknown; send(b: string): unknown }, out: FeedOut) => unknown;
}

/** The feed formats by the extension their address ends with. */
export const FEED_EXTENSIONS: Record<string, FeedFormat> = { xml: 'rss', atom: 'atom' };

/**
 * RSS 2.0, Atom 1.0 and JSON Feed 1.1 (the whole site, and RSS/Atom per channel and per topic), sitemaps and
 * robots.txt: what aggregators, search engines and readers' apps fetch. Every address in them is absolute.
 */
export function distributionRoutes(app: FastifyInstance, deps: WebDeps): ChannelFeeds {
  const { config } = deps;
  sitemapRoutes(app, deps);
  const site = config.siteUrl;
  const latest = (limit: number) => readerLoad(deps, undefined, (ctx) => ctx.store.articles.listPublished({ limit }));
  const publicMedia = publicMediaRewriter(config.mediaPublicUrl, site);
  const send = (type: string, maxAge: number) => (body: string) => ({ type, maxAge, body: publicMedia(body) });
  const reply = (r: { header(k: string, v: string): unknown; send(b: string): unknown }, out: FeedOut) => {
    r.header('content-type', out.type);
    r.header('cache-control', `public, max-age=${out.maxAge}`);
    return r.send(out.body);
  };
  const abs = (href: string) => (href.startsWith('/') ? site + href : href);

  const rssItem = (a: Article) => `<item>
<title>${xml(a.title)}</title>
<link>${xml(site + articlePath(a.id))}</link>
<guid isPermaLink="true">${xml(site + articlePath(a.id))}</guid>
<pubDate>${new Date(a.publishedAt!).toUTCString()}</pubDate>
${a.byline ? `<dc:creator>${xml(a.byline)}</dc:creator>` : ''}
${a.tags.map((t) => `<category>${xml(t)}</category>`).join('')}
<description>${xml(a.summary)}</description>
<content:encoded>${xml(absoluteUrls(a.bodyHtml, site))}</content:encoded>
</item>`;

  const rss = (scope: FeedScope) => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>${xml(scope.title)}</title>
<link>${xml(site + scope.page)}</link>
<description>${xml(`${scope.title} 最新报道`)}</description>
<language>zh-CN</language>
<atom:link href="${xml(site + scope.base)}.xml" rel="self" type="application/rss+xml"/>
${scope.items.length ? `<lastBuildDate>${new Date(scope.items[0]!.publishedAt!).toUTCString()}</lastBuildDate>` : ''}
${scope.items.map(rssItem).join('\n')}
</channel>
</rss>
`;

  const atomEntry = (a: Article) => `<entry>
<id>${xml(site + articlePath(a.id))}</id>
<title>${xml(a.title)}</title>
<link rel="alternate" type="text/html" href="${xml(site + articlePath(a.id))}"/>
<published>${iso(a.publishedAt!)}</published>
<updated>${iso(Math.max(a.updatedAt, a.publishedAt!))}</updated>
<author><name>${xml(a.byline || config.siteName)}</name></author>
${a.tags.map((t) => `<category term="${xml(t)}"/>`).join('')}
${a.summary ? `<summary>${xml(a.summary)}</summary>` : ''}
${a.cover ? `<link rel="enclosure" href="${xml(abs(a.cover))}"/>` : ''}
<content type="html">${xml(absoluteUrls(a.bodyHtml, site))}</content>
</entry>`;

  const atom = (scope: FeedScope) => {
    const updated = scope.items.reduce((max, a) => Math.max(max, a.updatedAt, a.publishedAt!), 0);
    return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
<id>${xml(site + scope.base)}.atom</id>
<title>${xml(scope.title)}</title>
<subtitle>${xml(`${scope.title} 最新报道`)}</subtitle>
<link rel="self" type="application/atom+xml" href="${xml(site + scope.base)}.atom"/>
<link rel="alternate" type="text/html" href="${xml(site + scope.page)}"/>
<updated>${iso(updated || 0)}</updated>
<generator>Inkstone</generator>
${scope.items.map(atomEntry).join('\n')}
</feed>
`;
  };

  const feedOut = (scope: FeedScope, format: FeedFormat): FeedOut =>
    format === 'rss' ? send('application/rss+xml; charset=utf-8', 300)(rss(scope)) : send('application/atom+xml; charset=utf-8', 300)(atom(scope));

  const siteScope = async (): Promise<FeedScope> => ({ title: config.siteName, page: '/', base: '/feed', items: await latest(FEED_ITEMS) });
  app.get('/feed.xml', async (_req, r) => reply(r, feedOut(await siteScope(), 'rss')));
  app.get('/feed.atom', async (_req, r) => reply(r, feedOut(await siteScope(), 'atom')));

  /** A channel's feed: its newest articles and its subchannels', as its page lists them. Undefined: no such channel. */
  const channelFeed = async (rawPath: string, format: FeedFormat): Promise<FeedOut | undefined> => {
    const path = normalizeChannelPath(rawPath);
    const loaded = await readerLoad(deps, undefined, async (ctx) => {
      const channels = await ctx.store.channels.all();
      const channel = channels.find((c) => c.path === path);
      if (!channel) return undefined;
      const ids = channels.filter((c) => c.path === path || c.path.startsWith(`${path}/`)).map((c) => c.id);
      return { channel, items: await ctx.store.articles.listPublished({ limit: FEED_ITEMS, channelIds: ids }) };
    });
    if (!loaded) return undefined;
    const { channel, items } = loaded;
    return feedOut({ title: `${config.siteName} - ${channel.name}`, page: `/c/${channel.path}`, base: `/c/${channel.path}/feed`, items }, format);
  };

  /** A topic's feed: its published articles, newest first. */
  for (const [extension, format] of Object.entries(FEED_EXTENSIONS)) {
    app.get<{ Params: { slug: string } }>(`/t/:slug/feed.${extension}`, async (req, r) => {
      const loaded = await readerLoad(deps, undefined, async (ctx) => {
        const topic = await ctx.store.topics.findBySlug(req.params.slug);
        if (!topic) return undefined;
        const articles = (await ctx.store.articles.findMany(topic.articleIds)).filter((a) => a.status === 'published');
        return { topic, items: articles.sort((a, b) => b.publishedAt! - a.publishedAt! || b.id - a.id).slice(0, FEED_ITEMS) };
      });
      if (!loaded) throw notFound('Topic');
      const { topic, items } = loaded;
      return reply(r, feedOut({ title: `${config.siteName} - ${topic.title}`, page: `/t/${topic.slug}`, base: `/t/${topic.slug}/feed`, items }, format));
    });
  }

  app.get('/feed.json', async (_req, r) => {
    const items = await latest(FEED_ITEMS);
    const feed = {
      version: 'https://jsonfeed.org/version/1.1',
      title: config.siteName,
      home_page_url: `${site}/`,
      feed_url: `${site}/feed.json`,
      language: 'zh-CN',
      items: items.map((a) => ({
        id: site + articlePath(a.id),
        url: site + articlePath(a.id),
        title: a.title,
        summary: a.summary || undefined,
        content_html: absoluteUrls(a.bodyHtml, site),
        image: a.cover ? abs(a.cover) : undefined,
        date_published: iso(a.publishedAt!),
        date_modified: iso(a.updatedAt),
        authors: a.byline ? [{ name: a.byline }] : undefined,
        tags: a.tags.length ? a.tags : undefined,
      })),
    };
    return reply(r, send('application/feed+json; charset=utf-8', 300)(JSON.stringify(feed)));
  });

  app.get('/robots.txt', async (_req, r) =>
    reply(r, send('text/plain; charset=utf-8', 3600)(`User-agent: *\nDisallow: /admin\nDisallow: /api/\nAllow: /\n\nSitemap: ${site}/sitemap.xml\n`)),
  );
  return { channelFeed, send: reply };
}
