import type { FastifyInstance } from 'fastify';
import type { Article } from '../../domain/articles/article.ts';
import type { WebDeps } from '../context.ts';
import { publicMediaRewriter } from '../media-url.ts';
import { readerLoad } from '../reads.ts';
import { articlePath } from '../presenters/articles.ts';
import { sitemapRoutes } from './sitemaps.ts';
import { absoluteUrls, xmlText } from './xml.ts';

const FEED_ITEMS = 30;

const xml = xmlText;

const iso = (ms: number) => new Date(ms).toISOString();

/** RSS 2.0, JSON Feed 1.1, sitemaps and robots.txt: what aggregators, search engines and readers' apps fetch. */
export function distributionRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config } = deps;
  sitemapRoutes(app, deps);
  const site = config.siteUrl;
  const latest = (limit: number) => readerLoad(deps, undefined, (ctx) => ctx.store.articles.listPublished({ limit }));
  const publicMedia = publicMediaRewriter(config.mediaPublicUrl, site);
  const send = (type: string, maxAge: number) => (body: string) => ({ type, maxAge, body: publicMedia(body) });
  const reply = (r: { header(k: string, v: string): unknown; send(b: string): unknown }, out: { type: string; maxAge: number; body: string }) => {
    r.header('content-type', out.type);
    r.header('cache-control', `public, max-age=${out.maxAge}`);
    return r.send(out.body);
  };

  app.get('/feed.xml', async (_req, r) => {
    const items = await latest(FEED_ITEMS);
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>${xml(config.siteName)}</title>
<link>${xml(site)}/</link>
<description>${xml(`${config.siteName} 最新报道`)}</description>
<language>zh-CN</language>
<atom:link href="${xml(site)}/feed.xml" rel="self" type="application/rss+xml"/>
${items.length ? `<lastBuildDate>${new Date(items[0]!.publishedAt!).toUTCString()}</lastBuildDate>` : ''}
${items.map(rssItem).join('\n')}
</channel>
</rss>
`;
    return reply(r, send('application/rss+xml; charset=utf-8', 300)(body));
  });

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
        image: a.cover ? (a.cover.startsWith('/') ? site + a.cover : a.cover) : undefined,
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
}
