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

  it('lists every published article in the sitemap and only the last two days in the news sitemap', async () => {
    const sitemap = (await t.app.inject({ url: '/sitemap.xml' })).body;
    expect(sitemap).toContain(`<loc>http://news.example.test/a/${old}</loc>`);
    expect(sitemap).toContain('<loc>http://news.example.test/c/difang/yaowen</loc>');
    expect(sitemap).not.toContain(`/a/${draft}<`);
    const news = (await t.app.inject({ url: '/sitemap-news.xml' })).body;
    expect(news).toContain(`<loc>http://news.example.test/a/${fresh}</loc>`);
    expect(news).toContain('<news:language>zh-cn</news:language>');
    expect(news).not.toContain(`/a/${old}<`);
  });

  it('points crawlers at the sitemaps and away from the newsroom', async () => {
    const robots = (await t.app.inject({ url: '/robots.txt' })).body;
    expect(robots).toContain('Disallow: /admin');
    expect(robots).toContain('Sitemap: http://news.example.test/sitemap.xml');
  });
});
