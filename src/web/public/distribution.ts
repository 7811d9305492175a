import type { FastifyInstance } from 'fastify';
import type { Article } from '../../domain/articles/article.ts';
import type { WebDeps } from '../context.ts';
import { articlePath } from '../presenters/articles.ts';

const FEED_ITEMS = 30;
const SITEMAP_LIMIT = 50_000;
/** Google News takes articles of the last two days only. */
const NEWS_WINDOW_MS = 2 * 24 * 3600_000;

const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const iso = (ms: number) => new Date(ms).toISOString();

/** RSS 2.0, JSON Feed 1.1, sitemaps and robots.txt: what aggregators, search engines and readers' apps fetch. */
export function distributionRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const site = config.siteUrl;
  const latest = (limit: number) => ctx.store.articles.listPublished({ limit });
  const send = (type: string, maxAge: number) => (body: string) => ({ type, maxAge, body });
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
<content:encoded>${xml(a.bodyHtml)}</content:encoded>
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
        content_html: a.bodyHtml,
        image: a.cover ? (a.cover.startsWith('/') ? site + a.cover : a.cover) : undefined,
        date_published: iso(a.publishedAt!),
        date_modified: iso(a.updatedAt),
        authors: a.byline ? [{ name: a.byline }] : undefined,
        tags: a.tags.length ? a.tags : undefined,
      })),
    };
    return reply(r, send('application/feed+json; charset=utf-8', 300)(JSON.stringify(feed)));
  });

  app.get('/sitemap.xml', async (_req, r) => {
    const [articles, channels, topics] = await Promise.all([latest(SITEMAP_LIMIT), ctx.store.channels.all(), ctx.store.topics.all()]);
    const url = (loc: string, lastmod?: number) => `<url><loc>${xml(loc)}</loc>${lastmod ? `<lastmod>${iso(lastmod)}</lastmod>` : ''}</url>`;
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${url(`${site}/`, articles[0]?.publishedAt ?? undefined)}
${channels.map((c) => url(`${site}/c/${c.path}`)).join('\n')}
${topics.map((t) => url(`${site}/t/${t.slug}`, t.updatedAt)).join('\n')}
${articles.map((a) => url(site + articlePath(a.id), a.updatedAt)).join('\n')}
</urlset>
`;
    return reply(r, send('application/xml; charset=utf-8', 600)(body));
  });

  app.get('/sitemap-news.xml', async (_req, r) => {
    const since = ctx.clock.now() - NEWS_WINDOW_MS;
    const articles = (await latest(1000)).filter((a) => a.publishedAt! >= since);
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
${articles
  .map(
    (a) =>
      `<url><loc>${xml(site + articlePath(a.id))}</loc><news:news><news:publication><news:name>${xml(config.siteName)}</news:name><news:language>zh-cn</news:language></news:publication><news:publication_date>${iso(a.publishedAt!)}</news:publication_date><news:title>${xml(a.title)}</news:title>${a.tags.length ? `<news:keywords>${xml(a.tags.join(', '))}</news:keywords>` : ''}</news:news></url>`,
  )
  .join('\n')}
</urlset>
`;
    return reply(r, send('application/xml; charset=utf-8', 300)(body));
  });

  app.get('/robots.txt', async (_req, r) =>
    reply(
      r,
      send(
        'text/plain; charset=utf-8',
        3600,
      )(`User-agent: *\nDisallow: /admin\nDisallow: /api/\nAllow: /\n\nSitemap: ${site}/sitemap.xml\nSitemap: ${site}/sitemap-news.xml\n`),
    ),
  );
}
