import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createApiToken } from '../../src/domain/accounts/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * The audit log read by editors: each event with who did it (display name), what it is about (an article's title, an
 * account's username), filtered on the server by who, what (a group of actions or one), which article (id or title)
 * and when, newest first in keyset pages that never repeat or skip an event.
 */
describe.each(STORES)('audit log on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string };
  let wang: { auth: string; username: string; id: number };
  let li: { auth: string; username: string };
  let reporter: { auth: string };
  let ids: { metro: number; flood: number; odd: number };
  let t0: number;

  const person = async (username: string, displayName: string, role: 'editor' | 'reporter') => {
    const account = await createAccount(t.ctx, null, { username, displayName, role, password: 'correct horse battery' });
    const { token } = await createApiToken(t.ctx, null, { username });
    return { auth: `Bearer ${token}`, username, id: account.id };
  };
  const audit = (auth: string, query = '') => t.app.inject({ url: `/api/v1/audit${query ? `?${query}` : ''}`, headers: { authorization: auth } });
  const items = async (query: string) => {
    const res = await audit(admin.auth, query);
    expect(res.statusCode, res.body).toBe(200);
    return json(res).items as {
      id: number;
      action: string;
      actor: string;
      actorName: string;
      subjectId: string;
      subjectName: string | null;
      detail: Record<string, unknown>;
    }[];
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    wang = await person('wangbin', '王斌', 'editor');
    li = await person('lina', '李娜', 'editor');
    reporter = await person('zhouming', '周明远', 'reporter');
    t0 = t.clock.now();
    const metro = await createArticle(t.app, reporter.auth, { title: '江城地铁12号线开通' });
    await t.app.inject({ method: 'POST', url: `/api/v1/articles/${metro.id}/submit`, headers: { authorization: reporter.auth } });
    t.clock.advance(60_000);
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${metro.id}/return`,
      headers: { authorization: wang.auth },
      payload: { comment: '请补充票价' },
    });
    t.clock.advance(24 * 3600_000);
    const flood = await createArticle(t.app, li.auth, { title: '防汛准备就绪' });
    await publish(t.app, li.auth, flood.id);
    // A title with LIKE's wildcards in it: searching for them finds only it.
    const odd = await createArticle(t.app, wang.auth, { title: '增长100%_的背后' });
    ids = { metro: metro.id, flood: flood.id, odd: odd.id };
  });
  afterAll(() => t.close());

  it('names who did it and what it is about, without a query per event', async () => {
    const all = await items('limit=200');
    const returned = all.find((e) => e.action === 'article.return')!;
    expect(returned).toMatchObject({
      actor: 'wangbin',
      actorName: '王斌',
      subjectId: String(ids.metro),
      subjectName: '江城地铁12号线开通',
      detail: { note: '请补充票价' },
    });
    const created = all.find((e) => e.action === 'account.create' && e.detail.username === 'lina')!;
    expect(created).toMatchObject({ actor: null, actorName: null, subjectName: 'lina' });
    expect(all.find((e) => e.action === 'token.create' && e.subjectName === 'zhouming')).toBeDefined();
  });

  it('filters by who, by a group of actions or one action, by article id or title, and by time', async () => {
    expect(new Set((await items('actor=lina')).map((e) => e.action))).toEqual(new Set(['article.create', 'article.publish']));
    expect((await items('actor=LiNa')).length).toBe(2);
    expect(await items('actor=nobody')).toEqual([]);

    const publishing = await items('action=publishing');
    expect(publishing.map((e) => [e.action, e.subjectId])).toEqual([['article.publish', String(ids.flood)]]);
    expect((await items('action=review')).map((e) => e.action)).toEqual(['article.return', 'article.submit']);
    expect((await items('action=article.return')).map((e) => e.subjectId)).toEqual([String(ids.metro)]);
    expect(await items('action=article.nothing')).toEqual([]);

    expect((await items(`article=${ids.metro}`)).map((e) => e.action)).toEqual(['article.return', 'article.submit', 'article.create']);
    expect((await items(`article=%23${ids.flood}`)).map((e) => e.action)).toEqual(['article.publish', 'article.create']);
    expect((await items(`article=${encodeURIComponent('地铁12号')}`)).every((e) => e.subjectId === String(ids.metro))).toBe(true);
    expect((await items(`article=${encodeURIComponent('100%_')}`)).map((e) => e.subjectId)).toEqual([String(ids.odd)]);
    expect(await items(`article=${encodeURIComponent('%')}`)).toHaveLength(1);
    expect(await items(`article=${encodeURIComponent('_')}`)).toHaveLength(1);

    const day = (ms: number) => new Date(ms).toISOString();
    const firstDay = await items(`from=${day(t0)}&to=${day(t0 + 3600_000)}&action=writing`);
    expect(firstDay.map((e) => e.subjectId)).toEqual([String(ids.metro)]);
    const later = await items(`from=${encodeURIComponent(day(t0 + 3600_000))}&actor=wangbin`);
    expect(later.map((e) => e.action)).toEqual(['article.create']);
    // All filters at once.
    expect(
      (await items(`actor=wangbin&action=review&article=${encodeURIComponent('江城')}&from=${day(t0)}&to=${day(t0 + 7200_000)}`)).map((e) => e.action),
    ).toEqual(['article.return']);
  });

  it('pages newest first by id: every event once, none skipped, also with a filter', async () => {
    const all = await items('limit=200');
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));
    const seen: number[] = [];
    let before: number | null = null;
    do {
      const res = await audit(admin.auth, `limit=3${before ? `&before=${before}` : ''}`);
      const page = json(res);
      seen.push(...page.items.map((e: { id: number }) => e.id));
      before = page.next;
    } while (before);
    expect(seen).toEqual(all.map((e) => e.id));
    const page = json(await audit(admin.auth, 'limit=1&action=writing'));
    const next = json(await audit(admin.auth, `limit=1&action=writing&before=${page.next}`));
    expect(next.items[0].id).toBeLessThan(page.items[0].id);
    expect(['article.create', 'article.edit', 'article.restore']).toContain(next.items[0].action);
  });

  it('refuses bad filters with a clear 400 and reporters with 403', async () => {
    for (const q of [
      'from=yesterday',
      'to=2026-13-01T00:00:00Z',
      `from=${new Date(t0 + 1000).toISOString()}&to=${new Date(t0).toISOString()}`,
      'action=DROP%20TABLE',
      `article=${'长'.repeat(201)}`,
      'actor=',
      'limit=0',
      'limit=201',
      'who=wangbin',
    ]) {
      const res = await audit(admin.auth, q);
      expect(res.statusCode, q).toBe(400);
      expect(json(res).error.code, q).toMatch(/^[a-z_]+$/);
    }
    const forbidden = await audit(reporter.auth);
    expect(forbidden.statusCode).toBe(403);
    expect((await audit(reporter.auth, 'actor=zhouming')).statusCode).toBe(403);
  });

  it('keeps reading an event whose article or account is gone by name: the id stays', async () => {
    await t.ctx.store.history.record({
      at: t.clock.now(),
      actorId: wang.id,
      action: 'article.purge',
      subjectType: 'article',
      subjectId: 999_999,
      detail: { bulk: true },
    });
    const [purged] = await items('action=deletion');
    expect(purged).toMatchObject({ action: 'article.purge', subjectId: '999999', subjectName: null, detail: { bulk: true }, actorName: '王斌' });
  });
});
