import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * The newsroom never loses a word: every write may name the revision it was made against (If-Match, from the ETag
 * of the last read); a write against a replaced revision is 412 with the current one and changes nothing. Without
 * If-Match the last write wins, and concurrent writes are each applied in turn.
 */
describe.each(STORES)('edit conflicts on %s', (kind) => {
  let t: TestApp;
  let wang: { auth: string; username: string };
  let li: { auth: string };
  let reporter: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    wang = await t.user('editor');
    li = await t.user('editor');
    reporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const get = (auth: string, id: number) => t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: auth } });
  const patch = (auth: string, id: number, body: object, ifMatch?: string) =>
    t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: auth, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
      payload: body,
    });
  const step = (auth: string, id: number, name: string, ifMatch?: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/${name}`, headers: { authorization: auth, ...(ifMatch ? { 'if-match': ifMatch } : {}) } });

  it('names the revision in an ETag and refuses a write against a replaced one with 412 and who replaced it', async () => {
    const { id } = await createArticle(t.app, wang.auth, { title: '初稿标题' });
    const read = await get(wang.auth, id);
    expect(read.headers.etag).toBe('"1"');
    const first = await patch(li.auth, id, { title: '李编辑改的标题' }, '"1"');
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    const stale = await patch(wang.auth, id, { subtitle: '王编辑的副题' }, read.headers.etag as string);
    expect(stale.statusCode).toBe(412);
    const error = json(stale).error;
    expect(error.code).toBe('stale_revision');
    expect(error.current).toMatchObject({ revision: 2, updatedBy: { displayName: expect.any(String) } });
    expect(error.message).toContain('第 2 版');
    const now = json(await get(wang.auth, id));
    expect(now).toMatchObject({ revision: 2, title: '李编辑改的标题', subtitle: '' });
    // A weak ETag and `*` are understood; anything else cannot name the current revision.
    expect((await patch(wang.auth, id, { subtitle: '副题' }, 'W/"2"')).statusCode).toBe(200);
    expect((await patch(wang.auth, id, { subtitle: '副题二' }, '*')).statusCode).toBe(200);
    expect((await patch(wang.auth, id, { subtitle: '副题三' }, '"abc"')).statusCode).toBe(412);
  });

  it('lets exactly one of two editors saving the same revision at once win; the other is told, nothing is lost silently', async () => {
    for (let round = 0; round < 5; round++) {
      const { id } = await createArticle(t.app, wang.auth, { title: `同时保存${round}` });
      const results = await Promise.all([
        patch(wang.auth, id, { body: '<p>王编辑改了第一段。</p><p>第二段。</p>' }, '"1"'),
        patch(li.auth, id, { body: '<p>第一段。</p><p>李编辑改了第二段。</p>' }, '"1"'),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412]);
      const winner = results.find((r) => r.statusCode === 200)!;
      const after = json(await get(wang.auth, id));
      expect(after.revision).toBe(2);
      expect(after.body).toBe(json(winner).body);
    }
  });

  it('without If-Match applies every concurrent write in turn: each gets its own revision, none fails', async () => {
    const { id } = await createArticle(t.app, wang.auth, { title: '脚本批量修改' });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => patch(i % 2 ? li.auth : wang.auth, id, { summary: `摘要第${i}稿` })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    // Each write got its own revision number (the history keeps one revision per person per few minutes).
    expect(results.map((r) => Number(JSON.parse(r.headers.etag as string))).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(json(await get(wang.auth, id)).revision).toBe(9);
  });

  it('security: an editor publishes only the text she saw — the reporter’s later edit makes her publish 412', async () => {
    const { id } = await createArticle(t.app, reporter.auth, { title: '记者的稿件', body: '<p>核实过的内容。</p>' });
    expect((await step(reporter.auth, id, 'submit')).statusCode).toBe(200);
    const seen = (await get(wang.auth, id)).headers.etag as string;
    // The reporter changes the submitted copy after the editor opened it.
    expect((await patch(reporter.auth, id, { body: '<p>未经核实的新说法。</p>' })).statusCode).toBe(200);
    const publish = await step(wang.auth, id, 'publish', seen);
    expect(publish.statusCode).toBe(412);
    expect(json(publish).error.code).toBe('stale_revision');
    const still = json(await get(wang.auth, id));
    expect(still.status).toBe('submitted');
    // Having read the new text, she may publish it.
    const again = await step(wang.auth, id, 'publish', `"${still.revision}"`);
    expect(again.statusCode).toBe(200);
    expect(json(again)).toMatchObject({ status: 'published', body: '<p>未经核实的新说法。</p>' });
    expect((await t.app.inject({ url: `/a/${id}` })).body).toContain('未经核实的新说法');
  });

  it('a stale If-Match changes nothing on any workflow step', async () => {
    const { id } = await createArticle(t.app, wang.auth);
    expect((await patch(wang.auth, id, { summary: '新摘要' })).statusCode).toBe(200);
    for (const name of ['submit', 'publish', 'unpublish']) {
      const res = await step(wang.auth, id, name, '"1"');
      expect(res.statusCode, name).toBe(412);
    }
    const schedule = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/schedule`,
      headers: { authorization: wang.auth, 'if-match': '"1"' },
      payload: { at: new Date(t.clock.now() + 3_600_000).toISOString() },
    });
    expect(schedule.statusCode).toBe(412);
    const restore = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/revisions/1/restore`,
      headers: { authorization: wang.auth, 'if-match': '"1"' },
    });
    expect(restore.statusCode).toBe(412);
    expect(json(await get(wang.auth, id))).toMatchObject({ revision: 2, status: 'draft', summary: '新摘要' });
  });

  it('keeps one revision per person per five minutes of autosaves; others, workflow steps and later windows start new ones', async () => {
    t.clock.set(Math.ceil(t.clock.now() / 300_000) * 300_000 + 1_000);
    const { id } = await createArticle(t.app, wang.auth, { title: '自动保存' });
    for (let i = 0; i < 6; i++) {
      t.clock.advance(10_000);
      expect((await patch(wang.auth, id, { body: `<p>第${i}次自动保存。</p>` })).statusCode).toBe(200);
    }
    const history = async () =>
      json(await t.app.inject({ url: `/api/v1/articles/${id}/revisions`, headers: { authorization: wang.auth } })).items.map(
        (r: { number: number; action: string }) => `${r.number}:${r.action}`,
      );
    expect(await history()).toEqual(['7:edit', '1:create']);
    // The kept revision has the last text.
    const kept = json(await t.app.inject({ url: `/api/v1/articles/${id}/revisions`, headers: { authorization: wang.auth } })).items[0];
    expect(kept.content.body).toBe('<p>第5次自动保存。</p>');
    expect((await patch(li.auth, id, { summary: '李编辑的摘要' })).statusCode).toBe(200);
    expect((await step(wang.auth, id, 'submit')).statusCode).toBe(200);
    t.clock.advance(300_000);
    expect((await patch(wang.auth, id, { subtitle: '五分钟之后' })).statusCode).toBe(200);
    expect((await patch(wang.auth, id, { subtitle: '五分钟之后再改' })).statusCode).toBe(200);
    expect(await history()).toEqual(['11:edit', '9:submit', '8:edit', '7:edit', '1:create']);
  });
});
