import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

const SITE = 'http://news.example.test';

/** Throws unless the text is well-formed XML. */
function parseXml(text: string): void {
  const parser = new SaxesParser();
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(text).close();
}

const hrefs = (html: string) => [...html.matchAll(/<(?:a|form)\b[^>]*?\s(?:href|action)="([^"]*)"/g)].map((m) => m[1]!);

/**
 * 关怀版 and the reader site's rough edges (issue #16): the care mirror's pages, their cache keys and purges, the
 * reader's remembered choice, the no-JS share page and mood acknowledgement, list times, per-channel/topic and Atom
 * feeds, and the newsroom preview's marker.
 */
describe.each(STORES)('关怀版 and the reader site’s rough edges on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let reporter: string;
  let city: number;
  let tech: number;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    reporter = (await t.user('reporter')).auth;
    await createChannels(t.app, admin);
    tech = (await createArticle(t.app, editor, { title: '国产芯片量产', channel: 'keji', tags: ['芯片'], body: '<p>首批芯片今日下线。</p>' })).id;
    await publish(t.app, editor, tech);
    city = (
      await createArticle(t.app, editor, {
        title: '江城地铁新线开通',
        channel: 'difang/yaowen',
        cover: '/media/demo/metro.jpg',
        body: `<p>见<a href="/a/${tech}">芯片一文</a>。</p><p><img src="/media/demo/metro.jpg" alt="地铁"></p>`,
      })
    ).id;
    await publish(t.app, editor, city);
    const topic = await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor },
      payload: { slug: 'ditie', title: '地铁时代', description: '江城地铁', articles: [city] },
    });
    expect(topic.statusCode).toBe(201);
    await t.settled();
    // A real listener too: cached pages are answered in front of Fastify (serveFromCache), which inject skips.
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

  describe('the care mirror', () => {
    it('renders a page’s care version: care mode, no sidebar rankings, links kept in care mode, canonical unchanged', async () => {
      const res = await get(`/care/a/${city}`);
      expect(res.statusCode).toBe(200);
      const html = res.body;
      expect(html).toMatch(/^<!doctype html><html data-mode="care" lang="zh-CN"/);
      expect(html).not.toContain('class="side-col"');
      expect(html).toContain(`<link rel="canonical" href="${SITE}/a/${city}"`);
      const links = hrefs(html);
      expect(links).toContain('/care/');
      expect(links).toContain('/care/c/difang');
      expect(links).toContain(`/care/a/${tech}`); // inside the body too
      expect(links).toContain(`/care/a/${city}/share`);
      expect(links).toContain('/care/search');
      expect(links).toContain(`/a/${city}/mood?mode=care`);
      expect(links).toContain(`/a/${city}/comments?mode=care`);
      expect(links).toContain(`/care/zh-hant/a/${city}`);
      expect(links).toContain(`/care/off?to=${encodeURIComponent(`/a/${city}`)}`);
      expect(links).not.toContain(`/care/on?to=${encodeURIComponent(`/a/${city}`)}`);
      // Only reader pages move: feeds, posters and assets are the same files.
      expect(links).toContain('/feed.xml');
      expect(links).toContain(`/a/${city}/poster.png`);
      expect(html).toMatch(/<link rel="stylesheet" href="\/assets\//);
      // Every internal link is either a care page or not a reader page at all.
      for (const href of links.filter((h) => /^\/(?:a\/\d+|c\/|t\/)/.test(h)))
        expect(href, href).toMatch(/\/(?:share|mood|poster\.png|qr\.svg)|\.xml|\.atom|mode=care/);
    });

    it('offers the switch on every standard page, as a plain link to this page’s care version', async () => {
      const standard = (await get(`/a/${city}`)).body;
      expect(standard).not.toContain('data-mode="care"');
      expect(standard).toContain(`<a class="care-switch" href="/care/on?to=${encodeURIComponent(`/a/${city}`)}" data-care-switch="on">关怀版</a>`);
      expect((await get('/c/keji')).body).toContain(`href="/care/on?to=${encodeURIComponent('/c/keji')}"`);
      // The font button needs the script: rendered hidden, the script shows it.
      expect(standard).toMatch(/<button type="button" class="tool-font" data-font-toggle(="true")? hidden/);
    });

    it('has a care version of every reader page kind: home, channel, topic, search, share, 404 and the 繁 mirror', async () => {
      for (const url of ['/care', '/care/', '/care/c/difang/yaowen', '/care/t/ditie', `/care/a/${city}/share`, '/care/zh-hant/', `/care/zh-hant/a/${city}`]) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        expect(res.body, url).toContain('data-mode="care"');
      }
      const search = await get(`/care/search?q=${encodeURIComponent('地铁')}`);
      expect(search.statusCode).toBe(200);
      expect(search.body).toContain('data-mode="care"');
      expect(search.headers['x-cache']).toBeUndefined(); // by query: never in the page cache
      const hantCare = (await get(`/care/zh-hant/a/${city}`)).body;
      expect(hantCare).toContain('lang="zh-Hant"');
      // From the 繁 page, 关怀版 opens the 繁 care page, and 退出关怀版 goes back to the 繁 page.
      expect((await get(`/zh-hant/a/${city}`)).body).toContain(`href="/care/on?to=${encodeURIComponent(`/zh-hant/a/${city}`)}"`);
      expect(hrefs(hantCare)).toContain(`/care/off?to=${encodeURIComponent(`/zh-hant/a/${city}`)}`);
      expect((await get(`/care/on?to=${encodeURIComponent(`/zh-hant/a/${city}`)}`)).headers.location).toBe(`/care/zh-hant/a/${city}`);
      const missing = await get('/care/a/999999');
      expect(missing.statusCode).toBe(404);
      expect(missing.body).toContain('data-mode="care"');
    });

    it('has no care version of what is not a reader page, nor of a care page', async () => {
      for (const url of [
        '/care/admin',
        '/care/api/v1/articles',
        '/care/care/a/1',
        '/care/media/demo/metro.jpg',
        '/care/static/favicon.svg',
        '/care/feed.xml',
      ]) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(404);
        expect(res.body, url).not.toContain('data-mode="care"');
      }
      // A percent-encoded path is the page it decodes to.
      const encoded = await get(`/care/%61/${city}`);
      expect(encoded.statusCode).toBe(200);
      expect(encoded.body).toContain('data-mode="care"');
    });

    it('keeps the care page and the standard page apart in the cache, and purges both on a change', async () => {
      const pages = [`/a/${tech}`, `/care/a/${tech}`, `/care/zh-hant/a/${tech}`, '/care/', '/care/c/keji', `/care/a/${city}`, '/care/c/difang'];
      await t.settled();
      for (const url of pages) await get(url);
      for (const url of pages) expect((await get(url)).headers['x-cache'], url).toBe('hit');
      expect((await get(`/a/${tech}`)).body).not.toContain('data-mode="care"');
      expect((await get(`/care/a/${tech}`)).body).toContain('data-mode="care"');
      const edit = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/articles/${tech}`,
        headers: { authorization: editor },
        payload: { title: '国产芯片量产（更正）' },
      });
      expect(edit.statusCode).toBe(200);
      for (const url of [`/a/${tech}`, `/care/a/${tech}`, `/care/zh-hant/a/${tech}`, '/care/', '/care/c/keji', `/care/a/${city}`]) {
        expect((await get(url)).headers['x-cache'], url).toBe('miss');
      }
      expect((await get('/care/c/difang')).headers['x-cache']).toBe('hit');
      expect((await get(`/care/a/${tech}`)).body).toContain('国产芯片量产（更正）');
    });

    it('keeps in a cached care page’s 退出关怀版 link only the parameters its cache key has', async () => {
      // The edit of the test before still has work queued (related reading, search) that purges pages when done: let it
      // finish. A care page lives no longer than the cached page it is made from (it carries that page's Age): start
      // from a fresh one, not from whenever an earlier test of this file had it rendered.
      await t.settled();
      t.pageCache.purge([`a${city}`], { propagate: false });
      // The first reader's URL carried a tracking parameter the cache key leaves out; every later reader gets its page.
      const first = await get(`/care/a/${city}?full=1&utm_source=planted`);
      expect(first.headers['x-cache']).toBe('miss');
      const later = await get(`/care/a/${city}?full=1`);
      expect(later.headers['x-cache']).toBe('hit');
      for (const { body } of [first, later]) {
        expect(body).toContain(`/care/off?to=${encodeURIComponent(`/a/${city}?full=1`)}"`);
        expect(body).not.toContain('planted');
      }
      // Search is never cached: its link keeps the whole query.
      expect((await get('/care/search?q=%E5%9C%B0%E9%93%81&utm_source=kept')).body).toContain(
        `/care/off?to=${encodeURIComponent('/search?q=%E5%9C%B0%E9%93%81&utm_source=kept')}"`,
      );
    });
  });

  describe('the reader’s choice', () => {
    it('is set and cleared by plain links that go back to the page, never elsewhere', async () => {
      const on = await get(`/care/on?to=${encodeURIComponent(`/a/${city}?full=1`)}`);
      expect(on.statusCode).toBe(303);
      expect(on.headers.location).toBe(`/care/a/${city}?full=1`);
      expect(String(on.headers['set-cookie'])).toMatch(/^inkstone_care=1; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax/);
      expect(on.headers['cache-control']).toBe('no-store');
      const off = await get(`/care/off?to=${encodeURIComponent(`/a/${city}`)}`);
      expect(off.headers.location).toBe(`/a/${city}`);
      expect(String(off.headers['set-cookie'])).toMatch(/^inkstone_care=; Max-Age=0|^inkstone_care=; Path=\/; Expires=Thu, 01 Jan 1970/);
      // Hostile or odd return addresses land on the home page.
      for (const to of [
        '//evil.example/x',
        'https://evil.example/',
        '/\\evil.example',
        '/admin',
        '/api/v1/articles',
        'x'.repeat(600),
        '/a/1\r\nSet-Cookie: x=1',
      ]) {
        expect((await get(`/care/on?to=${encodeURIComponent(to)}`)).headers.location, to).toBe('/care/');
        expect((await get(`/care/off?to=${encodeURIComponent(to)}`)).headers.location, to).toBe('/');
      }
      expect((await get('/care/on?to=/a/1&to=/a/2')).headers.location).toBe('/care/');
      expect((await get(`/care/off?to=${encodeURIComponent('/care/c/keji')}`)).headers.location).toBe('/c/keji');
    });

    it('sends a reader who chose it to the care page even when the standard page is cached, and no one else', async () => {
      const url = `/a/${city}`;
      // Cached, and answered by the hot path in front of Fastify.
      // Related reading refreshed after the last edit purges article pages once more: wait for it first.
      await t.settled();
      for (const path of [url, `${url}?full=1`]) {
        await fetch(base + path);
        expect((await fetch(base + path)).headers.get('x-cache'), path).toBe('hit');
      }
      for (const [cookie, path] of [
        ['inkstone_care=1', url],
        ['a=b; inkstone_care=1', `${url}?full=1`],
        ['inkstone_care=1; inkstone_reader=x', url],
      ] as const) {
        const res = await fetch(base + path, { headers: { cookie }, redirect: 'manual' });
        expect(res.status, cookie).toBe(302);
        expect(res.headers.get('location')).toBe(`/care${path}`);
        expect(res.headers.get('cache-control')).toBe('private, no-store');
        expect(res.headers.get('vary')).toContain('cookie');
      }
      for (const cookie of ['inkstone_care=0', 'xinkstone_care=1', 'inkstone_care=10']) {
        const res = await fetch(base + url, { headers: { cookie }, redirect: 'manual' });
        expect(res.status, cookie).toBe(200);
        expect(await res.text()).not.toContain('data-mode="care"');
      }
      // Care pages, the API, feeds and the switch itself are never redirected.
      for (const path of [`/care${url}`, '/api/v1/feed', '/feed.xml', '/care/off?to=/', '/static/favicon.svg']) {
        const res = await fetch(base + path, { headers: { cookie: 'inkstone_care=1' }, redirect: 'manual' });
        expect(res.status, path).not.toBe(302);
      }
    });
  });

  describe('without JavaScript', () => {
    it('分享 is a link to a share page with the address and a QR code, cached and purged like the article', async () => {
      const html = (await get(`/a/${city}`)).body;
      expect(html).toMatch(new RegExp(`<a class="share-button" href="/a/${city}/share" data-share-button[^>]*>分享</a>`));
      const res = await get(`/a/${city}/share`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`value="${SITE}/a/${city}"`);
      expect(res.body).toContain(`<img src="/a/${city}/qr.svg"`);
      expect(String(res.headers['surrogate-key']).split(' ')).toEqual(expect.arrayContaining([`a${city}`, `p${city}`]));
      expect((await get(`/a/${city}/qr.svg`)).headers['content-type']).toContain('image/svg+xml');
      const draft = await createArticle(t.app, reporter, { title: '未发布的稿件' });
      expect((await get(`/a/${draft.id}/share`)).statusCode).toBe(404);
      expect((await get('/a/99999999999/share')).statusCode).toBe(404);
      expect((await get('/a/abc/share')).statusCode).toBe(404);
    });

    it('a mood vote lands on a page with the reader’s vote, the new count and an acknowledgement, never cached', async () => {
      const form = (body: string, cookie?: string, url = `/a/${city}/mood`) =>
        t.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
          payload: body,
        });
      const first = await form('mood=happy');
      expect(first.statusCode).toBe(303);
      expect(first.headers.location).toBe(`/a/${city}/mood`);
      const cookie = String(first.headers['set-cookie']).split(';')[0]!;
      const page = await get(first.headers.location as string, { cookie });
      expect(page.statusCode).toBe(200);
      expect(page.headers['cache-control']).toBe('private, no-store');
      expect(page.body).toContain('感谢参与！您选择了「开心」。');
      expect(page.body).toMatch(/<li class="is-mine" data-mood-result="happy">开心 <span data-mood-count(="true")?>1<\/span>（您的选择）<\/li>/);
      // Another reader's view of the same page: the count, no vote of theirs.
      const other = await get(`/a/${city}/mood`);
      expect(other.body).toContain('您还没有表达心情。');
      expect(other.body).toMatch(/data-mood-result="happy">开心 <span data-mood-count(="true")?>1</);
      // Changing the vote moves the count; from a care page the answer is in care mode.
      const again = await form('mood=sad', cookie, `/a/${city}/mood?mode=care`);
      expect(again.headers.location).toBe(`/a/${city}/mood?mode=care`);
      const care = await get(again.headers.location as string, { cookie });
      expect(care.body).toContain('data-mode="care"');
      expect(care.body).toContain('感谢参与！您选择了「难过」。');
      expect(care.body).toMatch(/data-mood-result="happy">开心 <span data-mood-count(="true")?>0</);
      expect(care.body).toContain(`href="/care/a/${city}#moods"`);
      // A comment from a care page: its answer is a care page too.
      const commented = await t.app.inject({
        method: 'POST',
        url: `/a/${city}/comments?mode=care`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        payload: `nickname=${encodeURIComponent('老读者')}&body=${encodeURIComponent('字大了，看得清楚。')}`,
      });
      expect(commented.statusCode, commented.body).toBe(200);
      expect(commented.body).toContain('data-mode="care"');
      expect(commented.body).toContain('留言已提交，审核后显示');
      expect((await get('/a/999999/mood')).statusCode).toBe(404);
      expect((await get(`/a/${city}/mood?mode=${'x'.repeat(50)}`)).statusCode).toBe(400);
    });

    it('lists show short times, the full time in title and datetime', async () => {
      const html = (await get('/c/keji')).body;
      const time = /<time class="feed-time" datetime="([^"]+)" title="(\d{4}-\d{2}-\d{2} \d{2}:\d{2})" data-relative(?:="true")?>([^<]+)<\/time>/.exec(html);
      expect(time).not.toBeNull();
      const [, datetime, full, short] = time!;
      expect(datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      expect(short).toBe(full!.slice(5)); // this year: MM-DD HH:mm
      // The article's own time stays the full one.
      expect((await get(`/a/${city}`)).body).toMatch(/<time class="published" datetime="[^"]+">\d{4}-\d{2}-\d{2} \d{2}:\d{2}<\/time>/);
    });
  });

  describe('feeds', () => {
    it('per channel (with its subchannels) and per topic, in RSS and Atom, every address absolute', async () => {
      const feeds: [string, number[], number[]][] = [
        ['/c/keji/feed.xml', [tech], [city]],
        ['/c/keji/feed.atom', [tech], [city]],
        ['/c/difang/feed.xml', [city], [tech]],
        ['/c/difang/yaowen/feed.atom', [city], [tech]],
        ['/t/ditie/feed.xml', [city], [tech]],
        ['/t/ditie/feed.atom', [city], [tech]],
        ['/feed.atom', [city, tech], []],
        ['/feed.xml', [city, tech], []],
      ];
      for (const [url, has, hasNot] of feeds) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type'], url).toMatch(url.endsWith('.atom') ? /^application\/atom\+xml/ : /^application\/rss\+xml/);
        parseXml(res.body);
        for (const id of has) expect(res.body, url).toContain(`${SITE}/a/${id}`);
        for (const id of hasNot) expect(res.body, url).not.toContain(`${SITE}/a/${id}<`);
        const decoded = res.body.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
        expect(decoded, url).not.toMatch(/\s(src|href)="\/(?!\/)/);
        expect(res.body, url).toMatch(new RegExp(`(?:href="|<id>)${SITE}/(?:c/|t/|feed)`));
      }
      const atom = (await get('/c/keji/feed.atom')).body;
      expect(atom).toContain(`<link rel="self" type="application/atom+xml" href="${SITE}/c/keji/feed.atom"/>`);
      expect(atom).toContain(`<link rel="alternate" type="text/html" href="${SITE}/c/keji"/>`);
      expect((await get('/t/ditie/feed.atom')).body).toContain(`<link rel="enclosure" href="${SITE}/media/demo/metro.jpg"/>`);
      expect((await get('/c/keji')).body).toContain('<link rel="alternate" type="application/atom+xml" title="砚台新闻 - 科技" href="/c/keji/feed.atom"/>');
      for (const url of ['/c/nope/feed.xml', '/c/keji/nope/feed.atom', '/t/nope/feed.xml', '/t/nope/feed.atom', '/c/feed.xml']) {
        expect((await get(url)).statusCode, url).toBe(404);
      }
    });
  });

  it('the newsroom preview says 预览 · 未发布 and shows no publication time for an unpublished article', async () => {
    const draft = await createArticle(t.app, reporter, { title: '预览里的草稿' });
    const res = await get(`/admin/preview/${draft.id}`, { authorization: reporter });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<p class="preview-banner" data-preview-banner');
    expect(res.body).toContain('预览 · 未发布');
    expect(res.body).not.toContain('class="published"');
    const pub = await get(`/admin/preview/${city}`, { authorization: editor });
    expect(pub.body).toMatch(/<p class="preview-banner"[^>]*>预览<\/p>/);
    expect(pub.body).toContain('class="published"');
    // The reader page itself has no marker.
    expect((await get(`/a/${city}`)).body).not.toContain('preview-banner');
    expect(json(await get(`/api/v1/articles/${draft.id}`, { authorization: reporter })).status).toBe('draft');
  });
});
