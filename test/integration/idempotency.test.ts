import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEEP_MS, IDEMPOTENCY_LEASE_MS } from '../../src/domain/idempotency.ts';
import { purgeTrash, TRASH_RETENTION_MS } from '../../src/domain/articles/trash.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { articleInput, createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';
import { requestFingerprint } from '../../src/web/idempotency.ts';
import { creator } from '../../src/admin/api.ts';
import { down as sealedDown, up as sealedUp } from '../../src/storage/migrations/2026-12-12T0100-idempotency-sealed.ts';

type User = { auth: string; username: string; id: number };

/**
 * A reporter on flaky train Wi-Fi: the "new article" request reached the server but the answer was lost, and the
 * client sends it again with the same Idempotency-Key. The retry must get the first answer, never a second article.
 */
describe.each(STORES)('Idempotency-Key on creating requests on %s', (kind) => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    await createChannels(t.app, (await t.user('admin')).auth);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  const create = (user: User, payload: Record<string, unknown>, key?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: { authorization: user.auth, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload,
    });
  /** The reporter's own articles, as their 我的稿件 list shows them. */
  const mine = async (user: User) => {
    const res = await t.app.inject({ url: '/api/v1/articles?mine=true&limit=100', headers: { authorization: user.auth } });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: number; title: string }[] }>(res).items;
  };
  const keyRows = async () =>
    Number(
      (
        await t.db.database.db
          .selectFrom('idempotency_keys')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('answers a retry with the same key the first answer (same id, 201, Location, ETag) and creates one article', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput();
    const first = await create(reporter, input, 'train-wifi-1');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The retry: the same request, its fields in another order (the client serialised it anew).
    const reordered = Object.fromEntries(Object.entries(input).reverse());
    const retry = await create(reporter, reordered, 'train-wifi-1');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry).id).toBe(json(first).id);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect(retry.headers['content-type']).toMatch(/^application\/json/);
    expect(json(retry)).toEqual(json(first));
    expect((await create(reporter, input, 'train-wifi-1')).statusCode).toBe(201);
    expect((await mine(reporter)).map((a) => a.id)).toEqual([json(first).id]);
  });

  it('refuses the same key with another body (422 idempotency_key_reused) and creates nothing', async () => {
    const reporter = await t.user('reporter');
    const first = await create(reporter, articleInput({ title: '地铁开通' }), 'reused-key');
    expect(first.statusCode).toBe(201);
    const other = await create(reporter, articleInput({ title: '地铁停运' }), 'reused-key');
    expect(other.statusCode).toBe(422);
    expect(json(other).error).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    expect(typeof json(other).error.message).toBe('string');
    expect((await mine(reporter)).map((a) => a.title)).toEqual(['地铁开通']);
  });

  it('creates exactly one article from concurrent requests with one key; the others get it or 409 idempotency_in_progress', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '并发重试的稿件' });
    for (const round of [1, 2, 3]) {
      const key = `storm-${round}`;
      // Real connections at once: each request its own socket, racing for the key in the database.
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${base}/api/v1/articles`, {
            method: 'POST',
            headers: { authorization: reporter.auth, 'content-type': 'application/json', 'idempotency-key': key },
            body: JSON.stringify(input),
          }).then(async (res) => ({
            status: res.status,
            retryAfter: res.headers.get('retry-after'),
            body: (await res.json()) as { id?: number; error?: { code: string } },
          })),
        ),
      );
      const created = answers.filter((a) => a.status === 201);
      expect(created.length, JSON.stringify(answers)).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
      for (const a of answers.filter((a) => a.status !== 201)) {
        expect(a.status, JSON.stringify(a.body)).toBe(409);
        expect(a.body.error?.code).toBe('idempotency_in_progress');
        expect(a.retryAfter).toBe('1');
      }
      // Once the first has answered, every retry gets its article.
      const after = await create(reporter, input, key);
      expect(after.statusCode).toBe(201);
      expect(json(after).id).toBe(created[0]!.body.id);
    }
    expect(await mine(reporter)).toHaveLength(3);
  });

  it('answers 409 idempotency_in_progress while the first request with the key runs (here in another process), creating nothing', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '另一台服务器正在处理' });
    // The first request with the key holds it (claimed, no answer yet), as a request in flight on another app process does.
    const held = await t.ctx.store.idempotency.claim({
      accountId: reporter.id,
      key: 'held-elsewhere',
      fingerprint: requestFingerprint('POST', '/api/v1/articles', input),
      owner: 'other-process',
      now: t.clock.now(),
    });
    expect(held).toEqual({ claimed: true });
    const retry = await create(reporter, input, 'held-elsewhere');
    expect(retry.statusCode, retry.body).toBe(409);
    expect(retry.headers['retry-after']).toBe('1');
    expect(json(retry).error).toMatchObject({ code: 'idempotency_in_progress', field: 'Idempotency-Key' });
    // Another body with the held key is still another request.
    expect((await create(reporter, articleInput(), 'held-elsewhere')).statusCode).toBe(422);
    expect(await mine(reporter)).toHaveLength(0);
    // Its answer kept, the retry gets it.
    await t.ctx.store.idempotency.answer(reporter.id, 'held-elsewhere', 'other-process', {
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', location: '/api/v1/articles/999999' },
      body: '{"id":999999}',
    });
    const answered = await create(reporter, input, 'held-elsewhere');
    expect(answered.statusCode).toBe(201);
    expect(answered.headers.location).toBe('/api/v1/articles/999999');
    expect(json(answered).id).toBe(999999);
  });

  it('keeps keys per account: two reporters using the same key each get their own article', async () => {
    const one = await t.user('reporter');
    const two = await t.user('reporter');
    const input = articleInput();
    const a = await create(one, input, 'shared-key');
    const b = await create(two, input, 'shared-key');
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(json(a).id).not.toBe(json(b).id);
    expect(await mine(one)).toHaveLength(1);
    expect(await mine(two)).toHaveLength(1);
  });

  it('without the header creates an article per request, as before', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput();
    const a = await create(reporter, input);
    const b = await create(reporter, input);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(json(a).id).not.toBe(json(b).id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await mine(reporter)).toHaveLength(2);
  });

  it('refuses a malformed key with 400 in the JSON error shape, creating nothing', async () => {
    const reporter = await t.user('reporter');
    for (const bad of ['', 'x'.repeat(256), '带中文的键', 'tab\there']) {
      const res = await create(reporter, articleInput(), bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'invalid_input', field: 'Idempotency-Key' });
    }
    // The longest key taken, and spaces inside are printable ASCII.
    expect((await create(reporter, articleInput(), 'k'.repeat(255))).statusCode).toBe(201);
    expect((await create(reporter, articleInput(), 'a key with spaces')).statusCode).toBe(201);
    expect(await mine(reporter)).toHaveLength(2);
  });

  it('lets a key go when its request failed: the corrected retry creates the article', async () => {
    const reporter = await t.user('reporter');
    const bad = await create(reporter, articleInput({ channel: 'no/such-channel' }), 'fix-and-retry');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['idempotent-replayed']).toBeUndefined();
    const fixed = await create(reporter, articleInput(), 'fix-and-retry');
    expect(fixed.statusCode, fixed.body).toBe(201);
    expect(await mine(reporter)).toHaveLength(1);
  });

  it('forgets a key after 24 hours: its row is deleted and the key may be used for a new request (a topic here)', async () => {
    const admin = await t.user('admin');
    const topic = (slug: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/topics',
        headers: { authorization: admin.auth, 'idempotency-key': 'day-old-key' },
        payload: { slug, title: '专题' },
      });
    const first = await topic('zuotian-zhuanti');
    expect(first.statusCode).toBe(201);
    const before = await keyRows();
    t.clock.advance(IDEMPOTENCY_KEEP_MS + 1);
    // Any keyed write clears every account's expired keys.
    const someoneElse = await t.user('reporter');
    expect((await create(someoneElse, articleInput(), 'fresh-key')).statusCode).toBe(201);
    // One row more (the fresh key's), at least one fewer (the day-old key's).
    expect(await keyRows()).toBeLessThanOrEqual(before);
    const again = await topic('jintian-zhuanti');
    expect(again.statusCode, again.body).toBe(201);
    expect(json(again).id).not.toBe(json(first).id);
  });

  it("answers an article's creation sent again long after its key's day with that article as it is now, never a second one", async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '三天后才恢复的稿件' });
    const first = await create(reporter, input, 'restored-days-later');
    expect(first.statusCode, first.body).toBe(201);
    const id = json(first).id as number;
    const edited = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: reporter.auth },
      payload: { title: '第二天改过的标题' },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    // The browser's copy of the new article is restored three days on: the key's day-long row is long gone.
    t.clock.advance(3 * IDEMPOTENCY_KEEP_MS);
    for (const round of [1, 2]) {
      const replay = await create(reporter, input, 'restored-days-later');
      expect(replay.statusCode, `${round}: ${replay.body}`).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers.location).toBe(`/api/v1/articles/${id}`);
      expect(replay.headers.etag).toBe(edited.headers.etag);
      expect(replay.headers['content-type']).toMatch(/^application\/json/);
      // The shape the editor reads from a creation: the article, as GET /articles/:id answers it.
      const now = await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: reporter.auth } });
      expect(json(replay)).toEqual(json(now));
    }
    // The same key with another article, as within the day: refused, nothing made.
    const other = await create(reporter, articleInput({ title: '另一篇稿件' }), 'restored-days-later');
    expect(other.statusCode, other.body).toBe(422);
    expect(json(other).error).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    expect((await mine(reporter)).map((a) => a.id)).toEqual([id]);
    // Kept as the key's HMAC, never the key.
    const kept = await t.db.database.db.selectFrom('article_creation_keys').selectAll().where('article_id', '=', id).execute();
    expect(kept).toHaveLength(1);
    expect(JSON.stringify(kept)).not.toContain('restored-days-later');
  });

  it("tells an article's creation sent again after the article was deleted where it went (409 in the trash, 410 purged), making none", async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '恢复前已删除的稿件' });
    const first = await create(reporter, input, 'deleted-meanwhile');
    expect(first.statusCode, first.body).toBe(201);
    const id = json(first).id as number;
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/articles/${id}`, headers: { authorization: reporter.auth } });
    expect(del.statusCode, del.body).toBe(204);
    // Within the key's day too: not the kept answer about an article that is in the trash now.
    const sameDay = await create(reporter, input, 'deleted-meanwhile');
    expect(sameDay.statusCode, sameDay.body).toBe(409);
    expect(json(sameDay).error.code).toBe('article_in_trash');
    t.clock.advance(IDEMPOTENCY_KEEP_MS + 1);
    const inTrash = await create(reporter, input, 'deleted-meanwhile');
    expect(inTrash.statusCode, inTrash.body).toBe(409);
    expect(json(inTrash).error.code).toBe('article_in_trash');
    expect(await mine(reporter)).toEqual([]);
    // Undeleted, the article answers again.
    const back = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/undelete`, headers: { authorization: reporter.auth } });
    expect(back.statusCode, back.body).toBe(200);
    const replay = await create(reporter, input, 'deleted-meanwhile');
    expect(replay.statusCode, replay.body).toBe(201);
    expect(json(replay).id).toBe(id);
    // Deleted again and purged from the trash: gone for good, and still not made again.
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/articles/${id}`, headers: { authorization: reporter.auth } })).statusCode).toBe(204);
    t.clock.advance(TRASH_RETENTION_MS + 1);
    expect((await purgeTrash(t.ctx)).map((p) => p.id)).toContain(id);
    const purged = await create(reporter, input, 'deleted-meanwhile');
    expect(purged.statusCode, purged.body).toBe(410);
    expect(json(purged).error.code).toBe('article_purged');
    expect(await mine(reporter)).toEqual([]);
    // A new key makes the article anew.
    expect((await create(reporter, input, 'made-anew')).statusCode).toBe(201);
    expect(await mine(reporter)).toHaveLength(1);
  });

  it('answers the article of a request with the key that committed while this one ran past the check: one article', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '检查之后另一请求先提交' });
    const first = await create(reporter, input, 'checked-too-early');
    expect(first.statusCode, first.body).toBe(201);
    t.clock.advance(IDEMPOTENCY_KEEP_MS + 1);
    // This request looked before the other's commit and found the key unused; its own transaction then meets it.
    const store = t.ctx.store.idempotency;
    const look = store.articleMadeWith;
    let looks = 0;
    store.articleMadeWith = async (accountId, key) => (looks++ === 0 ? undefined : look.call(store, accountId, key));
    let replay: Awaited<ReturnType<typeof create>>;
    try {
      replay = await create(reporter, input, 'checked-too-early');
    } finally {
      store.articleMadeWith = look;
    }
    // Fooled once, before the work: the creating transaction met the key by its own insert.
    expect(looks).toBe(1);
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(json(replay).id).toBe(json(first).id);
    expect((await mine(reporter)).map((a) => a.id)).toEqual([json(first).id]);
  });

  it('makes a retried poll, topic or channel the first one: the same answer, nothing created twice', async () => {
    const admin = await t.user('admin');
    const post = (url: string, payload: Record<string, unknown>, key: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: admin.auth, 'idempotency-key': key }, payload });
    const count = async (url: string) =>
      json<{ items: unknown[] }>(await t.app.inject({ url: `/api/v1${url}`, headers: { authorization: admin.auth } })).items.length;
    for (const [url, list, payload] of [
      ['/polls', '/polls', { question: '您支持地铁延长运营时间吗？', options: ['支持', '反对'] }],
      ['/topics', '/topics', { slug: 'ditie-zhuanti', title: '地铁专题' }],
      ['/channels', '/channels', { slug: 'jiaotong', name: '交通', parent: 'difang' }],
    ] as const) {
      const before = await count(list);
      const first = await post(url, payload, `create-${url}`);
      expect(first.statusCode, first.body).toBe(201);
      const retry = await post(url, payload, `create-${url}`);
      expect(retry.statusCode, `${url}: ${retry.body}`).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(json(retry).id).toBe(json(first).id);
      expect(await count(list), url).toBe(before + 1);
      expect((await post(url, { ...payload, ...('question' in payload ? { question: '另一个问题？' } : { slug: 'qita' }) }, `create-${url}`)).statusCode).toBe(
        422,
      );
    }
  });

  it('the newsroom client sends a creation again with the same key when the answer was lost: one poll each time', async () => {
    const admin = await t.user('admin');
    const polls = async () =>
      json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/polls?limit=100', headers: { authorization: admin.auth } })).items.length;
    const realFetch = globalThis.fetch;
    const keys: (string | undefined)[] = [];
    let lose = 0;
    // The browser's fetch over a flaky network: each request reaches the server, the next `lose` answers never arrive.
    globalThis.fetch = (async (input: string, init: RequestInit) => {
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>), authorization: admin.auth };
      keys.push(headers['idempotency-key']);
      const res = await realFetch(`${base}${input}`, { method: init.method, body: init.body, headers });
      if (lose > 0) {
        lose--;
        await res.arrayBuffer();
        throw new TypeError('Failed to fetch');
      }
      return res;
    }) as typeof fetch;
    try {
      const createPoll = creator<{ id: number }>('/polls');
      const before = await polls();
      lose = 1;
      const first = await createPoll({ question: '周末加开班次吗？', options: ['加开', '不必'] });
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(keys[1]).toBe(keys[0]);
      expect(await polls()).toBe(before + 1);
      // Lost twice: the form says so; the person presses 保存 again and the same key answers the poll already made.
      keys.length = 0;
      lose = 2;
      const body = { question: '夜班公交延长吗？', options: ['延长', '不必'] };
      await expect(createPoll(body)).rejects.toBeInstanceOf(TypeError);
      const second = await createPoll(body);
      expect(keys).toHaveLength(3);
      expect(new Set(keys).size).toBe(1);
      expect(keys[0]).not.toBe(undefined);
      expect(second.id).not.toBe(first.id);
      expect(await polls()).toBe(before + 2);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("answers a retry after a crash between the article's commit and its answer being kept with that article, never a second one", async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '提交后进程崩溃的稿件' });
    const store = t.ctx.store.idempotency;
    const keep = store.answer;
    // The process dies once the article has committed, before the key's answer is kept (and before it answers).
    store.answer = async () => {
      throw new Error('killed between the commit and keeping the answer');
    };
    let first: Awaited<ReturnType<typeof create>>;
    try {
      first = await create(reporter, input, 'crash-after-commit');
    } finally {
      store.answer = keep;
    }
    expect(first.statusCode, first.body).toBe(201);
    const id = json(first).id as number;
    // Someone edits it meanwhile: the retry gets the article as it is now.
    const edited = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: reporter.auth },
      payload: { title: '崩溃后改过的标题' },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    // The client heard nothing and retries, within the lease and once it has run out (the dead request never lets go).
    for (const wait of [1_000, IDEMPOTENCY_LEASE_MS]) {
      t.clock.advance(wait);
      const retry = await create(reporter, input, 'crash-after-commit');
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers.location).toBe(`/api/v1/articles/${id}`);
      expect(retry.headers.etag).toBe(edited.headers.etag);
      expect(json(retry)).toMatchObject({ id, title: '崩溃后改过的标题' });
    }
    expect((await mine(reporter)).map((a) => a.id)).toEqual([id]);
    // The key still stands for this request only.
    expect((await create(reporter, articleInput(), 'crash-after-commit')).statusCode).toBe(422);
  });

  it('answers a retried poll, topic or channel after a crash between its commit and its answer being kept with the one made', async () => {
    const admin = await t.user('admin');
    const post = (url: string, payload: Record<string, unknown>, key: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: admin.auth, 'idempotency-key': key }, payload });
    const count = async (url: string) =>
      json<{ items: unknown[] }>(await t.app.inject({ url: `/api/v1${url}?limit=100`, headers: { authorization: admin.auth } })).items.length;
    const store = t.ctx.store.idempotency;
    const keep = store.answer;
    for (const [url, payload] of [
      ['/polls', { question: '崩溃后重试的投票？', options: ['是', '否'] }],
      ['/topics', { slug: 'bengkui-zhuanti', title: '崩溃后重试的专题' }],
      ['/channels', { slug: 'bengkui', name: '崩溃', parent: 'difang' }],
    ] as const) {
      const before = await count(url);
      store.answer = async () => {
        throw new Error('killed between the commit and keeping the answer');
      };
      let first: Awaited<ReturnType<typeof post>>;
      try {
        first = await post(url, payload, `crash-${url}`);
      } finally {
        store.answer = keep;
      }
      expect(first.statusCode, first.body).toBe(201);
      t.clock.advance(IDEMPOTENCY_LEASE_MS + 1);
      const retry = await post(url, payload, `crash-${url}`);
      expect(retry.statusCode, `${url}: ${retry.body}`).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(json(retry)).toEqual(json(first));
      expect(await count(url), url).toBe(before + 1);
    }
  });

  it('runs a retry anew after a crash before the article committed: the key was held, nothing was made', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '提交前进程崩溃的稿件' });
    // What a process that died mid-creation leaves: the key claimed by its request, and its transaction rolled back.
    const dead = await t.ctx.store.idempotency.claim({
      accountId: reporter.id,
      key: 'crash-before-commit',
      fingerprint: requestFingerprint('POST', '/api/v1/articles', input),
      owner: 'dead-process',
      now: t.clock.now(),
    });
    expect(dead).toEqual({ claimed: true });
    expect((await create(reporter, input, 'crash-before-commit')).statusCode).toBe(409);
    t.clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    const retry = await create(reporter, input, 'crash-before-commit');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const again = await create(reporter, input, 'crash-before-commit');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(json(again).id).toBe(json(retry).id);
    expect((await mine(reporter)).map((a) => a.title)).toEqual(['提交前进程崩溃的稿件']);
  });

  it('keeps the key of an article that committed even when its request then failed: the retry gets the article', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '提交后应答失败的稿件' });
    const store = t.ctx.store.idempotency;
    const fingerprint = requestFingerprint('POST', '/api/v1/articles', input);
    const hold = { accountId: reporter.id, key: 'failed-after-commit', owner: 'failing-request', fingerprint, claimedAt: t.clock.now() };
    expect(await store.claim({ ...hold, now: hold.claimedAt })).toEqual({ claimed: true });
    // The request's article committed with its key (as createArticle does), then answering failed (a 5xx lets its key go).
    const made = json(await create(reporter, input));
    expect(await store.made(hold, made.id)).toEqual({ kept: true });
    await store.release(hold.accountId, hold.key, hold.owner);
    const retry = await create(reporter, input, 'failed-after-commit');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry).id).toBe(made.id);
    expect(await mine(reporter)).toHaveLength(1);
    // Another request with the key (a retry that took it over) cannot record a second creation: it rolls back and answers this one.
    expect(await store.made({ ...hold, owner: 'someone-else' }, made.id + 1)).toEqual({ kept: false, made: made.id });
  });

  it('creates one article when a slow first request outlives its lease and a retry takes the key over: both answer it', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '慢请求与重试' });
    const store = t.ctx.store.idempotency;
    const claimOf = store.claim;
    let retry: Promise<Awaited<ReturnType<typeof create>>> | undefined;
    let letRetryOn: () => void = () => {};
    const retryHeld = new Promise<void>((resolve) => {
      letRetryOn = resolve;
    });
    let claims = 0;
    // The first request claims its key and then stalls past its lease (a slow upload, a long GC pause); the client
    // gives up and sends the retry, which takes the key over and is itself still running when the first one goes on.
    store.claim = async (c) => {
      const found = await claimOf.call(store, c);
      claims++;
      if (claims === 1) {
        t.clock.advance(IDEMPOTENCY_LEASE_MS + 1);
        retry = create(reporter, input, 'slow-first');
        while (claims < 2) await new Promise((r) => setTimeout(r, 5));
      } else if (claims === 2) {
        expect(found).toEqual({ claimed: true });
        await retryHeld;
      }
      return found;
    };
    let first: Awaited<ReturnType<typeof create>>;
    try {
      first = await create(reporter, input, 'slow-first');
      letRetryOn();
    } finally {
      letRetryOn();
      store.claim = claimOf;
    }
    const second = await retry!;
    // The first request did the work and says so; the retry answers with the same article, never a second one.
    expect(first.statusCode, first.body).toBe(201);
    expect(second.statusCode, second.body).toBe(201);
    expect(json(second).id).toBe(json(first).id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect((await mine(reporter)).map((a) => a.id)).toEqual([json(first).id]);
    const later = await create(reporter, input, 'slow-first');
    expect(later.statusCode).toBe(201);
    expect(json(later).id).toBe(json(first).id);
  });

  it('creates one article when a retry that took the key over commits first: the slow first request answers that article', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '重试先完成' });
    const store = t.ctx.store.idempotency;
    const claimOf = store.claim;
    let claims = 0;
    let second: Awaited<ReturnType<typeof create>> | undefined;
    // The first request stalls past its lease after claiming; the retry takes the key over and finishes meanwhile.
    store.claim = async (c) => {
      const found = await claimOf.call(store, c);
      if (++claims === 1) {
        t.clock.advance(IDEMPOTENCY_LEASE_MS + 1);
        second = await create(reporter, input, 'slow-first-loses');
      }
      return found;
    };
    let first: Awaited<ReturnType<typeof create>>;
    try {
      first = await create(reporter, input, 'slow-first-loses');
    } finally {
      store.claim = claimOf;
    }
    expect(second!.statusCode, second!.body).toBe(201);
    expect(first.statusCode, first.body).toBe(201);
    expect(json(first).id).toBe(json(second!).id);
    expect((await mine(reporter)).map((a) => a.id)).toEqual([json(second!).id]);
  });

  it('keeps the creation of a slow request whose key a retry took over and then let go (the retry failed)', async () => {
    const store = t.ctx.store.idempotency;
    const account = (await t.user('reporter')).id;
    const now = t.clock.now();
    const slow = { accountId: account, key: 'taken-then-let-go', owner: 'slow', fingerprint: 'fp', claimedAt: now };
    expect(await store.claim({ ...slow, now })).toEqual({ claimed: true });
    const later = now + IDEMPOTENCY_LEASE_MS + 1;
    expect(await store.claim({ ...slow, owner: 'retry', now: later })).toEqual({ claimed: true });
    await store.release(account, slow.key, 'retry');
    expect(await store.made(slow, 41)).toEqual({ kept: true });
    // A later retry gets what the slow request made, not a run of its own.
    expect(await store.claim({ ...slow, owner: 'third', now: later + 1 })).toEqual({ claimed: false, fingerprint: 'fp', made: 41 });
  });

  /** An admin's script creating an API token: the answer holds the token's secret, shown once. */
  const createToken = (admin: User, payload: Record<string, unknown>, key: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: admin.auth, 'idempotency-key': key }, payload });
  const tokenIds = async (admin: User) =>
    json<{ items: { id: number }[] }>(await t.app.inject({ url: '/api/v1/tokens', headers: { authorization: admin.auth } })).items.map((i) => i.id);
  const keyRowsText = async () => JSON.stringify(await t.db.database.db.selectFrom('idempotency_keys').selectAll().execute());

  it('answers a retried token creation with the same token and secret, one token made, and keeps neither key nor secret readable', async () => {
    const admin = await t.user('admin');
    const before = await tokenIds(admin);
    const payload = { username: admin.username, name: '发稿脚本' };
    const key = 'token-script-7f3a9c2e-1b4d';
    const first = await createToken(admin, payload, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await createToken(admin, { name: '发稿脚本', username: admin.username }, key);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry)).toEqual(json(first));
    const secret = json<{ token: string }>(first).token;
    expect(secret).toMatch(/^ink_/);
    expect((await tokenIds(admin)).filter((id) => !before.includes(id))).toEqual([json(first).id]);
    // The secret answered twice works, and the database holds neither it nor the key that opens the kept answer.
    const me = await t.app.inject({ url: '/api/v1/tokens', headers: { authorization: `Bearer ${secret}` } });
    expect(me.statusCode).toBe(200);
    const rows = await keyRowsText();
    expect(rows).not.toContain(secret);
    expect(rows).not.toContain(secret.slice(4));
    expect(rows).not.toContain(key);
    // Another body with the key is another request: refused, nothing made.
    const other = await createToken(admin, { username: admin.username, name: '另一个脚本' }, key);
    expect(other.statusCode).toBe(422);
    expect(json(other).error).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    expect((await tokenIds(admin)).length).toBe(before.length + 1);
  });

  it('makes one token from concurrent token creations with one key; every 201 carries the same secret', async () => {
    const admin = await t.user('admin');
    const before = (await tokenIds(admin)).length;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${base}/api/v1/tokens`, {
          method: 'POST',
          headers: { authorization: admin.auth, 'content-type': 'application/json', 'idempotency-key': 'token-storm' },
          body: JSON.stringify({ username: admin.username, name: '并发脚本' }),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as { id?: number; token?: string; error?: { code: string } } })),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created.length, JSON.stringify(answers)).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => `${a.body.id} ${a.body.token}`)).size).toBe(1);
    for (const a of answers.filter((a) => a.status !== 201)) expect(a.body.error?.code).toBe('idempotency_in_progress');
    const after = await createToken(admin, { username: admin.username, name: '并发脚本' }, 'token-storm');
    expect(json(after)).toEqual(created[0]!.body);
    expect((await tokenIds(admin)).length).toBe(before + 1);
  });

  it('answers a retried token creation after a crash between its commit and its answer being kept with the same secret', async () => {
    const admin = await t.user('admin');
    const before = (await tokenIds(admin)).length;
    const payload = { username: admin.username, name: '崩溃后重试的脚本' };
    const store = t.ctx.store.idempotency;
    const keep = store.answer;
    store.answer = async () => {
      throw new Error('killed between the commit and keeping the answer');
    };
    let first: Awaited<ReturnType<typeof createToken>>;
    try {
      first = await createToken(admin, payload, 'token-crash');
    } finally {
      store.answer = keep;
    }
    expect(first.statusCode, first.body).toBe(201);
    t.clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    const retry = await createToken(admin, payload, 'token-crash');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry)).toEqual(json(first));
    expect((await tokenIds(admin)).length).toBe(before + 1);
    expect(await keyRowsText()).not.toContain(json<{ token: string }>(first).token);
  });

  /** What a reader of the database alone (a leaked backup, a read-only SQL account) would try on a guessable key. */
  const attackerOpens = (key: string, accountId: number, sealed: string): string | undefined => {
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const box = Buffer.from(hkdfSync('sha256', key, 'inkstone idempotency v1', `account ${accountId}`, 32));
    try {
      const decipher = createDecipheriv('aes-256-gcm', box, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(createHash('sha256').update(key).digest('base64url')));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  };

  it("keeps a token's secret sent with a guessable key ('1') out of reach of a database reader without the server's secret; the retry still gets it", async () => {
    const admin = await t.user('admin');
    const payload = { username: admin.username, name: '钥匙是1的脚本' };
    const first = await createToken(admin, payload, '1');
    expect(first.statusCode, first.body).toBe(201);
    const secret = json<{ token: string }>(first).token;
    const rows = await t.db.database.db.selectFrom('idempotency_keys').selectAll().where('account_id', '=', admin.id).execute();
    const fingerprint = requestFingerprint('POST', '/api/v1/tokens', payload);
    const row = rows.find((r) => r.fingerprint === fingerprint);
    expect(row?.sealed_answer).toBeTruthy();
    // The key's plain hash finds no row, and no kept answer opens with a box key derived from the key alone.
    const plainHash = createHash('sha256').update('1').digest('base64url');
    expect(rows.map((r) => r.idem_key)).not.toContain(plainHash);
    for (const r of rows) {
      for (const sealed of [r.sealed_answer, r.sealed_made]) if (sealed) expect(attackerOpens('1', admin.id, sealed)).toBeUndefined();
    }
    expect(await keyRowsText()).not.toContain(secret);
    const retry = await createToken(admin, payload, '1');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry)).toEqual(json(first));
  });

  it("answers a retry of a key kept before the server's secret keyed them (plain SHA-256, sealed under the key alone) and keeps it keyed from then on", async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '密钥加盐前的稿件' });
    const key = 'kept-before-secret';
    const plainHash = createHash('sha256').update(key).digest('base64url');
    // The row as the version before wrote it: the key's plain hash, the answer sealed `v1.` under HKDF of the key alone.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(hkdfSync('sha256', key, 'inkstone idempotency v1', `account ${reporter.id}`, 32)), iv);
    cipher.setAAD(Buffer.from(plainHash));
    const plain = JSON.stringify({
      headers: { 'content-type': 'application/json; charset=utf-8', location: '/api/v1/articles/535353' },
      body: '{"id":535353}',
    });
    const text = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const sealed = `v1.${Buffer.concat([iv, cipher.getAuthTag(), text]).toString('base64url')}`;
    expect(attackerOpens(key, reporter.id, sealed)).toBe(plain);
    await t.db.database.db
      .insertInto('idempotency_keys')
      .values({
        account_id: reporter.id,
        idem_key: plainHash,
        fingerprint: requestFingerprint('POST', '/api/v1/articles', input),
        owner: null,
        locked_until: t.clock.now(),
        status: 201,
        sealed_answer: sealed,
        created_at: t.clock.now(),
      })
      .execute();
    for (let i = 0; i < 2; i++) {
      const retry = await create(reporter, input, key);
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers.location).toBe('/api/v1/articles/535353');
    }
    expect(await mine(reporter)).toHaveLength(0);
    // Written anew in the keyed form: the plain hash finds nothing, and the key alone opens nothing.
    const rows = await t.db.database.db.selectFrom('idempotency_keys').selectAll().where('account_id', '=', reporter.id).execute();
    expect(rows.map((r) => r.idem_key)).not.toContain(plainHash);
    for (const r of rows) if (r.sealed_answer) expect(attackerOpens(key, reporter.id, r.sealed_answer)).toBeUndefined();
  });

  /** Flips one byte of a sealed value's ciphertext, as a disk fault or a meddling hand in the database would. */
  const alter = (sealed: string) => {
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 0x01;
    return `${sealed.slice(0, 3)}${raw.toString('base64url')}`;
  };
  const alterKept = async (accountId: number, fingerprint: string, column: 'sealed_answer' | 'sealed_made') => {
    const db = t.db.database.db;
    const row = await db
      .selectFrom('idempotency_keys')
      .select(['idem_key', column])
      .where('account_id', '=', accountId)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirstOrThrow();
    const sealed = row[column];
    expect(sealed).toBeTruthy();
    await db
      .updateTable('idempotency_keys')
      .set({ [column]: alter(sealed!) })
      .where('account_id', '=', accountId)
      .where('idem_key', '=', row.idem_key)
      .execute();
  };

  it('answers a retry whose kept answer was altered in the database with the article made, never a 500 or a second article', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '被改动的回执' });
    const first = await create(reporter, input, 'altered-answer');
    expect(first.statusCode, first.body).toBe(201);
    await alterKept(reporter.id, requestFingerprint('POST', '/api/v1/articles', input), 'sealed_answer');
    const retry = await create(reporter, input, 'altered-answer');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry).id).toBe(json(first).id);
    expect(retry.headers.location).toBe(first.headers.location);
    expect((await mine(reporter)).map((a) => a.id)).toEqual([json(first).id]);
  });

  it('tells a retried token creation whose kept answer or secret was altered in the database 422 idempotency_answer_lost, making no second token', async () => {
    const admin = await t.user('admin');
    const payload = { username: admin.username, name: '回执被改的脚本' };
    const fingerprint = requestFingerprint('POST', '/api/v1/tokens', payload);
    const before = (await tokenIds(admin)).length;
    expect((await createToken(admin, payload, 'altered-token')).statusCode).toBe(201);
    await alterKept(admin.id, fingerprint, 'sealed_answer');
    const retry = await createToken(admin, payload, 'altered-token');
    expect(retry.statusCode, retry.body).toBe(422);
    expect(json(retry).error).toMatchObject({ code: 'idempotency_answer_lost', field: 'Idempotency-Key' });
    expect(typeof json(retry).error.message).toBe('string');
    expect((await tokenIds(admin)).length).toBe(before + 1);
    // The secret recorded for a retry after a crash, altered: the same.
    const crashPayload = { username: admin.username, name: '崩溃后密钥被改的脚本' };
    const store = t.ctx.store.idempotency;
    const keep = store.answer;
    store.answer = async () => {
      throw new Error('killed between the commit and keeping the answer');
    };
    try {
      expect((await createToken(admin, crashPayload, 'altered-made')).statusCode).toBe(201);
    } finally {
      store.answer = keep;
    }
    await alterKept(admin.id, requestFingerprint('POST', '/api/v1/tokens', crashPayload), 'sealed_made');
    t.clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    const late = await createToken(admin, crashPayload, 'altered-made');
    expect(late.statusCode, late.body).toBe(422);
    expect(json(late).error.code).toBe('idempotency_answer_lost');
    expect((await tokenIds(admin)).length).toBe(before + 2);
  });

  it('lets the same request take over a key whose holder died mid-request, once its lease has run out', async () => {
    const store = t.ctx.store.idempotency;
    const account = (await t.user('reporter')).id;
    const now = t.clock.now();
    const claim = (owner: string, at: number, fingerprint = 'fp') => store.claim({ accountId: account, key: 'crashed', fingerprint, owner, now: at });
    expect(await claim('dead-process', now)).toEqual({ claimed: true });
    expect(await claim('retry', now + 1_000)).toEqual({ claimed: false, fingerprint: 'fp' });
    // Another request never takes it over, even after the lease.
    expect(await claim('other', now + IDEMPOTENCY_LEASE_MS + 1, 'fp2')).toEqual({ claimed: false, fingerprint: 'fp' });
    const late = await Promise.all([claim('retry-a', now + IDEMPOTENCY_LEASE_MS + 1), claim('retry-b', now + IDEMPOTENCY_LEASE_MS + 1)]);
    expect(late.filter((c) => c.claimed)).toHaveLength(1);
    // The dead request's owner token no longer answers for the key.
    await store.answer(account, 'crashed', 'dead-process', { status: 201, headers: {}, body: '{"id":1}' });
    expect(await claim('after', now + IDEMPOTENCY_LEASE_MS + 2)).toEqual({ claimed: false, fingerprint: 'fp' });
  });
  // Last: it takes the table back to before 2026-12-12T0100 (down() clears it) and up again.
  it('keeps answering the keys kept before keys were hashed and answers sealed, after the upgrade', async () => {
    const reporter = await t.user('reporter');
    const input = articleInput({ title: '升级前的稿件' });
    const db = t.db.database.db;
    await sealedDown(db as never);
    // A row as the previous version kept it: the key itself, its answer in clear.
    await db
      .insertInto('idempotency_keys')
      .values({
        account_id: reporter.id,
        idem_key: 'before-upgrade',
        fingerprint: requestFingerprint('POST', '/api/v1/articles', input),
        owner: null,
        locked_until: t.clock.now(),
        status: 201,
        headers: JSON.stringify({ 'content-type': 'application/json; charset=utf-8', location: '/api/v1/articles/424242' }),
        body: '{"id":424242}',
        made_id: null,
        created_at: t.clock.now(),
      } as never)
      .execute();
    await sealedUp(db as never);
    expect(await keyRowsText()).not.toContain('before-upgrade');
    const retry = await create(reporter, input, 'before-upgrade');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe('/api/v1/articles/424242');
    expect(await mine(reporter)).toHaveLength(0);
  });
});
