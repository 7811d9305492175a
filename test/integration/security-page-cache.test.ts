import { get, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateArticle } from '../../src/domain/articles/service.ts';
import { PageCache, pageKey } from '../../src/web/page-cache.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/** A request sent as written: no URL resolution, no Accept-Encoding of the client's own (as fetch adds). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
    get({ host: '127.0.0.1', port: new URL(base).port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.from(body, 'latin1').toString(), headers: res.headers }));
    }).on('error', reject);
  });
}

describe.each(STORES)('security: page cache on %s', (kind) => {
  let t: TestApp;
  let base: string;
  let editor: { auth: string; id: number; username: string };
  let cookie: string;
  let draftId: number;
  let publishedId: number;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = await t.user('editor');
    await createChannels(t.app, admin.auth);
    draftId = (await createArticle(t.app, editor.auth, { title: '尚未发布的草稿标题', body: '<p>草稿里的独家内容绝不外泄。</p>' })).id;
    publishedId = (await createArticle(t.app, editor.auth, { title: '已经发布的稿件' })).id;
    await publish(t.app, editor.auth, publishedId);
    // The outbox purges the page after the publish too (search entry, related reading): let it finish first.
    await t.settled();
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: editor.username, password: 'correct horse battery' } });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it('never puts a signed-in editor’s draft preview into the cache, however the path is encoded', async () => {
    const paths = [`/admin/preview/${draftId}`, `/%61dmin/preview/${draftId}`, `/%61%64%6D%69%6E/preview/${draftId}/`, `/admin/preview/${draftId}?utm=1`];
    for (const path of paths) {
      const lured = await fetch(base + path, { headers: { cookie } });
      expect(lured.status, path).toBe(200);
      expect(await lured.text()).toContain('尚未发布的草稿标题');
      expect(lured.headers.get('x-cache')).toBeNull();
    }
    for (const path of [...paths, `/zh-hant/admin/preview/${draftId}`, `/a/${draftId}`, `/%61/${draftId}`]) {
      const anonymous = await fetch(base + path);
      expect(anonymous.status, path).toBeGreaterThanOrEqual(400);
      const body = await anonymous.text();
      expect(body, path).not.toContain('尚未发布的草稿标题');
      expect(body, path).not.toContain('独家内容');
    }
  });

  it('never stores a response to a request with credentials, and never one marked no-store', async () => {
    const url = `${base}/a/${publishedId}?from=editor`;
    const signedIn = await fetch(url, { headers: { authorization: editor.auth } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('x-cache')).toBeNull();
    const withCookie = await fetch(url, { headers: { cookie } });
    expect(withCookie.headers.get('x-cache')).toBeNull();
    // The first anonymous reader renders and fills the entry.
    expect((await fetch(url)).headers.get('x-cache')).toBe('miss');
    expect((await fetch(url)).headers.get('x-cache')).toBe('hit');
    // The newsroom shell says no-store: never kept, with or without credentials.
    for (let i = 0; i < 2; i++) expect((await fetch(`${base}/admin/articles`)).headers.get('x-cache')).toBeNull();
    // A URL no route serves is not a page worth keeping (any path would take memory).
    for (let i = 0; i < 2; i++) expect((await fetch(`${base}/no/such/page`)).headers.get('x-cache')).toBeNull();
  });

  it('purges when the content changes, whichever door the write came through', async () => {
    const page = `${base}/a/${publishedId}`;
    await fetch(page);
    expect((await fetch(page)).headers.get('x-cache')).toBe('hit');
    // A write sent to a percent-encoded API path is routed like any other, and purges like any other.
    const patched = await fetch(`${base}/api/v1/%61rticles/${publishedId}`, {
      method: 'PATCH',
      headers: { authorization: editor.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: '经由编码路径更正的标题' }),
    });
    expect(patched.status).toBe(200);
    // The outbox's related reading purges the page once more when it is made: done before the page is read again.
    await t.settled();
    const after = await fetch(page);
    expect(after.headers.get('x-cache')).toBe('miss');
    expect(await after.text()).toContain('经由编码路径更正的标题');
    // A change made without HTTP at all (the CLI, the scheduler, an import) purges through the same event.
    expect((await fetch(page)).headers.get('x-cache')).toBe('hit');
    const actor = { id: editor.id, role: 'editor' as const, username: editor.username, displayName: editor.username };
    await updateArticle(t.ctx, actor, publishedId, { title: '命令行里的更正' });
    await t.settled();
    const fresh = await fetch(page);
    expect(fresh.headers.get('x-cache')).toBe('miss');
    expect(await fresh.text()).toContain('命令行里的更正');
  });

  it('keeps the cache when only a draft nobody can read changes (autosaves do not purge)', async () => {
    await t.settled();
    await fetch(`${base}/`);
    expect((await fetch(`${base}/`)).headers.get('x-cache')).toBe('hit');
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${draftId}`,
      headers: { authorization: editor.auth },
      payload: { body: '<p>自动保存的新段落。</p>' },
    });
    expect(res.statusCode).toBe(200);
    expect((await fetch(`${base}/`)).headers.get('x-cache')).toBe('hit');
  });

  it('renders a page once however many readers ask for it at the same moment', async () => {
    const { id } = await createArticle(t.app, editor.auth, { title: '突发新闻' });
    await publish(t.app, editor.auth, id);
    await t.settled();
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/a/${id}?utm_source=wx${Math.random()}`)));
    const kinds = answers.map((r) => r.headers.get('x-cache'));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(kinds.filter((k) => k === 'miss')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'hit')).toHaveLength(19);
  });

  it('never answers one search with another’s page, whatever dot segments the mirrors’ paths carry', async () => {
    // Sent byte for byte (fetch and inject resolve dot segments before sending): the page cache keys the path as sent
    // and drops q, so a mirror resolving `x/../search` itself kept the first query's answer for every later one.
    const raw = (path: string) => rawGet(base, path);
    // Words no article has: a search page echoes its query, and an error page lists the latest titles.
    const [first, second] = ['firstquery', 'secondquery'];
    for (const path of ['/zh-hant/x/../search', '/zh-hant/x/%2e%2E/search', '/zh-hant/x%5C..%5Csearch', '/care/x/../search', '/care/x/./search']) {
      await raw(`${path}?q=${first}`);
      const answer = await raw(`${path}?q=${second}`);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.body, path).not.toContain(first);
    }
    // A path already in its plain form is mirrored, also when the request names it in absolute form.
    for (const path of [`/zh-hant/a/${publishedId}`, `/care/a/${publishedId}`, `${base}/zh-hant/a/${publishedId}`, `${base}/care/a/${publishedId}`]) {
      expect((await raw(path)).status, path).toBe(200);
    }
  });

  it('compresses only in an encoding the reader accepts: q=0 refuses one, and names match whole', async () => {
    // An entry of its own (a channel page), apart from those the other tests count hits on.
    const page = '/c/keji';
    const cases: [accept: string, encoding: string | undefined][] = [
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0', undefined],
      ['br;q=0.0,gzip;Q=0', undefined],
      ['x-br, identity', undefined],
      ['gzip, deflate, br, zstd', 'br'],
    ];
    // Once as the render's own answer (miss), then from memory in front of Fastify (hit).
    for (const cache of ['miss', 'hit']) {
      for (const [accept, encoding] of cases) {
        if (cache === 'miss') t.pageCache.purge();
        const res = await rawGet(base, page, { 'accept-encoding': accept });
        expect(res.headers['x-cache'], accept).toBe(cache);
        expect(res.headers['content-encoding'], `${cache} ${accept}`).toBe(encoding);
      }
    }
    // The built bundles (kept in both encodings) and the sitemaps (kept gzipped) choose the same way.
    const stylesheet = (await rawGet(base, '/')).body.match(/\/assets\/site\.[\w.]+\.css/)![0];
    for (const [accept, encoding] of cases) {
      expect((await rawGet(base, stylesheet, { 'accept-encoding': accept })).headers['content-encoding'], accept).toBe(encoding);
      const sitemap = await rawGet(base, '/sitemap-articles-0.xml', { 'accept-encoding': accept });
      expect(sitemap.headers['content-encoding'], accept).toBe(encoding && 'gzip');
    }
  });

  it('keys pages by the parameters they read: tracking parameters share one entry', async () => {
    const page = `${base}/a/${publishedId}`;
    await fetch(`${page}?utm_source=a`);
    for (const suffix of ['?utm_source=b', '?utm_source=c&x=1', '/', '']) expect((await fetch(page + suffix)).headers.get('x-cache'), suffix).toBe('hit');
    const full = await fetch(`${page}?full=1&utm_source=z`);
    expect(full.headers.get('x-cache')).toBe('miss');
    expect((await fetch(`${page}?utm_campaign=q&full=1`)).headers.get('x-cache')).toBe('hit');
  });
});

describe('security: page cache bounds', () => {
  const page = (size: number) => {
    const raw = Buffer.alloc(size, 'a');
    return {
      status: 200,
      type: 'text/html',
      cacheControl: 'public',
      headers: {},
      raw,
      gzip: raw,
      br: raw,
      expires: 0,
      rendered: 0,
      keys: new Set<string>(),
      bytes: 0,
    };
  };

  it('holds at most its byte budget, dropping the least recently used page first', () => {
    const cache = new PageCache({ ttlMs: 60_000, maxBytes: 1024 * 1024 });
    const now = 1_000;
    for (let i = 0; i < 300; i++) {
      cache.store(`/a/${i}`, { ...page(20_000), expires: now + 60_000 }, cache.currentGeneration(), now);
      if (i >= 1) cache.lookup('/a/0', now);
      expect(cache.size.bytes).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(cache.lookup('/a/0', now)).toBeDefined();
    expect(cache.lookup('/a/1', now)).toBeUndefined();
    expect(cache.lookup('/a/299', now)).toBeDefined();
  });

  it('keeps a page read again out of reach of not-found pages, however often each of those is asked for', () => {
    const cache = new PageCache({ ttlMs: 60_000, maxBytes: 1024 * 1024 });
    const now = 1_000;
    cache.store('/', { ...page(20_000), expires: now + 60_000 }, cache.currentGeneration(), now);
    expect(cache.lookup('/', now)).toBeDefined();
    for (let i = 0; i < 300; i++) {
      cache.store(`/a/junk${i}`, { ...page(20_000), status: 404, expires: now + 30_000 }, cache.currentGeneration(), now);
      for (let n = 0; n < 3; n++) expect(cache.lookup(`/a/junk${i}`, now)?.status).toBe(404);
      expect(cache.size.bytes).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(cache.lookup('/', now)).toBeDefined();
    expect(cache.lookup('/a/junk299', now)).toBeDefined();
    expect(cache.lookup('/a/junk0', now)).toBeUndefined();
  });

  it('frees expired pages without being asked', () => {
    const cache = new PageCache({ ttlMs: 1_000, maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 50; i++) cache.store(`/a/${i}`, { ...page(10_000), expires: 2_000 }, 0, 1_000);
    expect(cache.size.entries).toBe(50);
    cache.store('/a/new', { ...page(10_000), expires: 10_000 }, 0, 5_000);
    expect(cache.size).toEqual({ entries: 1, bytes: expect.any(Number) });
  });

  it('serves an expired page while its next render runs, never one that was purged', () => {
    const cache = new PageCache({ ttlMs: 1_000, maxBytes: 64 * 1024 * 1024 });
    cache.store('/a/1', { ...page(1_000), expires: 2_000, keys: new Set(['a1']) }, 0, 1_000);
    expect(cache.lookup('/a/1', 2_500)).toBeUndefined();
    // Nobody renders it: the first reader after expiry renders, and does not get the stale copy.
    expect(cache.staleWhileRendering('/a/1', 2_500)).toBeUndefined();
    cache.rendering.set('/a/1', new Promise(() => undefined));
    expect(cache.staleWhileRendering('/a/1', 2_500)).toBeDefined();
    // Not past one more TTL.
    expect(cache.staleWhileRendering('/a/1', 3_000)).toBeUndefined();
    cache.store('/a/2', { ...page(1_000), expires: 2_000, keys: new Set(['a2']) }, 0, 1_000);
    cache.rendering.set('/a/2', new Promise(() => undefined));
    cache.purge(['a2']);
    expect(cache.staleWhileRendering('/a/2', 2_500)).toBeUndefined();
  });

  it('keys URLs as the router reads them', () => {
    expect(pageKey('/%61/1')).toBe('/a/1');
    expect(pageKey('/a/1/')).toBe('/a/1');
    expect(pageKey('/a/1?utm_source=x&full=1&cursor=abc')).toBe('/a/1?cursor=abc&full=1');
    expect(pageKey('/c/%E5%9C%B0%E6%96%B9')).toBe('/c/地方');
    expect(pageKey('/a/%E0%A4%A')).toBeUndefined();
    expect(pageKey('/')).toBe('/');
  });
});

describe.each(STORES)('security: page cache under a flood of one-off pages on %s', (kind) => {
  let t: TestApp;
  let base: string;
  let articleId: number;

  beforeAll(async () => {
    // A small budget, so that a flood of a few hundred pages is several times what the cache holds.
    t = await startTestApp(kind, { INKSTONE_PAGE_CACHE_MB: '1' });
    const admin = await t.user('admin');
    const editor = await t.user('editor');
    await createChannels(t.app, admin.auth);
    // More than a page of the feed (10), so that the lists have a real next page.
    for (const title of [...Array.from({ length: 11 }, (_, i) => `洪水前的旧闻${i}`), '读者常看的报道']) {
      t.clock.advance(60_000);
      articleId = (await createArticle(t.app, editor.auth, { title })).id;
      await publish(t.app, editor.auth, articleId);
    }
    await t.settled();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it('keeps the pages readers come back to while junk addresses and forged cursors each take an entry', async () => {
    const hot = [`${base}/`, `${base}/a/${articleId}`];
    for (const url of hot) {
      expect((await fetch(url)).headers.get('x-cache'), url).toBe('miss');
      expect((await fetch(url)).headers.get('x-cache'), url).toBe('hit');
    }
    // Well-formed cursors no page gave out (time.id in base 36) and any `full` render a real page each; junk ids and
    // paths a 404 each. Several times the budget in all.
    const cursor = (i: number) => Buffer.from(`${(1_700_000_000_000 + i).toString(36)}.${i.toString(36)}`).toString('base64url');
    const flood = Array.from({ length: 150 }, (_, i) => [
      `/?cursor=${cursor(i)}`,
      `/a/${articleId}?cursor=${cursor(i)}`,
      `/a/${articleId}?full=${i}`,
      `/a/9${i}00000`,
      `/c/junk-${i}`,
    ]).flat();
    for (let i = 0; i < flood.length; i += 8) {
      const answers = await Promise.all(flood.slice(i, i + 8).map((path) => fetch(base + path)));
      for (const res of answers) {
        expect(res.status).toBeLessThan(500);
        await res.arrayBuffer();
      }
    }
    expect(t.pageCache.size.bytes).toBeLessThanOrEqual(1024 * 1024);
    for (const url of hot) expect((await fetch(url)).headers.get('x-cache'), url).toBe('hit');
    // A real not-found answer is still kept (a second reader gets it from memory) and is still a 404 page.
    const missing = `${base}/a/987654321`;
    const first = await fetch(missing);
    expect(first.status).toBe(404);
    expect(first.headers.get('x-cache')).toBe('miss');
    const again = await fetch(missing);
    expect(again.status).toBe(404);
    expect(again.headers.get('x-cache')).toBe('hit');
    expect(again.headers.get('content-security-policy')).toBe(first.headers.get('content-security-policy'));
    expect(again.headers.get('content-security-policy')).toContain("object-src 'none'");
    expect(await again.text()).toContain('读者常看的报道');
  });

  it('keeps the pages readers come back to while forged variants of list pages are each asked twice', async () => {
    const hot = [`${base}/`, `${base}/a/${articleId}`, `${base}/c/difang`];
    for (const url of hot) {
      await (await fetch(url)).arrayBuffer();
      expect((await fetch(url)).headers.get('x-cache'), url).toBe('hit');
    }
    // Well-formed cursors at times and ids no list page ends on, and any `full` or `cursor=` a page does not read:
    // each renders the page of a real one, so a second request must not promote it beside the pages readers return to.
    const cursor = (i: number) => Buffer.from(`${(1_700_000_000_000 + i * 7919).toString(36)}.${(i + 1).toString(36)}`).toString('base64url');
    const flood = Array.from({ length: 120 }, (_, i) => [
      `/?cursor=${cursor(i)}`,
      `/c/difang?cursor=${cursor(i)}`,
      `/a/${articleId}?cursor=${cursor(i)}`,
      `/a/${articleId}?full=${i}`,
      `/?full=${i}`,
    ]).flat();
    for (let i = 0; i < flood.length; i += 8) {
      for (let round = 0; round < 2; round++) {
        const answers = await Promise.all(flood.slice(i, i + 8).map((path) => fetch(base + path)));
        for (const res of answers) {
          expect(res.status).toBeLessThan(500);
          await res.arrayBuffer();
        }
      }
    }
    for (const url of hot) expect((await fetch(url)).headers.get('x-cache'), url).toBe('hit');
  });

  it('pages through the lists with the cursors they give out, each next page cached, and sends a forged one to the real one', async () => {
    for (const list of ['/', '/c/difang', `/a/${articleId}`]) {
      const first = await (await fetch(base + list)).text();
      const next = /href="([^"]*\?cursor=[^"#]+)#feed"/.exec(first)?.[1]?.replaceAll('&amp;', '&');
      expect(next, list).toBeDefined();
      const page2 = await fetch(base + next!);
      expect(page2.status).toBe(200);
      const html = await page2.text();
      expect(html, list).toContain('洪水前的旧闻0');
      expect((await fetch(base + next!)).headers.get('x-cache'), next).toBe('hit');
      // The same position spelled otherwise, and a time between two articles, answer with the real cursor's address.
      const position = Buffer.from(new URL(base + next!).searchParams.get('cursor')!, 'base64url').toString('latin1');
      const [at, id] = position.split('.').map((n) => parseInt(n, 36)) as [number, number];
      // (Articles were published a minute apart.)
      for (const forged of [`0${at.toString(36)}.${id.toString(36)}`, `${(at - 30_000).toString(36)}.${(id + 5).toString(36)}`]) {
        const res = await fetch(`${base}${list}?cursor=${Buffer.from(forged).toString('base64url')}`, { redirect: 'manual' });
        expect(res.status, forged).toBe(302);
        expect(res.headers.get('location'), forged).toBe(next);
      }
    }
  });

  it('still purges a protected page when what it shows changes', async () => {
    const url = `${base}/a/${articleId}`;
    await fetch(url);
    expect((await fetch(url)).headers.get('x-cache')).toBe('hit');
    const editor = await t.user('editor');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${articleId}`,
      headers: { authorization: editor.auth },
      payload: { title: '洪水之后更正的标题' },
    });
    expect(patched.statusCode).toBe(200);
    await t.settled();
    const after = await fetch(url);
    expect(after.headers.get('x-cache')).toBe('miss');
    expect(await after.text()).toContain('洪水之后更正的标题');
  });
});
