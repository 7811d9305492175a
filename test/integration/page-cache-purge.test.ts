import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Precise purge (scale #12): a change drops the cached pages that show what changed — the article's page and its
 * 繁 mirror, pages linking it, its channel chain's lists, the home page — and leaves every other page cached.
 */
describe.each(STORES)('precise page-cache purge on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let admin: string;
  let city: number;
  let tech: number;

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin);
    tech = (await createArticle(t.app, editor, { title: '国产芯片量产', channel: 'keji', tags: ['芯片'], body: '<p>首批芯片今日下线。</p>' })).id;
    await publish(t.app, editor, tech);
    // Newer stories fill the "latest" feed beside every article, so the city story's page does not link the chip story.
    for (let i = 0; i < 11; i++) {
      const { id } = await createArticle(t.app, editor, {
        title: `江城第${i}座公园开放`,
        channel: 'difang',
        tags: ['公园'],
        body: `<p>第${i}座公园开放。</p>`,
      });
      await publish(t.app, editor, id);
    }
    city = (await createArticle(t.app, editor, { title: '江城地铁新线开通', channel: 'difang/yaowen' })).id;
    await publish(t.app, editor, city);
  });
  afterAll(() => t.close());

  const get = (url: string) => t.app.inject({ url });
  const cache = async (url: string) => String((await get(url)).headers['x-cache']);
  const warm = async (urls: string[]) => {
    // Related reading made after the last commit purges its article's page once more.
    await t.settled();
    for (const url of urls) await get(url);
    for (const url of urls) expect(await cache(url), url).toBe('hit');
  };
  const edit = async (id: number, payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: editor }, payload });
    expect(res.statusCode).toBe(200);
  };

  it('names what a page shows in Surrogate-Key and Cache-Tag', async () => {
    const page = await get(`/a/${city}`);
    const keys = String(page.headers['surrogate-key']).split(' ');
    expect(keys).toContain(`a${city}`);
    expect(String(page.headers['cache-tag']).split(',')).toEqual(keys);
    expect(String((await get('/')).headers['surrogate-key']).split(' ')).toEqual(expect.arrayContaining(['home', `a${city}`, `a${tech}`]));
    const channel = String((await get('/c/difang')).headers['surrogate-key']).split(' ');
    // The parent channel's page lists its subchannel's articles too.
    const channels = (await t.app.inject({ url: '/api/v1/channels', headers: { authorization: editor } })).json() as { items: { id: number; path: string }[] };
    for (const c of channels.items.filter((c) => c.path.startsWith('difang'))) expect(channel).toContain(`c${c.id}`);
  });

  it('an edit of one article purges its pages and the lists showing it, and keeps the others', async () => {
    const pages = ['/', `/a/${city}`, `/a/${tech}`, `/zh-hant/a/${tech}`, '/c/difang', '/c/difang/yaowen', '/c/keji'];
    await warm(pages);
    await edit(tech, { title: '国产芯片量产（更正）' });
    for (const url of ['/', `/a/${tech}`, `/zh-hant/a/${tech}`, '/c/keji']) expect(await cache(url), url).toBe('miss');
    for (const url of [`/a/${city}`, '/c/difang', '/c/difang/yaowen']) expect(await cache(url), url).toBe('hit');
    expect((await get(`/a/${tech}`)).body).toContain('国产芯片量产（更正）');
  });

  it('publishing purges the channel chain’s lists and the 404 the article had before', async () => {
    const { id } = await createArticle(t.app, editor, { title: '江城又一条线路开工', channel: 'difang/yaowen' });
    expect((await get(`/a/${id}`)).statusCode).toBe(404);
    await warm(['/', `/a/${id}`, '/c/difang', '/c/difang/yaowen', '/c/keji', `/a/${tech}`]);
    await publish(t.app, editor, id);
    for (const url of ['/', '/c/difang', '/c/difang/yaowen']) expect(await cache(url), url).toBe('miss');
    const page = await get(`/a/${id}`);
    expect(page.statusCode).toBe(200);
    for (const url of ['/c/keji', `/a/${tech}`]) expect(await cache(url), url).toBe('hit');
  });

  it('unpublishing purges every cached page that links the article', async () => {
    await warm(['/', `/a/${city}`, '/c/difang/yaowen', '/c/keji']);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${city}/unpublish`, headers: { authorization: editor } });
    expect(res.statusCode).toBe(200);
    expect((await get(`/a/${city}`)).statusCode).toBe(410);
    for (const url of ['/', '/c/difang/yaowen']) {
      const page = await get(url);
      expect(page.headers['x-cache'], url).toBe('miss');
      expect(page.body, url).not.toContain(`/a/${city}"`);
    }
    expect(await cache('/c/keji')).toBe('hit');
  });

  it('a purge heard from another app process also renews what pages are made of (the latest feed, rankings)', async () => {
    const { id } = await createArticle(t.app, editor, { title: '滨江绿道全线贯通', channel: 'difang' });
    await publish(t.app, editor, id);
    await warm(['/', `/a/${tech}`]);
    expect((await get('/')).body).toContain('滨江绿道全线贯通');
    // Another machine retitles the story: the row changes under this process, which hears only the purge.
    await t.db.database.db.updateTable('articles').set({ title: '滨江绿道全线贯通（另一台机器的更正）' }).where('id', '=', id).execute();
    t.pageCache.purge([`a${id}`], { propagate: false });
    expect(await cache('/')).toBe('miss');
    // Every place the pages print it (the home page's lists, the latest feed under every article) has the new title.
    for (const url of ['/', `/a/${tech}`]) {
      const body = (await get(url)).body;
      expect(body, url).toContain('另一台机器的更正');
      expect(body.split('滨江绿道全线贯通').length, url).toBe(body.split('滨江绿道全线贯通（另一台机器的更正）').length);
    }
  });

  it('a draft’s autosave purges nothing; a channel rename purges everything (every page shows the navigation)', async () => {
    const { id } = await createArticle(t.app, editor, { title: '草稿' });
    await warm(['/', '/c/keji', `/a/${tech}`]);
    await edit(id, { body: '<p>自动保存。</p>' });
    for (const url of ['/', '/c/keji', `/a/${tech}`]) expect(await cache(url), url).toBe('hit');
    const channels = (await t.app.inject({ url: '/api/v1/channels', headers: { authorization: editor } })).json() as { items: { id: number; path: string }[] };
    const keji = channels.items.find((c) => c.path === 'keji')!;
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/channels/${keji.id}`,
      headers: { authorization: admin },
      payload: { name: '科技频道' },
    });
    expect(renamed.statusCode).toBe(200);
    for (const url of ['/', '/c/keji', `/a/${tech}`]) expect(await cache(url), url).toBe('miss');
  });

  it('the pages rendered right after a channel change show it: a renamed, new or moved channel, not the tree of seconds before', async () => {
    await warm(['/', '/c/keji', `/a/${tech}`]);
    const channel = async (method: 'POST' | 'PATCH', url: string, payload: object) => {
      const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: admin }, payload });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json() as { id: number };
    };
    const channels = (await t.app.inject({ url: '/api/v1/channels', headers: { authorization: editor } })).json() as { items: { id: number; path: string }[] };
    await channel('PATCH', `/channels/${channels.items.find((c) => c.path === 'keji')!.id}`, { name: '科学技术' });
    for (const url of ['/', '/c/keji', `/a/${tech}`]) {
      const page = await get(url);
      expect(page.body, url).toContain('科学技术');
      // Cached as rendered: the name stays right for the page's whole life in the cache.
      expect((await get(url)).headers['x-cache'], url).toBe('hit');
      expect((await get(url)).body, url).toContain('科学技术');
    }
    const { id } = await channel('POST', '/channels', { slug: 'tiyu', name: '体育' });
    expect((await get('/c/tiyu')).statusCode).toBe(200);
    await channel('PATCH', `/channels/${id}`, { parent: 'difang' });
    expect((await get('/c/difang/tiyu')).statusCode).toBe(200);
    expect((await get('/c/tiyu')).statusCode).toBe(404);
  });
});

describe.each(STORES)('CDN purge webhook on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let cdn: Server;
  const calls: { url: string; auth: string | undefined; body: { keys?: string[]; all?: boolean } }[] = [];
  let failNext = 0;

  beforeAll(async () => {
    cdn = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        calls.push({ url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) });
        res.statusCode = failNext-- > 0 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    const port = (cdn.address() as AddressInfo).port;
    t = await startTestApp(kind, { INKSTONE_CDN_PURGE_URL: `http://127.0.0.1:${port}/purge?tags={keys}`, INKSTONE_CDN_PURGE_TOKEN: 'cdn-secret' });
    const admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin);
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => cdn.close(resolve));
  });

  it('tells the CDN the keys of a published change, in one call, with its token; retries a failed call', async () => {
    // Creating the channels purged everything: that call has gone out.
    await waitFor(() => calls.length === 1, { message: 'the channels’ purge' });
    expect(calls[0]!.body).toEqual({ all: true });
    calls.length = 0;
    const { id } = await createArticle(t.app, editor, { title: '发往CDN的更正', channel: 'keji' });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: editor }, payload: { title: '草稿改标题' } });
    await new Promise((r) => setTimeout(r, 400));
    // A draft nobody can read purges nothing anywhere.
    expect(calls).toEqual([]);
    failNext = 1;
    // The outbox's later purge of the article's own page (after its related reading is made) is a call of its own.
    await t.outbox.stop();
    await publish(t.app, editor, id);
    await waitFor(() => calls.length === 2, { timeout: 5_000, message: 'the purge call and its retry' });
    const [failed, retried] = calls;
    expect(retried).toEqual(failed);
    expect(retried!.auth).toBe('Bearer cdn-secret');
    expect(retried!.body.keys).toEqual(expect.arrayContaining([`a${id}`, 'home']));
    expect(decodeURIComponent(retried!.url.split('tags=')[1]!).split(',')).toEqual(retried!.body.keys);
  });
});
