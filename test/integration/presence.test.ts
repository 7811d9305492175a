import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Presence in the newsroom editor (王编辑正在编辑): each open editor sends a heartbeat every few seconds and is told who
 * else had the article open in the last 20 seconds. Only people who may read the article are told, or counted.
 */
describe.each(STORES)('editor presence on %s', (kind) => {
  let t: TestApp;
  let wang: { auth: string; username: string };
  let li: { auth: string; username: string };
  let reporter: { auth: string; username: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    wang = await t.user('editor');
    li = await t.user('editor');
    reporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const beat = (auth: string, id: number | string, payload: unknown = { editing: false }) =>
    t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/presence`, headers: { authorization: auth }, payload: payload as object });
  const others = async (auth: string, id: number, editing = false) => {
    const res = await beat(auth, id, { editing });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return json(res).others as { username: string; displayName: string; editing: boolean; since: string }[];
  };

  it('shows two editors each other, never themselves, with whether they are changing it', async () => {
    const { id } = await createArticle(t.app, wang.auth, { title: '两人同时打开' });
    expect(await others(wang.auth, id, true)).toEqual([]);
    const opened = t.clock.now();
    t.clock.advance(1_000);
    const seenByLi = await others(li.auth, id);
    expect(seenByLi).toEqual([{ username: wang.username, displayName: wang.username, editing: true, since: new Date(opened).toISOString() }]);
    t.clock.advance(5_000);
    const seenByWang = await others(wang.auth, id, false);
    expect(seenByWang.map((p) => [p.username, p.editing])).toEqual([[li.username, false]]);
    // Heartbeats keep the stretch's start: Wang has been here since he opened it.
    expect((await others(li.auth, id, true)).map((p) => [p.username, p.editing, p.since])).toEqual([[wang.username, false, new Date(opened).toISOString()]]);
    // Another article is another room.
    const other = await createArticle(t.app, li.auth, { title: '另一篇' });
    expect(await others(wang.auth, other.id)).toEqual([]);
  });

  it('forgets someone 20 seconds after their last heartbeat; coming back starts a new stretch', async () => {
    const { id } = await createArticle(t.app, wang.auth, { title: '有人离开' });
    await others(wang.auth, id);
    t.clock.advance(15_000);
    expect((await others(li.auth, id)).map((p) => p.username)).toEqual([wang.username]);
    t.clock.advance(5_001);
    expect(await others(li.auth, id)).toEqual([]);
    await others(wang.auth, id, true);
    const back = t.clock.now();
    t.clock.advance(1_000);
    expect(await others(li.auth, id)).toEqual([{ username: wang.username, displayName: wang.username, editing: true, since: new Date(back).toISOString() }]);
    // Minutes-old rows are pruned by later heartbeats; they were invisible already.
    t.clock.advance(10 * 60_000);
    expect(await t.ctx.store.presence.prune(t.clock.now() - 5 * 60_000)).toBeGreaterThanOrEqual(2);
    expect(await t.ctx.store.presence.seenSince(id, 0)).toEqual([]);
  });

  it("refuses a reporter on someone else's draft (403), who neither sees nor is seen", async () => {
    const { id } = await createArticle(t.app, wang.auth, { title: '编辑的草稿' });
    await others(wang.auth, id, true);
    const refused = await beat(reporter.auth, id);
    expect(refused.statusCode).toBe(403);
    expect(json(refused).error.code).toBe('forbidden');
    expect(refused.body).not.toContain(wang.username);
    expect(await others(li.auth, id)).toEqual([expect.objectContaining({ username: wang.username })]);
    // Their own draft is theirs to open, and the editors who open it see them.
    const own = await createArticle(t.app, reporter.auth, { title: '记者的草稿' });
    expect(await others(reporter.auth, own.id, true)).toEqual([]);
    expect((await others(wang.auth, own.id)).map((p) => p.username)).toEqual([reporter.username]);
  });

  it('answers bad ids, bodies and callers with 4xx', async () => {
    const { id } = await createArticle(t.app, wang.auth, { title: '坏请求' });
    expect((await beat(wang.auth, 999_999)).statusCode).toBe(404);
    for (const bad of ['0', '-1', 'abc', '1.5', '99999999999']) expect((await beat(wang.auth, bad)).statusCode).toBe(400);
    for (const body of [{}, { editing: 'yes' }, { editing: 1 }, { editing: true, who: 'x' }, [], null]) {
      const res = await beat(wang.auth, id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const big = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/presence`,
      headers: { authorization: wang.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ editing: true, pad: 'x'.repeat(4096) }),
    });
    expect(big.statusCode).toBe(413);
    const anonymous = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/presence`, payload: { editing: false } });
    expect(anonymous.statusCode).toBe(401);
    expect(await t.ctx.store.presence.seenSince(id, 0)).toEqual([]);
  });
});
