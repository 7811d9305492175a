import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';

describe.each(STORES)('feeds, sitemaps and robots.txt on %s', (kind) => {
  let t: TestApp;
  let fresh: number;
  let old: number;
  let draft: number;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    const editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin.auth);
    t.clock.set(Date.now() - 5 * 24 * 3600_000);
    old = (await createArticle(t.app, editor, { title: '五天前的报道' })).id;
    await publish(t.app, editor, old);
    t.clock.set(Date.now());
    fresh = (await createArticle(t.app, editor, { title: '今日要闻 & <特写>', tags: ['江城'] })).id;
    await publish(t.app, editor, fresh);
    draft = (await createArticle(t.app, editor, { title: '未发布草稿' })).id;
  });
  afterAll(() => t.close());

  it('serves RSS 2.0 with escaped titles and full bodies, newest first, no drafts', async () => {
    const res = await t.app.inject({ url: '/feed.xml' });
    expect(res.headers['content-type']).toMatch(/application\/rss\+xml/);
    expect(res.body).toContain('<title>今日要闻 &amp; &lt;特写&gt;</title>');
    expect(res.body.indexOf(`/a/${fresh}<`)).toBeLessThan(res.body.indexOf(`/a/${old}<`));
    expect(res.body).toContain('<content:encoded>&lt;p&gt;');
    expect(res.body).not.toContain('未发布草稿');
  });

  it('serves JSON Feed 1.1', async () => {
    const feed = JSON.parse((await t.app.inject({ url: '/feed.json' })).body);
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.items[0]).toMatchObject({ url: `http://news.example.test/a/${fresh}`, title: '今日要闻 & <特写>', tags: ['江城'] });
  });

  it('lists every published article in a sitemap shard and only the last two days in the news sitemap', async () => {
    const index = (await t.app.inject({ url: '/sitemap.xml' })).body;
    expect(index).toContain('<sitemapindex');
    expect(index).toContain('<loc>http://news.example.test/sitemap-pages.xml</loc>');
    expect(index).toContain('<loc>http://news.example.test/sitemap-news.xml</loc>');
    const shards = [...index.matchAll(/<loc>http:\/\/news\.example\.test(\/sitemap-articles-\d+\.xml)<\/loc>/g)].map((m) => m[1]!);
    expect(shards).toEqual(['/sitemap-articles-0.xml']);
    const shard = (await t.app.inject({ url: shards[0]! })).body;
    expect(shard).toContain(`<loc>http://news.example.test/a/${old}</loc>`);
    expect(shard).not.toContain(`/a/${draft}<`);
    const pages = (await t.app.inject({ url: '/sitemap-pages.xml' })).body;
    expect(pages).toContain('<loc>http://news.example.test/c/difang/yaowen</loc>');
    const news = (await t.app.inject({ url: '/sitemap-news.xml' })).body;
    expect(news).toContain(`<loc>http://news.example.test/a/${fresh}</loc>`);
    expect(news).toContain('<news:language>zh-cn</news:language>');
    expect(news).toContain('<news:title>今日要闻 &amp; &lt;特写&gt;</news:title>');
    expect(news).not.toContain(`/a/${old}<`);
  });

  it('points crawlers at the sitemaps and away from the newsroom', async () => {
    const robots = (await t.app.inject({ url: '/robots.txt' })).body;
    expect(robots).toContain('Disallow: /admin');
    expect(robots).toContain('Sitemap: http://news.example.test/sitemap.xml');
  });
});

describe.each(STORES)('sitemaps of a large archive on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const published: number[] = [];

  beforeAll(async () => {
    // Three URLs per file, so a dozen articles make several shards.
    t = await startTestApp(kind, { INKSTONE_SITEMAP_URLS: '3' });
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin.auth);
    for (let i = 0; i < 12; i++) {
      const { id } = await createArticle(t.app, editor, { title: `第${i}篇`, cover: i === 4 ? '/media/2026/12/cover.jpg' : '' });
      if (i % 4 !== 3) {
        await publish(t.app, editor, id);
        published.push(id);
      }
    }
  });
  afterAll(() => t.close());

  const shardUrls = async () => {
    const index = (await t.app.inject({ url: '/sitemap.xml' })).body;
    return [...index.matchAll(/<loc>http:\/\/news\.example\.test(\/sitemap-articles-\d+\.xml)<\/loc>/g)].map((m) => m[1]!);
  };
  const listed = async (urls: string[]) => {
    const ids: number[] = [];
    for (const url of urls) {
      const body = (await t.app.inject({ url })).body;
      ids.push(...[...body.matchAll(/\/a\/(\d+)<\/loc>/g)].map((m) => Number(m[1])));
    }
    return ids;
  };

  it('splits the articles into shards of fixed id ranges, each listing its published articles once', async () => {
    const urls = await shardUrls();
    expect(urls.length).toBeGreaterThan(2);
    for (const url of urls) {
      const body = (await t.app.inject({ url })).body;
      expect([...body.matchAll(/<url>/g)].length).toBeLessThanOrEqual(3);
    }
    expect((await listed(urls)).sort((a, b) => a - b)).toEqual([...published].sort((a, b) => a - b));
    expect((await t.app.inject({ url: urls[0]! })).body).toContain('xmlns:image=');
  });

  it('gives covers as image entries', async () => {
    const bodies = await Promise.all((await shardUrls()).map(async (url) => (await t.app.inject({ url })).body));
    expect(bodies.join('\n')).toContain('<image:loc>http://news.example.test/media/2026/12/cover.jpg</image:loc>');
  });

  it('serves the bytes gzipped with an ETag, and answers 304 to a crawler that has them', async () => {
    const [url] = await shardUrls();
    const res = await t.app.inject({ url: url!, headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.rawPayload).toString()).toContain('<urlset');
    const etag = String(res.headers.etag);
    expect((await t.app.inject({ url: url!, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
  });

  it('rewrites the shard of an article that changes, and drops an unpublished one', async () => {
    const [first] = published;
    const before = (await t.app.inject({ url: '/sitemap.xml' })).body;
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${first}/unpublish`, headers: { authorization: editor } });
    expect(res.statusCode).toBe(200);
    expect(await listed(await shardUrls())).not.toContain(first);
    // A new article lands in the last shard and is listed at once (this process announced it).
    t.clock.advance(1000);
    const { id } = await createArticle(t.app, editor, { title: '新发布' });
    await publish(t.app, editor, id);
    expect(await listed(await shardUrls())).toContain(id);
    expect((await t.app.inject({ url: '/sitemap.xml' })).body).not.toBe(before);
  });

  it("answers the reader site's 404 page for shards that hold no published article and for names that are not shards", async () => {
    const elsewhere = await t.app.inject({ url: '/no-such-page' });
    for (const url of [
      '/sitemap-articles-999999.xml',
      '/sitemap-articles-x.xml',
      '/sitemap-articles-1.xml.gz',
      '/sitemap-articles-00000001.xml',
      '/sitemap-articles-01.xml',
      '/sitemap-99999.xml',
    ]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      // The same page as any other missing address: HTML in Chinese under the site's CSP, not a bare line of text.
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy'], url).toBe(elsewhere.headers['content-security-policy']);
      expect(res.body, url).toContain('页面不存在');
      expect(res.body, url).toContain('<!doctype html>');
    }
  });
});
