import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Cached reader pages showing a poll follow the poll: a page carries the purge keys of every poll it may show, so the
 * change that shows or hides one (its article published or taken down, the poll moved off it) reaches the page at
 * once. A real server with the real clock: the hot path (serveFromCache) answers the hits.
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
  const api = async (method: string, url: string, payload?: Record<string, unknown>) => {
    const res = await t.app.inject({ method: method as 'POST', url: `/api/v1${url}`, headers: { authorization: editor }, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return json(res) as { id: number };
  };
  const newTopic = async () => {
    const slug = `zhuanti${++topics}`;
    return { slug, ...(await api('POST', '/topics', { slug, title: `专题${topics}`, description: '', articles: [] })) };
  };

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
