import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';

const longBody = Array.from(
  { length: 12 },
  (_, i) => `<h2>第${i + 1}部分</h2><p>${'江城科学城建设稳步推进，大科学装置陆续投入运行，科研成果不断涌现。'.repeat(8)}</p>`,
).join('');

function jsonLd(html: string): Record<string, any>[] {
  return [...html.matchAll(/<script type="application\/ld\+json">(.*?)<\/script>/g)].map((m) => JSON.parse(m[1]!));
}

const meta = (html: string, property: string) => new RegExp(`<meta property="${property}" content="([^"]*)"`).exec(html)?.[1];

describe.each(STORES)('reader pages on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let longId: number;
  let shortId: number;
  const sameTopic: number[] = [];
  let unpublishedId: number;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin.auth);
    // Unrelated articles in another channel first, so related reading has something to ignore.
    for (let i = 0; i < 6; i++) {
      t.clock.advance(60_000);
      const a = await createArticle(t.app, editor, { channel: 'keji', title: `航天新闻${i}`, tags: ['航天'] });
      await publish(t.app, editor, a.id);
    }
    for (let i = 0; i < 6; i++) {
      t.clock.advance(60_000);
      const a = await createArticle(t.app, editor, { title: `科学城报道${i}`, tags: ['科学城', '江城'] });
      await publish(t.app, editor, a.id);
      sameTopic.push(a.id);
    }
    t.clock.set(Date.UTC(2026, 5, 4, 6, 44)); // 14:44 in Shanghai
    const long = await createArticle(t.app, editor, {
      title: '江城不断强化科技创新策源功能',
      subtitle: '大科学装置集群加速成形',
      body: `<p>导语段落。</p>${longBody}`,
      // Related reading compares text: the factory's default summary (about a metro line) would tie it to every other story.
      summary: '科学城大科学装置陆续投入运行。',
      tags: ['科学城', '科技'],
      cover: '/media/demo/skyline-dawn.jpg',
      source: '砚台日报',
      byline: '本报记者 周明远',
      editor: '陈静',
    });
    longId = long.id;
    await publish(t.app, editor, longId);
    t.clock.advance(60_000);
    shortId = (await createArticle(t.app, editor, { title: '短讯一则' })).id;
    await publish(t.app, editor, shortId);
    unpublishedId = (await createArticle(t.app, editor, { title: '撤下的稿件' })).id;
    await publish(t.app, editor, unpublishedId);
    await t.app.inject({ method: 'POST', url: `/api/v1/articles/${unpublishedId}/unpublish`, headers: { authorization: editor } });
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/slots/focus',
      headers: { authorization: editor },
      payload: { items: [{ article: longId }, { article: sameTopic[0] }] },
    });
    await t.app.inject({ method: 'PUT', url: '/api/v1/slots/headline', headers: { authorization: editor }, payload: { items: [{ article: shortId }] } });
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor },
      payload: { slug: 'kexuecheng', title: '科学城观察', description: '专题说明', cover: '/media/demo/rocket-launch.jpg', articles: [longId, sameTopic[1]] },
    });
  });
  afterAll(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

  describe('article page', () => {
    let html: string;
    beforeAll(async () => {
      await t.settled();
      const res = await get(`/a/${longId}`);
      expect(res.statusCode).toBe(200);
      html = res.body;
    });

    it('has breadcrumbs linking every level, with BreadcrumbList data', () => {
      expect(html).toMatch(
        /<nav class="breadcrumbs" aria-label="当前位置"><ol><li><a href="\/">首页<\/a>.*<a href="\/c\/difang">地方频道<\/a>.*<a href="\/c\/difang\/yaowen">要闻<\/a>.*<span aria-current="page">正文<\/span>/,
      );
      const crumbs = jsonLd(html).find((d) => d['@type'] === 'BreadcrumbList')!;
      expect(crumbs.itemListElement.map((i: { item: string }) => i.item)).toEqual([
        'http://news.example.test/',
        'http://news.example.test/c/difang',
        'http://news.example.test/c/difang/yaowen',
      ]);
    });

    it('shows title, subtitle, source, Shanghai time, byline, editor, tags and reading time', () => {
      expect(html).toMatch(/<h1 data-article-title(="true")?>江城不断强化科技创新策源功能<\/h1>/);
      expect(html).toContain('<p class="subtitle">大科学装置集群加速成形</p>');
      expect(html).toContain('来源：砚台日报');
      expect(html).toContain('<time class="published" datetime="2026-06-04T14:44:00+08:00">2026-06-04 14:44</time>');
      expect(html).toContain('<p class="byline">本报记者 周明远</p>');
      expect(html).toContain('<p class="editor">[ 责编：陈静 ]</p>');
      expect(html).toMatch(/<ul class="tags" aria-label="标签"><li>科学城<\/li><li>科技<\/li><\/ul>/);
      expect(html).toMatch(/阅读约 \d+ 分钟/);
    });

    it('folds a long body behind 阅读剩余全文 and shows it whole with ?full=1', async () => {
      expect(html).toContain('data-foldable');
      expect(html).toMatch(new RegExp(`<a class="fold-more" data-fold-more(="true")? href="/a/${longId}\\?full=1#article-body">阅读剩余全文</a>`));
      // The full text is in the HTML either way: the fold is presentation only.
      expect(html).toContain('第12部分');
      const full = (await get(`/a/${longId}?full=1`)).body;
      expect(full).not.toContain('data-foldable');
      expect(full).not.toContain('阅读剩余全文');
      const short = (await get(`/a/${shortId}`)).body;
      expect(short).not.toContain('data-foldable');
    });

    it('has the 正在阅读 bar, share panel with WeChat guide and QR code', async () => {
      expect(html).toMatch(
        /<div class="reading-bar" data-reading-bar(="true")? hidden><span class="reading-bar-label">正在阅读<\/span><span class="reading-bar-title">江城不断强化科技创新策源功能<\/span>/,
      );
      expect(html).toContain(`data-share-url="http://news.example.test/a/${longId}"`);
      expect(html).toContain('data-wechat-guide');
      expect(html).toContain('点击右上角');
      const qr = await get(`/a/${longId}/qr.svg`);
      expect(qr.statusCode).toBe(200);
      expect(qr.headers['content-type']).toMatch(/image\/svg\+xml/);
      expect(qr.body).toMatch(/^<svg/);
    });

    it('offers a share poster: a PNG with the title and a QR code', async () => {
      expect(html).toContain(`href="/a/${longId}/poster.png"`);
      const res = await t.app.inject({ url: `/a/${longId}/poster.png` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      const meta = await sharp(res.rawPayload).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 750, 1334]);
      expect((await t.app.inject({ url: `/a/${unpublishedId}/poster.png` })).statusCode).toBe(404);
    });

    it('carries Open Graph tags and NewsArticle data', () => {
      expect(meta(html, 'og:type')).toBe('article');
      expect(meta(html, 'og:title')).toBe('江城不断强化科技创新策源功能');
      expect(meta(html, 'og:url')).toBe(`http://news.example.test/a/${longId}`);
      expect(meta(html, 'og:image')).toBe('http://news.example.test/media/demo/skyline-dawn.jpg');
      expect(meta(html, 'og:site_name')).toBe('砚台新闻');
      expect(meta(html, 'og:description')).toBeTruthy();
      expect(meta(html, 'article:published_time')).toBe('2026-06-04T14:44:00+08:00');
      expect(meta(html, 'article:section')).toBe('地方频道');
      expect(meta(html, 'article:tag')).toBe('科学城');
      const news = jsonLd(html).find((d) => d['@type'] === 'NewsArticle')!;
      expect(news).toMatchObject({
        headline: '江城不断强化科技创新策源功能',
        image: ['http://news.example.test/media/demo/skyline-dawn.jpg'],
        datePublished: '2026-06-04T14:44:00+08:00',
        author: [{ '@type': 'Person', name: '本报记者 周明远' }],
        publisher: { '@type': 'Organization', name: '砚台新闻' },
      });
      expect(news.dateModified).toBeTruthy();
    });

    it('lists 5–8 related articles sharing its tags, never itself or unrelated ones', () => {
      const section = /<section class="related".*?<\/section>/.exec(html)![0];
      const ids = [...section.matchAll(/href="\/a\/(\d+)"/g)].map((m) => Number(m[1]));
      expect(ids.length).toBeGreaterThanOrEqual(5);
      expect(ids.length).toBeLessThanOrEqual(8);
      expect(ids).not.toContain(longId);
      expect(ids.slice(0, 5).every((id) => sameTopic.includes(id))).toBe(true);
      expect(section).not.toContain('航天新闻');
    });

    it('offers the four moods as a form that works without JavaScript', () => {
      expect(html).toContain(`<form method="post" action="/a/${longId}/mood" class="moods-form">`);
      for (const [key, label] of [
        ['happy', '开心'],
        ['sad', '难过'],
        ['like', '点赞'],
        ['pass', '飘过'],
      ]) {
        expect(html).toContain(`name="mood" value="${key}" data-mood="${key}"`);
        expect(html).toContain(`<span class="mood-label">${label}</span>`);
      }
    });

    it('has a recommended feed whose "load more" link works without JavaScript', async () => {
      const link = /<a class="load-more" data-load-more(?:="true")? data-cursor="([^"]+)" href="([^"]+)"/.exec(html);
      expect(link).not.toBeNull();
      const first = [.../<ul class="feed-list" data-feed-list[^>]*>.*?<\/ul>/.exec(html)![0].matchAll(/data-id="(\d+)"/g)].map((m) => m[1]);
      expect(first).not.toContain(String(longId));
      const next = (await get(link![2]!.replace(/&amp;/g, '&').replace(/#.*/, ''))).body;
      const second = [.../<ul class="feed-list" data-feed-list[^>]*>.*?<\/ul>/.exec(next)![0].matchAll(/data-id="(\d+)"/g)].map((m) => m[1]);
      expect(second.length).toBeGreaterThan(0);
      expect(second.filter((id) => first.includes(id))).toEqual([]);
    });

    it('is the same for every reader, so it can be cached whole', async () => {
      const a = (await get(`/a/${longId}`, { cookie: 'inkstone_reader=abc.def' })).body;
      const b = (await get(`/a/${longId}`, { 'user-agent': 'Mozilla/5.0 MicroMessenger/8.0' })).body;
      expect(a).toBe(html);
      expect(b).toBe(html);
    });

    it('runs no inline script and sets a strict Content-Security-Policy', async () => {
      const res = await get(`/a/${longId}`);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      for (const tag of html.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/src="\/assets\/app\.[0-9a-f]+\.js"|type="application\/ld\+json"/);
      expect(html).not.toMatch(/\son[a-z]+=/i);
      expect(html).not.toMatch(/\sstyle=/i);
    });

    it('stays within the page budget: HTML + CSS + JS ≤ 60 KB gzip', async () => {
      const assets = [...html.matchAll(/(?:href|src)="(\/assets\/(?:app|site)\.[0-9a-f]+\.(?:js|css))"/g)].map((m) => m[1]!);
      expect(assets).toHaveLength(2);
      let total = gzipSync(html).length;
      for (const url of assets) {
        const res = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
        expect(res.statusCode).toBe(200);
        expect(res.headers['cache-control']).toContain('immutable');
        total += res.rawPayload.length;
      }
      expect(total).toBeLessThanOrEqual(60 * 1024);
    });
  });

  it('renders the home page with carousel, headlines, channel blocks, topics and feed', async () => {
    const html = (await get('/')).body;
    expect(html).toMatch(/<section class="carousel" data-carousel[^>]*aria-label="视觉焦点">/);
    const slides = [.../<ul class="carousel-track".*?<\/ul>/.exec(html)![0].matchAll(/href="\/a\/(\d+)"/g)].map((m) => Number(m[1]));
    expect(slides).toEqual([longId, sameTopic[0]]);
    expect(html).toMatch(/<section class="headlines".*短讯一则/);
    expect(html).toContain('<a href="/c/difang">地方频道</a>');
    expect(html).toContain('<a href="/t/kexuecheng">');
    expect(html).toContain('data-load-more');
  });

  it('renders channel pages with sub-channels and cursor pages', async () => {
    const res = await get('/c/difang');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1 class="page-title">地方频道</h1>');
    expect(res.body).toContain('<a href="/c/difang/yaowen">要闻</a>');
    expect(res.body).toContain('江城不断强化科技创新策源功能');
    expect(res.body).not.toContain('航天新闻');
    expect(res.body).toContain('data-feed-channel="difang"');
    expect((await get('/c/keji')).body).toContain('航天新闻');
    expect((await get('/c/no/such')).statusCode).toBe(404);
  });

  it('renders topic pages with their articles in order', async () => {
    const res = await get('/t/kexuecheng');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1 class="page-title">科学城观察</h1>');
    const ids = [...res.body.matchAll(/class="feed-item" data-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toEqual([longId, sameTopic[1]]);
  });

  it('helps the reader on from 404 and 410 pages', async () => {
    const missing = await get('/a/999999');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/text\/html/);
    expect(missing.body).toContain('页面不存在');
    expect(missing.body).toContain('<a class="button-link" href="/">返回首页</a>');
    expect(missing.body).toContain('看看最新报道');
    const gone = await get(`/a/${unpublishedId}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.body).toContain('稿件已撤下');
    expect((await get('/no/such/page')).statusCode).toBe(404);
    const api = await get('/api/v1/no/such');
    expect(json(api).error.code).toBe('not_found');
  });
});

describe('page cache', () => {
  it('serves a page from memory until the newsroom changes something', async () => {
    const t = await startTestApp('sqlite');
    try {
      const admin = await t.user('admin');
      const editor = (await t.user('editor')).auth;
      await createChannels(t.app, admin.auth);
      const a = await createArticle(t.app, editor, { title: '初版标题' });
      await publish(t.app, editor, a.id);
      // The outbox purges the page after the publish too (its search entry, then its related reading): once it is done.
      await t.settled();
      const first = await t.app.inject({ url: `/a/${a.id}`, headers: { 'accept-encoding': 'gzip' } });
      expect(first.headers['x-cache']).toBe('miss');
      expect(first.headers['content-encoding']).toBe('gzip');
      const second = await t.app.inject({ url: `/a/${a.id}`, headers: { 'accept-encoding': 'br' } });
      expect(second.headers['x-cache']).toBe('hit');
      expect(second.headers['content-encoding']).toBe('br');
      expect(second.headers['content-security-policy']).toContain("script-src 'self'");
      const plain = await t.app.inject({ url: `/a/${a.id}` });
      expect(plain.body).toContain('初版标题');
      // Search results, simplified or traditional, are one URL per query and never take a cache slot.
      for (const url of ['/search?q=%E6%A0%87%E9%A2%98', '/zh-hant/search?q=%E6%A8%99%E9%A1%8C']) {
        await t.app.inject({ url });
        expect((await t.app.inject({ url })).headers['x-cache']).toBeUndefined();
      }
      // An edit through the API purges: the next reader sees the new title at once.
      await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: { authorization: editor }, payload: { title: '更正后的标题' } });
      const after = await t.app.inject({ url: `/a/${a.id}` });
      expect(after.headers['x-cache']).toBe('miss');
      expect(after.body).toContain('更正后的标题');
    } finally {
      await t.close();
    }
  });

  it('compresses a render fast for its own reader and tighter once the page is read again, the same page either way', async () => {
    const t = await startTestApp('sqlite');
    try {
      const admin = await t.user('admin');
      const editor = (await t.user('editor')).auth;
      await createChannels(t.app, admin.auth);
      const a = await createArticle(t.app, editor, { title: '压缩', body: `<p>${'城市更新让老街区焕发新的活力。'.repeat(200)}</p>` });
      await publish(t.app, editor, a.id);
      await t.settled();
      for (const encoding of ['br', 'gzip'] as const) {
        const url = encoding === 'br' ? `/a/${a.id}` : `/a/${a.id}?full=1`;
        const read = () => t.app.inject({ url, headers: { 'accept-encoding': encoding } });
        const [first, second, third] = [await read(), await read(), await read()];
        expect([first, second, third].map((r) => r.headers['x-cache'])).toEqual(['miss', 'hit', 'hit']);
        const decode = (r: typeof first) => (encoding === 'br' ? brotliDecompressSync(r.rawPayload) : gunzipSync(r.rawPayload)).toString();
        expect(decode(second)).toBe(decode(first));
        expect(second.rawPayload.length, encoding).toBeLessThan(first.rawPayload.length);
        expect(third.rawPayload.equals(second.rawPayload)).toBe(true);
      }
    } finally {
      await t.close();
    }
  });
});
