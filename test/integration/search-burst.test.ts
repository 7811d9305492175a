import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchDocument } from '../../src/domain/search/document.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Many articles published in the same minute (a bulk publish, an import of one day's wire copy, a writer at 5/s): the
 * built-in index keys documents by their minute, 16 to a minute, so a burst spills into the next minutes' keys. Every
 * document still gets a key of its own, one call at a time and in batches, and every one is found.
 */
const at = Date.UTC(2026, 11, 3, 8, 30, 0);

describe.each(STORES)('a same-minute burst in the search index on %s', (kind) => {
  let t: TestApp;
  let channelId: number;
  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    channelId = (await t.ctx.store.channels.all())[0]!.id;
    // The articles the documents are of (search_docs references them), written as a bulk load would.
    const rows = Array.from({ length: 600 }, (_, i) => ({
      title: `第${i + 1}条快讯`,
      body_html: '<p>潮汐发电站今日并网。</p>',
      body_text: '潮汐发电站今日并网。',
      channel_id: channelId,
      status: 'published' as const,
      published_at: at,
      subtitle: '',
      summary: '',
      source: '',
      byline: '',
      editor: '',
      cover: '',
      revision: 1,
      created_at: at,
      updated_at: at,
      author_id: admin.id,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await t.db.database.db
        .insertInto('articles')
        .values(rows.slice(i, i + 100))
        .execute();
  });
  afterAll(() => t.close());

  const doc = (id: number, word: string) =>
    searchDocument({
      id,
      title: `第${id}条快讯 ${word}`,
      subtitle: '',
      summary: '',
      bodyText: `潮汐发电站今日并网。${word}`,
      tags: [],
      channelId,
      publishedAt: at + (id % 7) * 1000,
      updatedAt: at,
    });

  it('gives 600 documents of one minute a key each, in batches and one at a time, and finds every one', async () => {
    const index = t.ctx.store.search;
    await index.putMany(Array.from({ length: 400 }, (_, i) => doc(i + 1, 'zhangchaoa')));
    for (let id = 401; id <= 600; id++) await index.put(doc(id, 'zhangchaob'));
    // A document written again keeps its key; one moved to another minute leaves its old one.
    await index.put(doc(7, 'zhangchaoa'));
    expect(await index.count()).toBe(600);
    const found = async (token: string) => (await index.matching({ terms: [{ kind: 'word', token }] }, 10_000)).ids.sort((a, b) => a - b);
    expect(await found('zhangchaoa')).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(await found('zhangchaob')).toEqual(Array.from({ length: 200 }, (_, i) => i + 401));
    expect((await found('潮汐')).length).toBe(600);
  });
});
