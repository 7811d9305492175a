import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLE_INDEXING, ARTICLE_RELATED } from '../../src/domain/articles/indexing.ts';
import { DRAFT_QUIET_MS } from '../../src/domain/articles/outbox-topics.ts';
import { OUTBOX_LONGEST_WAIT, retryDelay, runOutbox } from '../../src/domain/outbox.ts';
import { OutboxRunner } from '../../src/jobs/outbox.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES, runsOn } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

const quiet = pino({ level: 'silent' });
const METRICS_TOKEN = 'metrics-token-0123456789';

/**
 * Search entries and related reading follow an article change after its commit, from the outbox table written in the
 * same transaction: the write never waits for them, a crash between the commit and the work loses nothing, and a
 * failure is tried again.
 */
describe.each(STORES)('the outbox on %s', (kind) => {
  let t: TestApp;
  let auth: string;
  let word = 0;

  beforeAll(async () => {
    t = await startTestApp(kind, { INKSTONE_METRICS_TOKEN: METRICS_TOKEN });
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    auth = (await t.user('editor')).auth;
  });
  afterAll(() => t.close());

  const metric = async (name: string) => {
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.body)?.[1]);
  };

  /**
   * A made-up word of its own per article, sharing no character with another (search continues with partial matches,
   * so words with a common part would find each other's articles).
   */
  const WORDS = ['甲乙丙', '丁戊己', '庚辛壬', '子丑寅', '卯辰巳', '午未申', '酉戌亥', '鹳雀楼', '琥珀湾', '翡翠岭', '珊瑚礁', '麒麟阁'];
  const uniqueWord = () => WORDS[word++ % WORDS.length]!;
  const found = async (q: string) => {
    const res = await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q)}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: number }[] }>(res).items.map((i) => i.id);
  };
  /** The app's context with the related candidate searches counted (each is one article's related reading made). */
  const countingSearches = () => {
    let n = 0;
    const counting = {
      ...t.ctx,
      store: new Proxy(t.ctx.store, {
        get: (target, key) =>
          key === 'related'
            ? new Proxy(target.related, {
                get: (r, k) => (k === 'candidatesApart' ? (...a: Parameters<typeof r.candidatesApart>) => (n++, r.candidatesApart(...a)) : Reflect.get(r, k)),
              })
            : Reflect.get(target, key),
      }),
    };
    return { counting, searches: () => n };
  };
  const publishedWith = async (w: string) => {
    const a = await createArticle(t.app, auth, { title: `${w}：江城新区开放夜市`, body: `<p>本报讯 ${w}夜市今晚开放，摊位一百二十个。</p>` });
    await publish(t.app, auth, a.id);
    return a.id;
  };

  it('makes a published article searchable within 2 s of its commit, without the writer waiting for it', async () => {
    const w = uniqueWord();
    const id = await publishedWith(w);
    const started = Date.now();
    await waitFor(async () => (await found(w)).includes(id) || undefined, { timeout: 2000, message: 'search finds the new article' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps the work of a process that died after its commit, and a restarted process does it', async () => {
    await t.outbox.stop();
    const w = uniqueWord();
    const id = await publishedWith(w);
    expect(await found(w)).toEqual([]);
    expect((await t.ctx.store.outbox.backlog()).count).toBeGreaterThan(0);
    const restarted = new OutboxRunner(t.ctx, quiet).start();
    try {
      await waitFor(async () => (await found(w)).includes(id) || undefined, { timeout: 2000 });
      await restarted.drain();
      expect((await t.ctx.store.outbox.backlog()).count).toBe(0);
    } finally {
      t.outbox = restarted;
    }
  });

  it('claims again the rows of a process that died mid-work, once its lease has run out', async () => {
    await t.outbox.stop();
    const w = uniqueWord();
    const id = await publishedWith(w);
    // It had claimed everything, the create's search entry (which waits for the draft to be quiet) too.
    const held = await t.ctx.store.outbox.claim('a-process-that-died', t.clock.now(), 60_000, 100, [], t.clock.now() + OUTBOX_LONGEST_WAIT);
    expect(held.length).toBeGreaterThan(0);
    const runner = new OutboxRunner(t.ctx, quiet);
    t.outbox = runner;
    await runner.drain();
    expect(await found(w)).toEqual([]);
    t.clock.advance(61_000);
    await runner.drain();
    expect(await found(w)).toEqual([id]);
    expect((await t.ctx.store.outbox.backlog()).count).toBe(0);
  });

  it('does several changes of one article as one piece of work, from the article as it is last', async () => {
    const runner = new OutboxRunner(t.ctx, quiet);
    t.outbox = runner;
    const [first, last] = [uniqueWord(), uniqueWord()];
    const a = await createArticle(t.app, auth, { title: `${first}：草稿` });
    for (const title of [`${first}：第二稿`, `${first}：第三稿`, `${last}：定稿`]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: { authorization: auth }, payload: { title } });
      expect(res.statusCode, res.body).toBe(200);
    }
    await publish(t.app, auth, a.id);
    // The draft's four wait to be due (DRAFT_QUIET_MS), the publish's is due at once.
    expect((await t.ctx.store.outbox.claim('peek', t.clock.now(), 1, 100)).filter((r) => r.subjectId === a.id)).toHaveLength(1);
    t.clock.advance(2);
    const rows = await t.ctx.store.outbox.claim('peek', t.clock.now(), 1, 100, [], t.clock.now() + OUTBOX_LONGEST_WAIT);
    expect(rows.filter((r) => r.subjectId === a.id)).toHaveLength(5);
    t.clock.advance(2);
    await runner.drain();
    expect(await found(last)).toEqual([a.id]);
    expect(await found(first)).toEqual([]);
  });

  it('indexes a draft once it has been quiet for a moment, so a create and its publish are one piece of work', async () => {
    await t.outbox.drain();
    await t.outbox.stop();
    // Entries put into each index, counted on the store and on each transaction's.
    const puts = { search: 0, drafts: 0 };
    type Store = typeof t.ctx.store;
    const counted = (store: Store): Store =>
      new Proxy(store, {
        get: (target, key) => {
          if (key === 'transaction') return <T>(work: (tx: Store) => Promise<T>) => target.transaction((tx) => work(counted(tx)));
          const index = key === 'search' ? 'search' : key === 'draftSearch' ? 'drafts' : undefined;
          if (!index) return Reflect.get(target, key);
          const inner = Reflect.get(target, key) as Store['search'];
          return new Proxy(inner, {
            get: (r, k) => (k === 'put' ? (...a: Parameters<typeof r.put>) => (puts[index]++, r.put(...a)) : Reflect.get(r, k)),
          });
        },
      });
    const counting = { ...t.ctx, store: counted(t.ctx.store) };
    const runner = new OutboxRunner(counting, quiet, { pollMs: 20 }).start();
    t.outbox = runner;
    // Created and published at once (a wire feed, an API client): one search entry, the published one.
    const w = uniqueWord();
    const id = await publishedWith(w);
    await waitFor(async () => (await found(w)).includes(id) || undefined, { timeout: 2000, message: 'search finds the new article' });
    await runner.drain();
    expect(puts).toEqual({ search: 1, drafts: 0 });
    // A draft alone waits DRAFT_QUIET_MS (of the clock the site runs on), then is indexed by the next poll, once.
    const draft = await createArticle(t.app, auth, { title: `${uniqueWord()}：草稿` });
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/articles/${draft.id}`,
        headers: { authorization: auth },
        payload: { summary: `第${i}稿` },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(puts.drafts).toBe(0);
    t.clock.advance(DRAFT_QUIET_MS);
    await waitFor(() => puts.drafts === 1 || undefined, { timeout: 2000, message: 'the quiet draft is indexed' });
    await runner.drain();
    expect(puts).toEqual({ search: 1, drafts: 1 });
    // A takedown is a change readers see: its work is due at once, with no wait and no clock moved.
    const down = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/unpublish`, headers: { authorization: auth } });
    expect(down.statusCode, down.body).toBe(200);
    await waitFor(() => puts.drafts === 2 || undefined, { timeout: 2000, message: 'the taken-down article is in the draft index at once' });
    await runner.drain();
    expect(puts).toEqual({ search: 1, drafts: 2 });
    expect((await t.ctx.store.outbox.backlog()).count).toBe(0);
  });

  it('never strands new work written by a clock ahead of its own, and a drain does not take a retry before its back-off', async () => {
    await t.outbox.stop();
    const now = t.clock.now();
    // Due in an hour by the clock that wrote it: no new work waits that long, so it is due now.
    await t.ctx.store.outbox.add('clock.ahead', 7, now, now + 3_600_000);
    await t.ctx.store.outbox.add('a.retry', 8, now);
    const [retry] = await t.ctx.store.outbox.claim('test', now, 60_000, 1, [], now);
    expect(retry).toMatchObject({ topic: 'clock.ahead' });
    await t.ctx.store.outbox.release([retry!.id]);
    const claimed = await t.ctx.store.outbox.claim('test', now, 60_000, 10, [], now + OUTBOX_LONGEST_WAIT);
    expect(claimed.map((c) => c.topic).sort()).toEqual(['a.retry', 'clock.ahead']);
    const failed = claimed.find((c) => c.topic === 'a.retry')!;
    await t.ctx.store.outbox.fail(failed.id, now + 1_000, 'failed once');
    await t.ctx.store.outbox.complete([claimed.find((c) => c.topic === 'clock.ahead')!.id]);
    // A retry due in a second is not new work: neither the drain's look ahead nor the far-future rule takes it early.
    expect(await t.ctx.store.outbox.due(now, now + OUTBOX_LONGEST_WAIT)).toBe(false);
    expect(await t.ctx.store.outbox.claim('test', now, 60_000, 10, [], now + OUTBOX_LONGEST_WAIT)).toEqual([]);
    expect((await t.ctx.store.outbox.claim('test', now + 1_000, 60_000, 10)).map((c) => c.topic)).toEqual(['a.retry']);
    await t.ctx.store.outbox.complete([failed.id]);
    t.outbox = new OutboxRunner(t.ctx, quiet).start();
  });

  it('takes an unpublished article out of search in the same transaction, before any outbox work', async () => {
    await t.outbox.drain();
    const w = uniqueWord();
    const id = await publishedWith(w);
    await t.outbox.drain();
    expect(await found(w)).toEqual([id]);
    await t.outbox.stop();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/unpublish`, headers: { authorization: auth } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await found(w)).toEqual([]);
    t.outbox = new OutboxRunner(t.ctx, quiet).start();
    await t.outbox.drain();
    expect(await found(w)).toEqual([]);
  });

  it('tries failed work again after a growing back-off, keeping the error, and never drops it', async () => {
    await t.outbox.drain();
    const errors: unknown[] = [];
    const runner = new OutboxRunner(t.ctx, { warn: () => {}, error: (o: unknown) => void errors.push(o) } as never);
    await t.ctx.store.outbox.add('no.such.work', 1, t.clock.now());
    await runner.drain();
    expect(errors).toHaveLength(1);
    let backlog = await t.ctx.store.outbox.backlog();
    expect(backlog).toMatchObject({ count: 1, failing: 1 });
    expect(await metric('inkstone_outbox_waiting')).toBe(1);
    expect(await metric('inkstone_outbox_failing')).toBe(1);
    t.clock.advance(retryDelay(0) - 10);
    await runner.drain();
    expect(errors).toHaveLength(1);
    t.clock.advance(20);
    await runner.drain();
    expect(errors).toHaveLength(2);
    t.clock.advance(retryDelay(1) + 10);
    await runner.drain();
    expect(errors).toHaveLength(3);
    backlog = await t.ctx.store.outbox.backlog();
    expect(backlog).toMatchObject({ count: 1, failing: 1 });
    const row = await t.db.database.db.selectFrom('outbox').selectAll().where('topic', '=', 'no.such.work').executeTakeFirstOrThrow();
    expect(row.attempts).toBe(3);
    expect(row.last_error).toContain('no.such.work');
    await t.ctx.store.outbox.complete([row.id]);
  });

  it('claims a search entry before related reading queued earlier, and does the slower work one piece per claim', async () => {
    await t.outbox.stop();
    const now = t.clock.now();
    for (const id of [901, 902, 903]) await t.ctx.store.outbox.add(ARTICLE_RELATED, id, now);
    await t.ctx.store.outbox.add(ARTICLE_INDEXING, 904, now);
    const claimed = await t.ctx.store.outbox.claim('test', now, 60_000, 2, [ARTICLE_RELATED]);
    expect(claimed.map((c) => [c.topic, c.subjectId])).toEqual(expect.arrayContaining([[ARTICLE_INDEXING, 904]]));
    expect(claimed).toHaveLength(2);
    await t.ctx.store.outbox.release(claimed.map((c) => c.id));
    // Articles 901–904 do not exist: each piece of work finds nothing to do and completes. One related piece per claim
    // means one claim per piece after the search entry's.
    let claims = 0;
    const store = t.ctx.store;
    const counting = {
      ...t.ctx,
      store: new Proxy(store, {
        get: (target, key) =>
          key === 'outbox'
            ? new Proxy(target.outbox, {
                get: (o, k) => (k === 'claim' ? (...a: Parameters<typeof o.claim>) => (claims++, o.claim(...a)) : Reflect.get(o, k)),
              })
            : Reflect.get(target, key),
      }),
    };
    expect(await runOutbox(counting, { owner: 'test', leaseMs: 60_000, batch: 16 })).toBe(4 + 1);
    // 904's search entry queued its own related reading: five pieces in four claims. The last took fewer rows than asked
    // for, left none and queued none: no claim after it to find nothing.
    expect(claims).toBe(4);
  });

  it('does the same work queued again for an article before it ran once, and leaves rows another process holds', async () => {
    await t.outbox.stop();
    const id = await publishedWith(uniqueWord());
    // The create's search entry (a draft's, waiting to be quiet) is due too by now.
    t.clock.advance(OUTBOX_LONGEST_WAIT);
    const now = t.clock.now();
    // Related reading queued three times more (saves after the publish, a retry waiting for its back-off), and once
    // held by another process, which does it itself.
    for (let i = 0; i < 3; i++) await t.ctx.store.outbox.add(ARTICLE_RELATED, id, now);
    const [waiting] = await t.ctx.store.outbox.claim('a-retry', now, 60_000, 1, []);
    await t.ctx.store.outbox.fail(waiting!.id, now + 60_000, 'earlier failure');
    await t.ctx.store.outbox.add(ARTICLE_RELATED, id, now);
    const [held] = (await t.ctx.store.outbox.claim('another-process', now, 60_000, 100, []))
      .filter((r) => r.topic === ARTICLE_RELATED && r.subjectId === id)
      .slice(-1);
    await t.ctx.store.outbox.release(
      (await t.db.database.db.selectFrom('outbox').select('id').where('claimed_by', '=', 'another-process').execute())
        .map((r) => r.id)
        .filter((x) => x !== held!.id),
    );
    const { counting, searches } = countingSearches();
    // Claimed one at a time, each with the rows it serves: the search entries (create, publish) once, related reading once.
    await runOutbox(counting, { owner: 'test', leaseMs: 60_000, batch: 1 });
    expect(searches()).toBe(1);
    const left = await t.db.database.db.selectFrom('outbox').select(['id', 'claimed_by']).execute();
    expect(left).toEqual([{ id: held!.id, claimed_by: 'another-process' }]);
    // Its process died: once the lease runs out, the row is claimed and done like any other.
    t.clock.advance(61_000);
    expect(await runOutbox(counting, { owner: 'test', leaseMs: 60_000, batch: 1 })).toBe(1);
    // Its list was made from this revision already: nothing is searched again.
    expect(searches()).toBe(1);
    t.outbox = new OutboxRunner(t.ctx, quiet).start();
  });

  it('makes related reading again for a new revision, not again for the same one', async () => {
    await t.outbox.stop();
    const id = await publishedWith(uniqueWord());
    const { counting, searches } = countingSearches();
    const drain = () => runOutbox(counting, { owner: 'test', leaseMs: 60_000, batch: 16 });
    await drain();
    expect(searches()).toBe(1);
    // Queued after the run began (as by the publish's own search entry): the revision is the one its list was made of.
    await t.ctx.store.outbox.add(ARTICLE_RELATED, id, t.clock.now());
    await drain();
    expect(searches()).toBe(1);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id}`,
      headers: { authorization: auth },
      payload: { summary: '摊位增加到一百五十个。' },
    });
    expect(res.statusCode, res.body).toBe(200);
    await drain();
    expect(searches()).toBe(2);
    // Taken down and published again: its list was withdrawn, and is made anew.
    for (const action of ['unpublish', 'publish']) {
      const r = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/${action}`, headers: { authorization: auth } });
      expect(r.statusCode, r.body).toBe(200);
      await drain();
    }
    expect(searches()).toBe(3);
    t.outbox = new OutboxRunner(t.ctx, quiet).start();
  });
});

describe('retry delays', () => {
  it('double from 2 s up to 10 minutes', () => {
    expect([0, 1, 2, 3].map(retryDelay)).toEqual([2000, 4000, 8000, 16000]);
    expect(retryDelay(50)).toBe(600_000);
  });
});

describe.skipIf(!runsOn('postgres'))('the outbox on postgres, with several processes', () => {
  let t: TestApp;
  let auth: string;

  beforeAll(async () => {
    t = await startTestApp('postgres');
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    auth = (await t.user('editor')).auth;
  });
  afterAll(() => t.close());

  it('lets two processes claim at once without waiting for each other (SKIP LOCKED)', async () => {
    await t.outbox.stop();
    const now = t.clock.now();
    for (let i = 0; i < 30; i++) await t.ctx.store.outbox.add('no.such.work', i, now);
    // One process's claim stays uncommitted (its transaction open) while another claims.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let first: number[] = [];
    let claimed!: () => void;
    const firstClaimed = new Promise<void>((resolve) => (claimed = resolve));
    const holding = t.ctx.store.transaction(async (store) => {
      first = (await store.outbox.claim('one', now, 60_000, 10)).map((r) => r.id);
      claimed();
      await released;
    });
    await firstClaimed;
    const second = t.ctx.store.outbox.claim('two', now, 60_000, 100);
    const outcome = await Promise.race([second, new Promise((resolve) => setTimeout(resolve, 3000, 'waited'))]);
    release();
    await holding;
    expect(outcome).not.toBe('waited');
    const secondIds = (outcome as { id: number }[]).map((r) => r.id);
    expect(first).toHaveLength(10);
    expect(secondIds).toHaveLength(20);
    expect(secondIds.filter((id) => first.includes(id))).toEqual([]);
    await t.ctx.store.outbox.complete([...first, ...secondIds]);
  });

  it("merges its search entries into the index's tree after its work: searches do not read them from the pending list", async () => {
    await t.outbox.drain();
    await t.outbox.stop();
    /** Merges the published index's pending list now, and says how many of its pages held entries. */
    const pendingPages = async () =>
      Number((await sql<{ n: number }>`select gin_clean_pending_list('search_docs_terms'::regclass) as n`.execute(t.db.database.db)).rows[0]!.n);
    await pendingPages();
    const published = async (title: string) => {
      const a = await createArticle(t.app, auth, { title, body: `<p>本报讯 ${title}，今日起试运行。</p>` });
      await publish(t.app, auth, a.id);
      return a.id;
    };
    // The work done alone (no runner): the entry waits in the list every search reads whole.
    await published('临江码头新建候船厅');
    await runOutbox(t.ctx, { owner: 'alone', leaseMs: 60_000, batch: 16 });
    expect(await pendingPages()).toBeGreaterThan(0);
    // A runner settles the index after its work: nothing is left in the list.
    const runner = new OutboxRunner(t.ctx, quiet, { settleMs: 60_000 }).start();
    t.outbox = runner;
    const first = await published('北湖公园新增观鸟步道');
    await runner.drain();
    expect(await pendingPages()).toBe(0);
    // A second write within the interval waits for it and is merged then (drain does not wait: it settles at once).
    const second = await published('西山隧道贯通');
    const ids = async (q: string) =>
      json<{ items: { id: number }[] }>(await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q)}` })).items.map((i) => i.id);
    await waitFor(async () => (await ids('西山隧道')).includes(second) || undefined, { timeout: 2000 });
    expect(await pendingPages()).toBeGreaterThan(0);
    await published('南门老街修缮完工');
    await runner.drain();
    expect(await pendingPages()).toBe(0);
    expect(await ids('观鸟步道')).toContain(first);
  });

  it('commits a publish while related reading is busy elsewhere, and catches up after', async () => {
    // One runner: the drain below waits for its own passes, not for work another runner holds.
    await t.outbox.stop();
    t.outbox = new OutboxRunner(t.ctx, quiet).start();
    const a = await createArticle(t.app, auth, { title: '滨海新区光伏电站并网发电', body: '<p>本报讯 滨海新区光伏电站今日并网发电，装机容量五十万千瓦。</p>' });
    await publish(t.app, auth, a.id);
    const b = await createArticle(t.app, auth, {
      title: '滨海新区又一光伏电站并网',
      body: '<p>本报讯 滨海新区第二座光伏电站并网发电，装机容量三十万千瓦。</p>',
    });
    await t.outbox.drain();
    // Another connection holds the lock every related-list update takes, as a long analysis would.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.ctx.store.transaction(async (store) => {
      await store.related.lockForRefresh();
      locked();
      await released;
    });
    await isLocked;
    const started = Date.now();
    const res = await Promise.race([
      t.app.inject({ method: 'POST', url: `/api/v1/articles/${b.id}/publish`, headers: { authorization: auth } }),
      new Promise((resolve) => setTimeout(resolve, 3000, 'waited')),
    ]);
    const took = Date.now() - started;
    release();
    await holder;
    expect(res).not.toBe('waited');
    expect(took).toBeLessThan(3000);
    await t.outbox.drain();
    const related = await t.app.inject({ url: `/api/v1/articles/${b.id}/related` });
    expect(json<{ items: { id: number }[] }>(related).items.map((i) => i.id)).toContain(a.id);
  });
});
