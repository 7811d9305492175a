import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * 相关阅读 picks (`PUT /articles/:id/related`) sent twice at once — a client's retry after a lost answer, or two
 * editors choosing — and racing an unpublish of a picked article: every answer is the picks as they stand, never a 5xx;
 * the same picks sent again change nothing and are audited once; a reader's list never shows a withdrawn article.
 */
describe.each(STORES)('related picks races on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string };
  let other: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = await t.user('editor');
    other = await t.user('editor');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const published = async (title: string) => {
    const { id } = await createArticle(t.app, editor.auth, { title, body: `<p>${title}的消息。</p>` });
    await publish(t.app, editor.auth, id);
    return id as number;
  };
  const put = (auth: string, id: number, picks: { pinned: number[]; excluded: number[] }) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/articles/${id}/related`, headers: { authorization: auth }, payload: picks });

  it('the same picks sent twice at once (a retry), or by two editors: both answered with them, kept once, audited once', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await published(`主稿${round}`);
      const a = await published(`甲稿${round}`);
      const b = await published(`乙稿${round}`);
      const picks = { pinned: [a, b], excluded: [] };
      const sent = await Promise.all([put(editor.auth, id, picks), put(other.auth, id, picks)]);
      for (const r of sent) {
        expect(r.statusCode, r.body).toBe(200);
        expect(json(r).pinned).toEqual([a, b]);
      }
      const audit = json(await t.app.inject({ url: `/api/v1/audit?article=${id}&action=article.related`, headers: { authorization: editor.auth } })).items;
      expect(audit).toHaveLength(1);
      // Sent again later (the answer was lost): nothing changes, nothing more in the audit log.
      expect((await put(editor.auth, id, picks)).statusCode).toBe(200);
      expect(
        json(await t.app.inject({ url: `/api/v1/audit?article=${id}&action=article.related`, headers: { authorization: editor.auth } })).items,
      ).toHaveLength(1);
    }
  });

  it('picks racing an unpublish of a picked article: no 5xx, and the reader list never shows the withdrawn article', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await published(`撤稿主稿${round}`);
      const a = await published(`将撤稿${round}`);
      const [picked, unpublished] = await Promise.all([
        put(editor.auth, id, { pinned: [a], excluded: [] }),
        t.app.inject({ method: 'POST', url: `/api/v1/articles/${a}/unpublish`, headers: { authorization: other.auth } }),
      ]);
      expect(picked.statusCode, picked.body).toBe(200);
      expect(unpublished.statusCode, unpublished.body).toBe(200);
      const list = json(await t.app.inject({ url: `/api/v1/articles/${id}/related` })).items as { id: number }[];
      expect(list.map((i) => i.id)).not.toContain(a);
      expect((await t.app.inject({ url: `/a/${id}` })).body).not.toContain(`/a/${a}"`);
    }
  });
});
