import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/** A directive's seconds in a Cache-Control value (undefined when it is absent). */
function directive(cacheControl: string, name: string): number | undefined {
  const m = new RegExp(`(?:^|[ ,])${name}=(\\d+)`).exec(cacheControl);
  return m ? Number(m[1]) : undefined;
}

/**
 * Until when a cache that got the answer at `at` may serve it, fresh (`lifetime`: max-age or s-maxage) or, with `stale`,
 * stale while it revalidates too: the lifetime counts from the render, so what is left of it is the lifetime less the
 * answer's Age (RFC 9111 §4.2.3, §5.1).
 */
function servedUntil(at: number, headers: Headers, lifetime = 'max-age', stale = false): number {
  const cacheControl = String(headers.get('cache-control'));
  const seconds = (directive(cacheControl, lifetime) ?? 0) + (stale ? (directive(cacheControl, 'stale-while-revalidate') ?? 0) : 0);
  return at + (seconds - Number(headers.get('age') ?? 0)) * 1000;
}

/**
 * Cached reader pages showing a poll follow the poll: a page showing it open is not served past its closing time (not
 * from the page cache, nor by a browser or CDN keeping it under Cache-Control), and a page carries the purge keys of
 * every poll it may show, so the change that shows or hides one (its article published or taken down, the poll moved
 * off it) reaches the page at once. A real server with the real clock: the hot path (serveFromCache) answers the hits.
 */
describe.each(STORES)('pages showing polls on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let base: string;
  let topics = 0;

  beforeAll(async () => {
    t = await startTestApp(kind, {}, { clock: systemClock });
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    editor = (await t.user('editor')).auth;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  /** The same through Fastify (inject): hits are answered by the page cache's onRequest hook, not the hot path. */
  const injected = async (path: string) => {
    const res = await t.app.inject({ url: path });
    const headers = new Headers(Object.entries(res.headers).map(([name, value]): [string, string] => [name, String(value)]));
    return { status: res.statusCode, headers, body: res.body };
  };
  const api = async (method: string, url: string, payload?: Record<string, unknown>) => {
    const res = await t.app.inject({ method: method as 'POST', url: `/api/v1${url}`, headers: { authorization: editor }, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return json(res) as { id: number };
  };
  const newTopic = async () => {
    const slug = `zhuanti${++topics}`;
    return { slug, ...(await api('POST', '/topics', { slug, title: `专题${topics}`, description: '', articles: [] })) };
  };

  it('a page showing an open poll is not served past its closing time; the first answers after it show the poll closed', async () => {
    const topic = await newTopic();
    const poll = await api('POST', '/polls', { question: '新线首班车提前到几点？', options: ['5:30', '6:00'], results: 'after_vote', topic: topic.id });
    const article = await createArticle(t.app, editor, { body: `<p>导语。</p><figure data-poll="${poll.id}"><figcaption>投票</figcaption></figure>` });
    await publish(t.app, editor, article.id);
    await t.settled();
    const form = `action="/p/${poll.id}/vote"`;
    const pages = [`/p/${poll.id}`, `/a/${article.id}`, `/t/${topic.slug}`, `/zh-hant/p/${poll.id}`, `/care/p/${poll.id}`];
    // Each page rendered once already, so that the seconds below go to the pages, not to a first render's warming up.
    for (const path of pages) expect((await get(path)).body, path).toContain(form);
    // A closing time a second or two ahead, whole seconds as polls keep it.
    const closesAt = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
    await api('PATCH', `/polls/${poll.id}`, { closesAt: new Date(closesAt).toISOString() });
    for (const path of pages) {
      for (const round of [1, 2]) {
        const asked = Date.now();
        const page = await get(path);
        expect(page.status, path).toBe(200);
        if (round === 2) expect(page.headers.get('x-cache'), path).toBe('hit');
        expect(page.body, path).toContain(form);
        // No cache (a browser, a CDN) is told it may keep or serve the page past the closing time.
        const said = `${path}: ${page.headers.get('cache-control')}, Age ${page.headers.get('age')}`;
        expect(directive(String(page.headers.get('cache-control')), 'max-age'), said).toBeDefined();
        expect(servedUntil(asked, page.headers), said).toBeLessThanOrEqual(closesAt);
        expect(servedUntil(asked, page.headers, 's-maxage'), said).toBeLessThanOrEqual(closesAt);
        expect(servedUntil(asked, page.headers, 'max-age', true), said).toBeLessThanOrEqual(closesAt);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, closesAt - Date.now())));
    // Readers arriving together right after the close: none gets the page as it was (not even while it re-renders).
    for (const path of pages) {
      for (const page of await Promise.all([get(path), get(path), get(path)])) {
        expect(page.status, path).toBe(200);
        expect(page.body, path).not.toContain(form);
        expect(page.body, path).toContain('投票已截止');
      }
    }
    // Closed for good: the closed page is cached like any other.
    expect((await get(`/p/${poll.id}`)).headers.get('x-cache')).toBe('hit');
  });

  it('a hit counts its max-age from the render: less its Age, it ends at the closing time to the second, never after it nor past the page lifetime', async () => {
    // Whole seconds, as polls keep them: one closing within a page's minute of freshness, one after it.
    const soon = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
    const later = Math.ceil((Date.now() + 90_000) / 1000) * 1000;
    for (const closesAt of [soon, later]) {
      const poll = await api('POST', '/polls', { question: '末班车延后到几点？', options: ['23:00', '24:00'], closesAt: new Date(closesAt).toISOString() });
      expect((await get(`/p/${poll.id}`)).headers.get('x-cache')).toBe('miss');
      // Old enough that its hits say Age 2 or more (the mirrors are made from it then: as old as it).
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      for (const path of [`/p/${poll.id}`, `/zh-hant/p/${poll.id}`, `/care/p/${poll.id}`]) {
        // Over HTTP (the hot path; a mirror's first answer is its render) and through Fastify's hook (inject).
        for (const answer of [get, get, injected]) {
          const asked = Date.now();
          const { headers } = await answer(path);
          const got = Date.now();
          const said = `${path}: ${headers.get('cache-control')}, Age ${headers.get('age')}`;
          expect(Number(headers.get('age')), said).toBeGreaterThanOrEqual(2);
          // Fresh no longer than any page, a minute from the render; all of that minute when the poll closes after it.
          const maxAge = directive(String(headers.get('cache-control')), 'max-age');
          expect(maxAge, said).toBeLessThanOrEqual(60);
          if (closesAt === later) expect(maxAge, said).toBe(60);
          // Served (fresh, then stale while it revalidates) until the closing time to the second, and not after it.
          expect(servedUntil(asked, headers, 'max-age', true), said).toBeLessThanOrEqual(closesAt);
          expect(servedUntil(got, headers, 'max-age', true), said).toBeGreaterThan(closesAt - 1000);
        }
      }
    }
  });

  it('a topic page shows a poll of an unpublished article once the article is published or the poll leaves it, and hides it again when the article is taken down', async () => {
    const topic = await newTopic();
    const draft = await createArticle(t.app, editor, { title: '尚未发布的地铁稿件' });
    const poll = await api('POST', '/polls', { question: '专题里等待发布的投票？', options: ['是', '否'], article: draft.id, topic: topic.id });
    const topicPage = async () => (await get(`/t/${topic.slug}`)).body;
    const warm = async () => {
      await t.settled();
      await get(`/t/${topic.slug}`);
      expect((await get(`/t/${topic.slug}`)).headers.get('x-cache')).toBe('hit');
    };
    await warm();
    const hidden = await get(`/t/${topic.slug}`);
    expect(hidden.body).not.toContain('专题里等待发布的投票？');
    // A CDN keeping the page is told the same: the poll and its article are among the page's keys.
    expect(String(hidden.headers.get('surrogate-key')).split(' ')).toEqual(expect.arrayContaining([`v${poll.id}`, `a${draft.id}`]));
    await publish(t.app, editor, draft.id);
    expect(await topicPage()).toContain('专题里等待发布的投票？');
    await warm();
    await api('POST', `/articles/${draft.id}/unpublish`);
    expect(await topicPage()).not.toContain('专题里等待发布的投票？');

    // A poll moved off its unpublished article (to none: public at once) shows at once.
    const other = await createArticle(t.app, editor, { title: '另一篇未发布的稿件' });
    const moved = await api('POST', '/polls', { question: '移出稿件的投票？', options: ['是', '否'], article: other.id, topic: topic.id });
    await warm();
    expect(await topicPage()).not.toContain('移出稿件的投票？');
    await api('PATCH', `/polls/${moved.id}`, { article: null });
    expect(await topicPage()).toContain('移出稿件的投票？');
  });

  it('a topic page shows its 20 newest public polls, newest first, however many polls of unpublished articles are newer', async () => {
    const topic = await newTopic();
    const ask = (question: string, article?: number) =>
      api('POST', '/polls', { question, options: ['是', '否'], topic: topic.id, ...(article ? { article } : {}) });
    for (const q of ['较早的公开投票一？', '较早的公开投票二？', '较早的公开投票三？']) await ask(q);
    const draft = await createArticle(t.app, editor, { title: '专题里尚未发布的稿件' });
    const hidden: { id: number }[] = [];
    for (let i = 1; i <= 22; i++) hidden.push(await ask(`未发布稿件的投票${i}？`, draft.id));
    for (const q of ['最新的公开投票一？', '最新的公开投票二？']) await ask(q);
    await t.settled();
    const order = (body: string, questions: string[]) => questions.map((q) => body.indexOf(q));

    const page = await get(`/t/${topic.slug}`);
    expect(page.status).toBe(200);
    // Every public poll is there, newest first; none of the unpublished article's.
    const publicQuestions = ['最新的公开投票二？', '最新的公开投票一？', '较早的公开投票三？', '较早的公开投票二？', '较早的公开投票一？'];
    const at = order(page.body, publicQuestions);
    for (const [i, q] of publicQuestions.entries()) expect(at[i], q).toBeGreaterThan(-1);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(page.body).not.toContain('未发布稿件的投票');
    // Publishing the article shows its polls (they are newer than the older public ones): the page purged, 20 polls shown.
    expect(String(page.headers.get('surrogate-key')).split(' ')).toEqual(expect.arrayContaining([`a${draft.id}`, `v${hidden.at(-1)!.id}`]));
    await publish(t.app, editor, draft.id);
    const published = (await get(`/t/${topic.slug}`)).body;
    const shown = ['最新的公开投票二？', '最新的公开投票一？', ...Array.from({ length: 18 }, (_, i) => `未发布稿件的投票${22 - i}？`)];
    const shownAt = order(published, shown);
    for (const [i, q] of shown.entries()) expect(shownAt[i], q).toBeGreaterThan(-1);
    expect(shownAt).toEqual([...shownAt].sort((a, b) => a - b));
    for (const q of ['未发布稿件的投票4？', '较早的公开投票三？', '较早的公开投票一？']) expect(published, q).not.toContain(q);
  });

  it('an article page shows a poll it embeds from an unpublished article once that article is published', async () => {
    const draft = await createArticle(t.app, editor, { title: '投票所属的稿件' });
    const poll = await api('POST', '/polls', { question: '嵌在别处的投票？', options: ['是', '否'], article: draft.id });
    const host = await createArticle(t.app, editor, { body: `<p>正文。</p><figure data-poll="${poll.id}"><figcaption>投票</figcaption></figure>` });
    await publish(t.app, editor, host.id);
    await t.settled();
    await get(`/a/${host.id}`);
    expect((await get(`/a/${host.id}`)).headers.get('x-cache')).toBe('hit');
    expect((await get(`/a/${host.id}`)).body).not.toContain('嵌在别处的投票？');
    await publish(t.app, editor, draft.id);
    expect((await get(`/a/${host.id}`)).body).toContain('嵌在别处的投票？');
  });
});
