import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Two people curating the same thing at the same moment — the channel tree, a topic, a front-page slot, the sources
 * and the sensitive-word list — get what one of them would have got alone, in turn: a clear 409 where the first one's
 * change makes the second's impossible, the later write on top where the last write wins; never a 5xx, never a state
 * that neither chose.
 */
describe.each(STORES)('curation races on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string };
  let admin2: { auth: string };
  let wang: { auth: string };
  let li: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.user('admin');
    admin2 = await t.user('admin');
    wang = await t.user('editor');
    li = await t.user('editor');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const call = (auth: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: auth }, ...(payload ? { payload } : {}) });
  const channels = async () => json(await call(admin.auth, 'GET', '/channels')).items as { id: number; slug: string; path: string; parent: string | null }[];

  it('two admins moving two channels under each other at once: one move wins, the other is refused, the tree keeps no cycle', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = [`nan${round}`, `bei${round}`];
      for (const slug of [a, b]) expect((await call(admin.auth, 'POST', '/channels', { slug, name: slug })).statusCode).toBe(201);
      const before = await channels();
      const idOf = (slug: string) => before.find((c) => c.slug === slug)!.id;
      const results = await Promise.all([
        call(admin.auth, 'PATCH', `/channels/${idOf(a)}`, { parent: b }),
        call(admin2.auth, 'PATCH', `/channels/${idOf(b)}`, { parent: a }),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400]);
      expect(json(results.find((r) => r.statusCode === 400)!).error.code).toMatch(/^(unknown_channel|cycle)$/);
      // Every channel's path is its parent's path and its slug: the tree the pages and breadcrumbs are built from.
      const after = await channels();
      for (const c of after) expect(c.path, c.slug).toBe(c.parent ? `${c.parent}/${c.slug}` : c.slug);
      const moved = after.filter((c) => c.slug === a || c.slug === b);
      expect(moved.filter((c) => c.parent === null)).toHaveLength(1);
    }
  });

  it('two admins creating the same channel, or two editors the same topic, at once: one is made, the other is told it exists', async () => {
    const channelsMade = await Promise.all([
      call(admin.auth, 'POST', '/channels', { slug: 'tongshi', name: '同时', parent: 'difang' }),
      call(admin2.auth, 'POST', '/channels', { slug: 'tongshi', name: '同时二', parent: 'difang' }),
    ]);
    expect(channelsMade.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(json(channelsMade.find((r) => r.statusCode === 409)!).error.code).toBe('channel_exists');
    expect((await channels()).filter((c) => c.path === 'difang/tongshi')).toHaveLength(1);

    const topicsMade = await Promise.all([
      call(wang.auth, 'POST', '/topics', { slug: 'chunyun', title: '春运专题' }),
      call(li.auth, 'POST', '/topics', { slug: 'chunyun', title: '春运' }),
    ]);
    expect(topicsMade.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(json(topicsMade.find((r) => r.statusCode === 409)!).error.code).toBe('topic_exists');
    const topics = json(await call(wang.auth, 'GET', '/topics')).items as { slug: string }[];
    expect(topics.filter((x) => x.slug === 'chunyun')).toHaveLength(1);
  });

  it('two people adding the same new source at once: one adds it, the other updates it', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `江城晚报${round}`;
      const results = await Promise.all([
        call(wang.auth, 'POST', '/sources', { name, url: 'https://a.example.com/' }),
        call(li.auth, 'POST', '/sources', { name, url: 'https://b.example.com/' }),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 201]);
      const listed = (json(await call(wang.auth, 'GET', '/sources')).items as { name: string; url: string }[]).filter((s) => s.name === name);
      expect(listed).toHaveLength(1);
      // The later write is on top.
      expect(listed[0]!.url).toBe(json(results.find((r) => r.statusCode === 200)!).url);
    }
  });

  it('two editors filling the same slot, or the same topic’s list, at once: both are applied in turn, the later one stands', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await createArticle(t.app, wang.auth);
      await publish(t.app, wang.auth, id);
      ids.push(id);
    }
    const [x, y, z] = ids as [number, number, number];
    const lists = [
      [x, y],
      [z, x, y],
    ];
    const slots = await Promise.all([
      call(wang.auth, 'PUT', '/slots/focus', { items: lists[0]!.map((article) => ({ article })) }),
      call(li.auth, 'PUT', '/slots/focus', { items: lists[1]!.map((article) => ({ article })) }),
    ]);
    expect(slots.map((r) => r.statusCode)).toEqual([200, 200]);
    const slot = (json(await call(wang.auth, 'GET', '/slots/focus')).items as { article: number }[]).map((i) => i.article);
    expect(lists).toContainEqual(slot);

    const topic = json(await call(wang.auth, 'POST', '/topics', { slug: 'liangzhou', title: '两周专题' }));
    const saved = await Promise.all([
      call(wang.auth, 'PATCH', `/topics/${topic.id}`, { articles: lists[0] }),
      call(li.auth, 'PATCH', `/topics/${topic.id}`, { articles: lists[1] }),
    ]);
    expect(saved.map((r) => r.statusCode)).toEqual([200, 200]);
    const now = (json(await call(wang.auth, 'GET', '/topics')).items as { id: number; articles: { id: number }[] | number[] }[]).find(
      (x) => x.id === topic.id,
    )!;
    const articleIds = now.articles.map((a) => (typeof a === 'number' ? a : a.id));
    expect(lists).toContainEqual(articleIds);
  });

  it('bulk tags and a bulk move racing each other and an edit (no If-Match): every one is applied in turn, none fails or is lost', async () => {
    for (let round = 0; round < 5; round++) {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await createArticle(t.app, wang.auth, { tags: ['原有'] })).id);
      const [tagA, tagB, move, edit] = await Promise.all([
        call(wang.auth, 'POST', '/articles/bulk', { action: 'tag', ids, tag: '甲' }),
        call(li.auth, 'POST', '/articles/bulk', { action: 'tag', ids, tag: '乙' }),
        call(li.auth, 'POST', '/articles/bulk', { action: 'move', ids, channel: 'keji' }),
        call(wang.auth, 'PATCH', `/articles/${ids[0]}`, { summary: '同时改的摘要' }),
      ]);
      for (const bulk of [tagA!, tagB!, move!]) expect(json(bulk), bulk.body).toMatchObject({ done: 3, failed: 0 });
      expect(edit!.statusCode).toBe(200);
      for (const id of ids) {
        const article = json(await call(wang.auth, 'GET', `/articles/${id}`));
        expect(article.tags, String(id)).toEqual(expect.arrayContaining(['原有', '甲', '乙']));
        expect(article.channel, String(id)).toBe('keji');
        if (id === ids[0]) expect(article.summary).toBe('同时改的摘要');
      }
    }
  });

  it('two admins adding the same sensitive word at once: it is listed once, one added it and the other updated it', async () => {
    const results = await Promise.all([
      call(admin.auth, 'POST', '/moderation/words', { word: '同时词', action: 'block' }),
      call(admin2.auth, 'POST', '/moderation/words', { word: '同时词', action: 'mask' }),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(results.map((r) => json(r).added).sort()).toEqual([0, 1]);
    const words = (json(await call(admin.auth, 'GET', '/moderation/words')).items as { word: string }[]).filter((w) => w.word === '同时词');
    expect(words).toHaveLength(1);
  });
});
