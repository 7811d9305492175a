import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createApiToken } from '../../src/domain/accounts/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * 退回修改 on the reporter's dashboard: the article list and the article itself carry the editor's standing return
 * (comment, who, when) from the return until the reporter resubmits; edits in between keep it.
 */
describe.each(STORES)('returned articles on %s', (kind) => {
  let t: TestApp;
  let wang: { auth: string };
  let reporter: { auth: string };

  const person = async (username: string, displayName: string, role: 'editor' | 'reporter') => {
    await createAccount(t.ctx, null, { username, displayName, role, password: 'correct horse battery' });
    const { token } = await createApiToken(t.ctx, null, { username });
    return { auth: `Bearer ${token}` };
  };
  const step = async (auth: string, id: number, name: string, payload?: object) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/${name}`, headers: { authorization: auth }, payload });
    expect(res.statusCode, res.body).toBe(200);
    return json(res);
  };
  const get = async (auth: string, id: number) => json(await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: auth } }));
  const drafts = async (auth: string) =>
    json(await t.app.inject({ url: '/api/v1/articles?status=draft&mine=true&limit=100', headers: { authorization: auth } })).items as {
      id: number;
      returned: { comment: string; by: string; byName: string; at: string } | null;
    }[];

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    wang = await person('wangbin', '王斌', 'editor');
    reporter = await person('zhouming', '周明远', 'reporter');
  });
  afterAll(() => t.close());

  it('shows the return with its comment, editor and time until the reporter resubmits', async () => {
    const { id } = await createArticle(t.app, reporter.auth, { title: '江城地铁12号线开通' });
    expect((await get(reporter.auth, id)).returned).toBeNull();
    await step(reporter.auth, id, 'submit');
    t.clock.advance(60_000);
    const returnedAt = new Date(t.clock.now()).toISOString();
    const answer = await step(wang.auth, id, 'return', { comment: '请补充票价和首末班车时间' });
    const note = { comment: '请补充票价和首末班车时间', by: 'wangbin', byName: '王斌', at: returnedAt };
    expect(answer.returned).toEqual(note);
    expect((await get(reporter.auth, id)).returned).toEqual(note);
    expect((await drafts(reporter.auth)).find((a) => a.id === id)!.returned).toEqual(note);

    // Edits (autosaves) keep it standing; so does an edit by the editor.
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: reporter.auth },
      payload: { summary: '补充了票价。' },
    });
    expect(json(patched).returned).toEqual(note);
    t.clock.advance(10 * 60_000);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: wang.auth }, payload: { subtitle: '首班车6时' } });
    expect((await get(reporter.auth, id)).returned).toEqual(note);

    // Resubmitting ends it; a second return shows the new comment only.
    expect((await step(reporter.auth, id, 'submit')).returned).toBeNull();
    expect((await drafts(reporter.auth)).find((a) => a.id === id)).toBeUndefined();
    const second = await step(wang.auth, id, 'return', { comment: '标题再短一些' });
    expect(second.returned).toMatchObject({ comment: '标题再短一些', byName: '王斌' });
    await step(reporter.auth, id, 'submit');
    const published = await step(wang.auth, id, 'publish');
    expect(published.returned).toBeNull();
    expect((await get(reporter.auth, id)).returned).toBeNull();
  });

  it('marks only the returned drafts of a long list, each with its own comment', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { id } = await createArticle(t.app, reporter.auth, { title: `稿件${i}` });
      ids.push(id);
      if (i % 3 === 0) {
        await step(reporter.auth, id, 'submit');
        await step(wang.auth, id, 'return', { comment: `第${i}篇要改` });
      }
    }
    const list = await drafts(reporter.auth);
    for (const [i, id] of ids.entries()) {
      const item = list.find((a) => a.id === id)!;
      if (i % 3 === 0) expect(item.returned, `稿件${i}`).toMatchObject({ comment: `第${i}篇要改`, byName: '王斌' });
      else expect(item.returned, `稿件${i}`).toBeNull();
    }
    // The editor's view of the same drafts says the same.
    const all = json(await t.app.inject({ url: '/api/v1/articles?status=draft&limit=100', headers: { authorization: wang.auth } })).items;
    expect(all.filter((a: { returned: unknown }) => a.returned).length).toBe(4);
  });

  it('finds the notes of a whole page in one call, and none for ids without one', async () => {
    const { id } = await createArticle(t.app, reporter.auth, { title: '查询次数' });
    await step(reporter.auth, id, 'submit');
    await step(wang.auth, id, 'return', { comment: '改' });
    const many = [id, ...Array.from({ length: 500 }, (_, i) => 1_000_000 + i)];
    const notes = await t.ctx.store.history.latestReturns(many, ['create', 'submit', 'return', 'publish', 'schedule', 'unpublish']);
    expect(notes.map((n) => n.articleId)).toEqual([id]);
    expect(await t.ctx.store.history.latestReturns([], ['return'])).toEqual([]);
  });
});
