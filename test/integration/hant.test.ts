import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { birds } from '../support/newsroom-texts.ts';

const SITE = 'http://news.example.test';

const attributeValues = (html: string, name: string) => [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((m) => m[1]!);
const jsonLd = (html: string) => [...html.matchAll(/<script type="application\/ld\+json">(.*?)<\/script>/g)].map((m) => JSON.parse(m[1]!));
const keysOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.flatMap(keysOf) : value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]) : [];

describe.each(STORES)('简/繁 reader pages on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let id: number;
  let hans: string;
  let hant: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin.auth);
    id = (
      await createArticle(t.app, editor, {
        ...birds.arrival,
        subtitle: '监测站：首批候鸟比去年提前一周',
        body: `${birds.arrival.body}<figure><img src="/media/demo/wetland-birds.jpg" alt="灰鹤在芦苇荡上空飞过"><figcaption>灰鹤飞过砚湖湿地</figcaption></figure>`,
        cover: '/media/demo/wetland-birds.jpg',
      })
    ).id;
    await publish(t.app, editor, id);
    await t.settled();
    const topic = await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor },
      payload: { slug: 'houniao', title: '候鸟观察', description: '砚湖湿地的越冬季', articles: [id] },
    });
    expect(topic.statusCode).toBe(201);
    hans = (await t.app.inject({ url: `/a/${id}` })).body;
    const res = await t.app.inject({ url: `/zh-hant/a/${id}` });
    expect(res.statusCode).toBe(200);
    hant = res.body;
  });
  afterAll(() => t.close());

  it('renders the article in traditional characters at its own URL, declared zh-Hant', () => {
    expect(hant).toMatch(/^<!doctype html><html lang="zh-Hant"/);
    expect(hant).toContain('<title>硯湖溼地迎來首批越冬候鳥 - 要聞 - ');
    expect(hant).toContain('<h1 data-article-title="true">硯湖溼地迎來首批越冬候鳥</h1>');
    expect(hant).toContain('監測站：首批候鳥比去年提前一週');
    expect(hant).toContain('保護區提醒市民，觀鳥時請保持安靜');
    expect(hant).toContain('alt="灰鶴在蘆葦蕩上空飛過"');
    expect(hant).toContain('<figcaption>灰鶴飛過硯湖溼地</figcaption>');
    // The page's own words and the channel names, not only the article.
    expect(hant).toContain('>推薦閱讀<');
    expect(hant).toContain('>您此時的心情<');
    expect(hant).toContain('>地方頻道<');
    expect(hant).toContain('<meta property="og:locale" content="zh_TW"');
    expect(hant).toContain(`<link rel="canonical" href="${SITE}/zh-hant/a/${id}"`);
    expect(hant).toContain(`<meta property="og:url" content="${SITE}/zh-hant/a/${id}"`);
    expect(hans).toMatch(/^<!doctype html><html lang="zh-CN"/);
    expect(hans).toContain(`<link rel="canonical" href="${SITE}/a/${id}"`);
  });

  it('links both versions to each other with hreflang, and offers 简/繁 in the header', () => {
    for (const html of [hans, hant]) {
      expect(html).toContain(`<link rel="alternate" hreflang="zh-Hans" href="${SITE}/a/${id}"`);
      expect(html).toContain(`<link rel="alternate" hreflang="zh-Hant" href="${SITE}/zh-hant/a/${id}"`);
      expect(html).toContain(`<link rel="alternate" hreflang="x-default" href="${SITE}/a/${id}"`);
    }
    const switchOf = (html: string) => /<nav class="script-switch".*?<\/nav>/s.exec(html)![0];
    expect(switchOf(hans)).toMatch(new RegExp(`<a href="/a/${id}"[^>]*data-script="hans" aria-current="true">简</a>`));
    expect(switchOf(hans)).toMatch(new RegExp(`<a href="/zh-hant/a/${id}"[^>]*data-script="hant">繁</a>`));
    expect(switchOf(hant)).toMatch(new RegExp(`<a href="/a/${id}"[^>]*data-script="hans">簡</a>`));
    expect(switchOf(hant)).toMatch(new RegExp(`<a href="/zh-hant/a/${id}"[^>]*data-script="hant" aria-current="true">繁</a>`));
  });

  it('never touches URLs, class names, ids or JSON-LD keys, and keeps readers inside the mirror', () => {
    for (const name of ['src', 'class', 'id', 'datetime', 'data-share-url', 'action']) {
      expect(attributeValues(hant, name), name).toEqual(attributeValues(hans, name).map((v) => (name === 'action' && v === '/search' ? '/zh-hant/search' : v)));
    }
    const mirrored = (href: string): string => {
      // 关怀版 returns to the page's care version: the 繁 one from the 繁 page.
      const care = /^\/care\/on\?to=(.*)$/.exec(href);
      if (care) return `/care/on?to=${encodeURIComponent(mirrored(decodeURIComponent(care[1]!)))}`;
      return /^\/(a\/\d+|c\/[\w/-]+|t\/[\w-]+|search)?([?#].*)?$/.test(href) ? `/zh-hant${href === '/' ? '/' : href}` : href;
    };
    const hansLinks = attributeValues(hans, 'href').filter((h) => !h.startsWith(SITE));
    const hantLinks = attributeValues(hant, 'href').filter((h) => !h.startsWith(SITE));
    const expected = hansLinks.map(mirrored);
    // The switch's own links point at both versions in both pages.
    const switchAt = hansLinks.indexOf(`/a/${id}`);
    expected[switchAt] = `/a/${id}`;
    expect(hantLinks).toEqual(expected);
    expect(hantLinks).toContain('/zh-hant/c/difang');
    expect(hantLinks).toContain('/zh-hant/');

    const [ldHans, ldHant] = [jsonLd(hans), jsonLd(hant)];
    expect(ldHant.map(keysOf)).toEqual(ldHans.map(keysOf));
    const news = (ld: any[]) => ld.find((d) => d['@type'] === 'NewsArticle');
    expect(news(ldHant).headline).toBe('硯湖溼地迎來首批越冬候鳥');
    expect(news(ldHant).datePublished).toBe(news(ldHans).datePublished);
    expect(news(ldHant).mainEntityOfPage).toBe(news(ldHans).mainEntityOfPage);
    expect(news(ldHant).image).toEqual(news(ldHans).image);
  });

  it('mirrors the home and channel pages too', async () => {
    for (const [url, lang] of [
      ['/zh-hant/', '要聞'],
      ['/zh-hant', '要聞'],
      ['/zh-hant/c/difang', '地方頻道'],
      ['/zh-hant/c/difang/yaowen', '硯湖溼地迎來首批越冬候鳥'],
      ['/zh-hant/t/houniao', '候鳥觀察'],
    ]) {
      const res = await t.app.inject({ url: url! });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toMatch(/<html lang="zh-Hant"/);
      expect(res.body, url).toContain(lang);
    }
    const home = (await t.app.inject({ url: '/zh-hant/' })).body;
    expect(home).toContain(`<link rel="canonical" href="${SITE}/zh-hant/"`);
    expect(home).toContain(`href="/zh-hant/a/${id}"`);
  });

  it('answers the mirror of a missing page with a traditional 404, and has no mirror of anything but pages', async () => {
    const missing = await t.app.inject({ url: '/zh-hant/a/999999' });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('頁面不存在');
    for (const url of ['/zh-hant/api/v1/feed', `/zh-hant/a/${id}/qr.svg`, '/zh-hant/feed.xml', '/zh-hant/admin', '/zh-hant/zh-hant/']) {
      expect((await t.app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('is cached per URL and follows newsroom edits', async () => {
    const url = `/zh-hant/a/${id}`;
    expect((await t.app.inject({ url })).headers['x-cache']).toBe('hit');
    const gz = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const edit = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: editor },
      payload: { title: '砚湖湿地越冬候鸟突破五千只' },
    });
    expect(edit.statusCode).toBe(200);
    const fresh = await t.app.inject({ url });
    expect(fresh.headers['x-cache']).toBe('miss');
    expect(fresh.body).toContain('<h1 data-article-title="true">硯湖溼地越冬候鳥突破五千只</h1>');
    expect(fresh.headers['cache-control']).toMatch(/^public/);
  });
});
