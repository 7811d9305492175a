import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * An external search engine (INKSTONE_SEARCH_URL) that fails: refuses connections, answers errors, or never answers.
 * Search then answers 503 `search_unavailable` with a Chinese message within the configured timeout — never a 500
 * and never a hang — and the newsroom's writes go on (the outbox keeps the indexing work and retries it).
 */
type Mode = 'error' | 'hang' | 'garbage';

describe.each(STORES)('an external search engine that fails, on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let mode: Mode = 'error';
  const seen: string[] = [];
  const hanging = new Set<http.ServerResponse>();
  const engine = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>');
      return;
    }
    res
      .writeHead(500, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { root_cause: [], type: 'node_not_connected_exception', reason: 'not connected' }, status: 500 }));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    const port = (engine.address() as AddressInfo).port;
    t = await startTestApp(kind, { INKSTONE_SEARCH_URL: `http://127.0.0.1:${port}/inkstone-test`, INKSTONE_SEARCH_TIMEOUT_MS: '300' });
    const admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin);
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await t.close();
    await new Promise((resolve) => engine.close(resolve));
  });

  const search = (q: string) => t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q)}` });

  it.each(['error', 'hang', 'garbage'] as const)('answers public search with 503 search_unavailable when the engine gives %s', async (m) => {
    mode = m;
    const started = Date.now();
    const res = await search('地铁');
    expect(res.statusCode, res.body).toBe(503);
    expect(json(res).error).toEqual({ code: 'search_unavailable', message: '搜索服务暂时不可用，请稍后再试' });
    expect(res.headers['retry-after']).toBe('5');
    // Bounded: the 300 ms timeout (index creation, then the query), not the engine's silence.
    expect(Date.now() - started).toBeLessThan(m === 'hang' ? 3_000 : 1_500);
    const page = await t.app.inject({ url: '/search?q=%E5%9C%B0%E9%93%81' });
    expect(page.statusCode).toBe(503);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('搜索服务暂时不可用');
  });

  it('answers the newsroom archive keyword search with 503 too, and its lists without keywords as usual', async () => {
    mode = 'error';
    const res = await t.app.inject({ url: '/api/v1/articles?q=%E5%9C%B0%E9%93%81', headers: { authorization: editor } });
    expect(res.statusCode, res.body).toBe(503);
    expect(json(res).error.code).toBe('search_unavailable');
    const list = await t.app.inject({ url: '/api/v1/articles', headers: { authorization: editor } });
    expect(list.statusCode).toBe(200);
  });

  it('lets the newsroom write, publish and withdraw meanwhile: the engine is written after the commit, by the outbox', async () => {
    mode = 'error';
    seen.length = 0;
    const { id } = await createArticle(t.app, editor);
    await publish(t.app, editor, id);
    const down = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/unpublish`, headers: { authorization: editor } });
    expect(down.statusCode, down.body).toBe(200);
    await t.settled();
    // The outbox tried the engine (and keeps the work for a retry); the article is as the newsroom left it.
    expect(seen.some((s) => s.includes(`/_doc/${id}`))).toBe(true);
    const read = await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: editor } });
    expect(json(read).status).toBe('unpublished');
  });

  it('refuses hostile queries before asking the engine (400, not 503)', async () => {
    seen.length = 0;
    const res = await search('地'.repeat(101));
    expect(res.statusCode).toBe(400);
    expect(seen).toEqual([]);
  });
});
