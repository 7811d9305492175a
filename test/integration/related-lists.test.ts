import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillRelatedLists, relatedArticles, relatedFor } from '../../src/domain/articles/related.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { batteries, birds, unrelated, type Story } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';

/**
 * An article page reads its 相关阅读 as one kept list instead of making it from its parts (computed items, the editors'
 * picks, each listed article's title and status). The kept list must never show what the parts no longer say: every
 * change to a part sets the lists concerned aside in its own transaction, and the server makes them again.
 */
describe.each(STORES)('kept related lists on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const id: Record<string, number> = {};

  const kept = (articleId: number) => t.ctx.store.related.keptList(articleId);
  /** The list made from its parts, as the API (and a page without a kept list) makes it. */
  const made = async (articleId: number) => (await relatedFor(t.ctx, undefined, articleId)).items;
  const page = async (articleId: number) => {
    const res = await t.app.inject({ url: `/a/${articleId}` });
    expect(res.statusCode).toBe(200);
    return /<section class="related".*?<\/section>/s.exec(res.body)?.[0] ?? '';
  };
  const patch = async (articleId: number, payload: object) => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${articleId}`, headers: { authorization: editor }, payload });
    expect(res.statusCode).toBe(200);
  };
  const post = async (url: string) => expect((await t.app.inject({ method: 'POST', url, headers: { authorization: editor } })).statusCode).toBe(200);
  const fill = async () => {
    await t.settled();
    await fillRelatedLists(t.ctx);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    const order: [string, Story][] = [
      ['arrival', birds.arrival],
      ['plant', batteries.plant],
      ['tracking', birds.tracking],
      ['elevators', unrelated.elevators],
      ['lab', batteries.lab],
      ['exhibition', birds.exhibition],
    ];
    for (const [key, story] of order) {
      t.clock.advance(3_600_000);
      const a = await createArticle(t.app, editor, { ...story, summary: '' });
      id[key] = a.id;
      await publish(t.app, editor, a.id);
    }
    await t.settled();
  });
  afterAll(() => t.close());

  it('keeps every list as its parts make it, and the page shows the kept one', async () => {
    // Not kept until the server makes them: set aside by the publishes that wrote their items.
    expect(await kept(id.arrival!)).toBeUndefined();
    expect(await fillRelatedLists(t.ctx)).toBeGreaterThanOrEqual(4);
    // An article with nothing related has no list to keep: its page finds its parts empty (two short reads).
    for (const key of Object.keys(id)) expect([key, await kept(id[key]!)]).toEqual([key, key === 'elevators' ? undefined : await made(id[key]!)]);
    expect(await made(id.elevators!)).toEqual([]);
    expect((await kept(id.arrival!))!.map((i) => i.article.id)).toEqual(expect.arrayContaining([id.tracking, id.exhibition]));
    expect(await fillRelatedLists(t.ctx)).toBe(0);

    // The page reads the kept list: one written by hand here shows, which no part says.
    const list = JSON.stringify([[id.elevators, '手写的标题', Date.now(), 0]]);
    await sql`update related_lists set items = ${list} where article_id = ${id.arrival}`.execute(t.db.database.db);
    expect(await page(id.arrival!)).toContain('手写的标题');
    expect((await relatedArticles(t.ctx, (await t.ctx.store.articles.findById(id.arrival!))!)).map((a) => a.id)).toEqual([id.elevators]);
    // …until a part changes: a new pick sets it aside at once, and the page makes the list from its parts.
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/articles/${id.arrival}/related`,
      headers: { authorization: editor },
      payload: { pinned: [id.lab], excluded: [id.tracking] },
    });
    expect(res.statusCode).toBe(200);
    expect(await kept(id.arrival!)).toBeUndefined();
    const section = await page(id.arrival!);
    expect(section).not.toContain('手写的标题');
    expect(section).toContain(batteries.lab.title);
    expect(section).not.toContain(birds.tracking.title);
    await fill();
    const picked = (await kept(id.arrival!))!;
    expect(picked[0]).toMatchObject({ article: { id: id.lab, title: batteries.lab.title }, pinned: true });
    expect(picked.map((i) => i.article.id)).not.toContain(id.tracking);
    expect(picked).toEqual(await made(id.arrival!));
  });

  it('sets aside every list that shows an article when its title changes, and keeps the new title', async () => {
    await fill();
    const holders: number[] = [];
    for (const h of [id.tracking!, id.exhibition!, id.plant!]) if ((await kept(h))!.some((i) => i.article.id === id.arrival)) holders.push(h);
    expect(holders).toContain(id.tracking);
    const title = '越冬候鸟提前抵达砚湖湿地 观鸟者清晨守候';
    await patch(id.arrival!, { title });
    // In the same transaction as the edit: no reader ever gets the old title from a kept list.
    for (const h of holders) expect(await kept(h)).toBeUndefined();
    expect(await page(id.tracking!)).toContain(title);
    await fill();
    for (const h of holders) {
      expect((await kept(h))!.find((i) => i.article.id === id.arrival)?.article.title).toBe(title);
      expect(await kept(h)).toEqual(await made(h));
    }
  });

  it('never keeps a list a change overtook between its reads and its write', async () => {
    await fill();
    await patch(id.exhibition!, { title: '候鸟摄影展开幕 百幅作品记录湿地四季' });
    const stale = await t.ctx.store.related.staleLists(100);
    expect(stale.map((s) => s.articleId)).toContain(id.tracking);
    const before = stale.find((s) => s.articleId === id.tracking)!;
    const read = await made(id.tracking!);
    // Another writer retitles an article the list holds after the list was read, before it is written.
    await patch(id.exhibition!, { title: '候鸟摄影展今日开幕' });
    expect(await t.ctx.store.transaction((store) => store.related.keepLists([{ ...before, items: read }]))).toBe(0);
    expect(await kept(id.tracking!)).toBeUndefined();
    await fill();
    expect((await kept(id.tracking!))!.find((i) => i.article.id === id.exhibition)?.article.title).toBe('候鸟摄影展今日开幕');
  });

  it('takes an unpublished article out of kept lists at once, puts it back when republished, and survives its deletion', async () => {
    await fill();
    expect((await kept(id.arrival!))!.map((i) => i.article.id)).toContain(id.exhibition);
    await post(`/api/v1/articles/${id.exhibition}/unpublish`);
    expect(await kept(id.arrival!)).toBeUndefined();
    expect(await page(id.arrival!)).not.toContain(`/a/${id.exhibition}"`);
    await fill();
    expect((await kept(id.arrival!))!.map((i) => i.article.id)).not.toContain(id.exhibition);

    await publish(t.app, editor, id.exhibition!);
    await fill();
    expect((await kept(id.arrival!))!.map((i) => i.article.id)).toContain(id.exhibition);

    // Removed from the database for good (the 回收站 takes only drafts; a purge, or an operator): its own kept list goes
    // with it, and the lists that held it are made again without it.
    await post(`/api/v1/articles/${id.exhibition}/unpublish`);
    await fill();
    await sql`delete from articles where id = ${id.exhibition}`.execute(t.db.database.db);
    const rows = await sql<{ article_id: number }>`select article_id from related_lists where article_id = ${id.exhibition}`.execute(t.db.database.db);
    expect(rows.rows).toEqual([]);
    await fill();
    expect(await kept(id.arrival!)).toEqual(await made(id.arrival!));
    expect(await page(id.arrival!)).not.toContain(`/a/${id.exhibition}"`);
  });

  it('answers the API and the page the same with or without a kept list', async () => {
    await fill();
    for (const key of ['arrival', 'plant', 'tracking', 'lab']) {
      t.pageCache.purge();
      const withKept = await page(id[key]!);
      await sql`update related_lists set items = null`.execute(t.db.database.db);
      t.pageCache.purge();
      expect(await page(id[key]!)).toBe(withKept);
      await fill();
      const api = json<{ items: { id: number }[] }>(await t.app.inject({ url: `/api/v1/articles/${id[key]}/related` }));
      expect(api.items.map((i) => i.id)).toEqual((await kept(id[key]!))!.map((i) => i.article.id));
    }
  });
});
