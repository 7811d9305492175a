import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillSearchIndexes, searchBacklog } from '../../src/domain/search/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

const MINUTE = 60_000;

describe.each(STORES)('search ranking on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const idOf = new Map<string, number>();
  const keyOf = new Map<number, string>();

  const search = async (q: string) => {
    await t.settled();
    const res = await t.app.inject({ url: `/api/v1/search?${new URLSearchParams({ q }).toString()}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: number }[]; total: number }>(res).items.map((i) => keyOf.get(i.id) ?? `#${i.id}`);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, (await t.user('admin')).auth);
    const start = t.clock.now();
    // Oldest first: each is published a minute after the one before, so newer-first would give the reverse order.
    const stories: [string, Record<string, unknown>][] = [
      ['title-both', { title: '光伏储能电站并网发电', tags: ['能源'], body: '<p>这座光伏电站配套建设了储能设施。</p>' }],
      ['tag-pv', { title: '新能源产业观察', tags: ['光伏'], body: '<p>光伏企业纷纷布局储能业务。</p>' }],
      ['title-pv', { title: '光伏组件出口增长', tags: ['外贸'], body: '<p>出口的组件中有一部分用于储能项目。</p>' }],
      ['body-only', { title: '本周经济要闻', tags: ['经济'], body: '<p>本周光伏板块走强，储能概念股也有上涨。</p>' }],
    ];
    for (const [i, [key, fields]] of stories.entries()) {
      t.clock.set(start + i * MINUTE);
      const { id } = await createArticle(t.app, editor, { summary: '', ...fields });
      await publish(t.app, editor, id);
      idOf.set(key, id);
      keyOf.set(id, key);
    }
    await t.settled();
  });
  afterAll(() => t.close());

  it('ranks a title above a tag above the text, and newer first among equals', async () => {
    expect(await search('光伏')).toEqual(['title-pv', 'title-both', 'tag-pv', 'body-only']);
  });

  it('ranks by how many of the words are in the title', async () => {
    expect(await search('光伏 储能')).toEqual(['title-both', 'title-pv', 'tag-pv', 'body-only']);
    // The same with punctuation between the words, or in traditional characters.
    expect(await search('光伏，储能')).toEqual(['title-both', 'title-pv', 'tag-pv', 'body-only']);
    expect(await search('光伏 儲能')).toEqual(['title-both', 'title-pv', 'tag-pv', 'body-only']);
  });

  it('follows an edit to the title', async () => {
    const id = idOf.get('body-only')!;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: editor },
      payload: { title: '光伏扶贫项目见效' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await search('光伏')).toEqual(['body-only', 'title-pv', 'title-both', 'tag-pv']);
  });

  it('still finds documents indexed before heads were kept, and the background fill gives them their heads', async () => {
    await t.settled();
    await sql`update search_docs set head = null`.execute(t.db.database.db);
    // Every match is still found; without heads they rank newest first.
    expect(await search('光伏')).toEqual(['body-only', 'title-pv', 'tag-pv', 'title-both']);
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: 4 });
    expect(await fillSearchIndexes(t.ctx)).toBe(4);
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: 0 });
    expect(await fillSearchIndexes(t.ctx)).toBe(0);
    expect(await search('光伏')).toEqual(['body-only', 'title-pv', 'title-both', 'tag-pv']);
  });
});
