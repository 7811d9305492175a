import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Choosing the publication time when republishing after 撤稿: by default the first time is kept (a correction stays
 * where readers saw it), `now` makes it news again, a past time dates it; a future time (a schedule) or one before the
 * article existed is a 400 that changes nothing.
 */
describe.each(STORES)('republishing on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string };
  let reporter: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = await t.user('editor');
    reporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const post = (auth: string, id: number, name: string, payload?: unknown, ifMatch?: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/${name}`,
      headers: { authorization: auth, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const ok = async (res: Awaited<ReturnType<typeof post>>) => {
    expect(res.statusCode, res.body).toBe(200);
    return json(res);
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const stored = async (id: number) => (await t.ctx.store.articles.findById(id))!;

  /** An article written at `created`, first published an hour later, then taken down a day later. */
  async function unpublished() {
    const created = t.clock.now();
    const { id } = await createArticle(t.app, editor.auth);
    t.clock.advance(3600_000);
    const first = (await ok(await post(editor.auth, id, 'publish'))).publishedAt as string;
    t.clock.advance(24 * 3600_000);
    await ok(await post(editor.auth, id, 'unpublish'));
    t.clock.advance(3600_000);
    return { id, created, first };
  }

  it('keeps the first publication time by default, and on keep', async () => {
    const a = await unpublished();
    expect((await ok(await post(editor.auth, a.id, 'publish'))).publishedAt).toBe(a.first);
    await ok(await post(editor.auth, a.id, 'unpublish'));
    expect((await ok(await post(editor.auth, a.id, 'publish', { publishedAt: 'keep' }))).publishedAt).toBe(a.first);
    await ok(await post(editor.auth, a.id, 'unpublish'));
    expect((await ok(await post(editor.auth, a.id, 'publish', {}))).publishedAt).toBe(a.first);
  });

  it('republishes now, or at a chosen past time, and the feed follows', async () => {
    const a = await unpublished();
    const now = await ok(await post(editor.auth, a.id, 'publish', { publishedAt: 'now' }));
    expect(now.publishedAt).toBe(iso(t.clock.now()));
    const feed = json(await t.app.inject({ url: '/api/v1/feed?limit=1' })).items;
    expect(feed[0].id).toBe(a.id);

    await ok(await post(editor.auth, a.id, 'unpublish'));
    const chosen = a.created + 30 * 60_000;
    const dated = await ok(await post(editor.auth, a.id, 'publish', { publishedAt: iso(chosen) }));
    expect(dated.publishedAt).toBe(iso(chosen));
    expect((await stored(a.id)).publishedAt).toBe(chosen);
    // The creation time itself and the present moment are allowed; a time zone other than UTC too.
    await ok(await post(editor.auth, a.id, 'unpublish'));
    expect((await ok(await post(editor.auth, a.id, 'publish', { publishedAt: iso((await stored(a.id)).createdAt) }))).publishedAt).toBe(
      iso((await stored(a.id)).createdAt),
    );
    await ok(await post(editor.auth, a.id, 'unpublish'));
    const beijing = new Date(chosen + 8 * 3600_000).toISOString().replace('Z', '+08:00');
    expect((await ok(await post(editor.auth, a.id, 'publish', { publishedAt: beijing }))).publishedAt).toBe(iso(chosen));
  });

  it('refuses a future time (that is a schedule), a time before the article existed, and nonsense, changing nothing', async () => {
    const a = await unpublished();
    const before = await stored(a.id);
    const cases: [unknown, number, string][] = [
      [{ publishedAt: iso(t.clock.now() + 60_000) }, 400, 'in_future'],
      [{ publishedAt: iso(before.createdAt - 1) }, 400, 'before_created'],
      [{ publishedAt: '2026-02-30T10:00:00Z' }, 400, 'invalid_input'],
      [{ publishedAt: 'yesterday' }, 400, 'invalid_input'],
      [{ publishedAt: 1_700_000_000_000 }, 400, 'invalid_input'],
      [{ publishedAt: 'now', extra: 1 }, 400, 'unknown_field'],
      [{ at: iso(t.clock.now()) }, 400, 'unknown_field'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(editor.auth, a.id, 'publish', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(json(res).error.code, JSON.stringify(payload)).toBe(code);
    }
    const after = await stored(a.id);
    expect(after).toMatchObject({ status: 'unpublished', revision: before.revision, publishedAt: before.publishedAt });
    expect((await t.app.inject({ url: `/a/${a.id}` })).statusCode).toBe(410);
  });

  it('lets only editors choose, and honours If-Match', async () => {
    const a = await unpublished();
    const forbidden = await post(reporter.auth, a.id, 'publish', { publishedAt: 'now' });
    expect(forbidden.statusCode).toBe(403);
    const { revision } = await stored(a.id);
    const stale = await post(editor.auth, a.id, 'publish', { publishedAt: 'now' }, `"${revision - 1}"`);
    expect(stale.statusCode).toBe(412);
    expect((await stored(a.id)).status).toBe('unpublished');
    const fresh = await ok(await post(editor.auth, a.id, 'publish', { publishedAt: 'now' }, `"${revision}"`));
    expect(fresh.status).toBe('published');
    // Publishing a published article is no transition, whatever the time.
    expect((await post(editor.auth, a.id, 'publish', { publishedAt: 'now' })).statusCode).toBe(409);
  });

  it('of two editors republishing at once with different times, one wins and the other is told', async () => {
    const a = await unpublished();
    const chosen = a.created + 10 * 60_000;
    const answers = await Promise.all([
      post(editor.auth, a.id, 'publish', { publishedAt: 'now' }),
      post(editor.auth, a.id, 'publish', { publishedAt: iso(chosen) }),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const winner = json(answers.find((r) => r.statusCode === 200)!);
    expect((await stored(a.id)).publishedAt).toBe(Date.parse(winner.publishedAt));
    expect([iso(t.clock.now()), iso(chosen)]).toContain(winner.publishedAt);
  });

  it('dates a first publication too, within the same bounds', async () => {
    const { id } = await createArticle(t.app, editor.auth);
    const created = (await stored(id)).createdAt;
    t.clock.advance(2 * 3600_000);
    expect((await post(editor.auth, id, 'publish', { publishedAt: iso(t.clock.now() + 1) })).statusCode).toBe(400);
    expect((await ok(await post(editor.auth, id, 'publish', { publishedAt: iso(created + 60_000) }))).publishedAt).toBe(iso(created + 60_000));
  });
});
