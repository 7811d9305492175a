import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A page answered from the page cache says how old it is (`Age`, RFC 9111 §5.1): a browser or CDN keeping it counts its
 * max-age from the render, not from our answer, so the page is never kept past its documented lifetime. Both ways a hit
 * is answered (the server's hot path, serveFromCache, and Fastify's hook, which `inject` goes through) and the 繁 and
 * 关怀版 mirrors, whose render takes the age of the cached page they are made from.
 */
describe.each(STORES)('the age of cached pages on %s', (kind) => {
  let t: TestApp;
  let base: string;
  const articles: number[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind, {}, { clock: systemClock });
    await createChannels(t.app, (await t.user('admin')).auth);
    const editor = (await t.user('editor')).auth;
    for (const title of ['江城地铁新线开通', '滨江绿道全线贯通']) {
      const { id } = await createArticle(t.app, editor, { title });
      await publish(t.app, editor, id);
      articles.push(id);
    }
    await t.settled();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  /** Over HTTP: hits are answered by the hot path. */
  const fetched = async (path: string) => {
    const res = await fetch(base + path);
    await res.arrayBuffer();
    return { status: res.status, cache: res.headers.get('x-cache'), age: res.headers.get('age'), cacheControl: res.headers.get('cache-control') };
  };
  /** Through Fastify (inject): hits are answered by the page cache's onRequest hook. */
  const injected = async (path: string) => {
    const res = await t.app.inject({ url: path });
    const age = res.headers.age;
    return {
      status: res.statusCode,
      cache: String(res.headers['x-cache']),
      age: age === undefined ? null : String(age),
      cacheControl: String(res.headers['cache-control']),
    };
  };

  it("a hit carries the whole seconds since the page was rendered and the same Cache-Control; the page's own render carries no age", async () => {
    const id = articles[0]!;
    const paths = [`/a/${id}`, `/zh-hant/a/${id}`, `/care/a/${id}`];
    const start = Date.now();
    const rendered = new Map<string, string | null>();
    for (const path of paths) {
      const miss = await fetched(path);
      expect(miss.status, path).toBe(200);
      expect(miss.cache, path).toBe('miss');
      // The page's own render carries no age; a 繁 or 关怀版 page is made from that cached page and is as old as it,
      // which on a loaded machine can already be a second or more.
      if (path === `/a/${id}`) expect(miss.age ?? '0', path).toBe('0');
      else expect(Number(miss.age ?? '0'), `${path}: Age ${miss.age}`).toBeLessThanOrEqual(Math.floor((Date.now() - start) / 1000));
      expect(miss.cacheControl, path).toContain('max-age=60');
      rendered.set(path, miss.cacheControl);
    }
    await sleep(1_200);
    for (const path of paths) {
      for (const answer of [await fetched(path), await injected(path)]) {
        expect(answer.status, path).toBe(200);
        expect(answer.cache, path).toBe('hit');
        expect(answer.cacheControl, path).toBe(rendered.get(path));
        const age = Number(answer.age);
        expect(age, `${path}: Age ${answer.age}`).toBeGreaterThanOrEqual(1);
        expect(age, `${path}: Age ${answer.age}`).toBeLessThanOrEqual(Math.floor((Date.now() - start) / 1000));
      }
    }
  });

  it('a 繁 or 关怀版 page made from a cached page is as old as that page, on its render and on its hits', async () => {
    const id = articles[1]!;
    const start = Date.now();
    expect((await fetched(`/a/${id}`)).cache).toBe('miss');
    await sleep(1_200);
    for (const path of [`/zh-hant/a/${id}`, `/care/a/${id}`]) {
      const made = await fetched(path);
      expect(made.cache, path).toBe('miss');
      expect(Number(made.age), `${path}: Age ${made.age}`).toBeGreaterThanOrEqual(1);
      for (const answer of [await fetched(path), await injected(path)]) {
        expect(answer.cache, path).toBe('hit');
        const age = Number(answer.age);
        expect(age, `${path}: Age ${answer.age}`).toBeGreaterThanOrEqual(1);
        expect(age, `${path}: Age ${answer.age}`).toBeLessThanOrEqual(Math.floor((Date.now() - start) / 1000));
      }
    }
  });
});
