import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createContainer, type Container } from '../../src/container.ts';
import { createAccount, createApiToken } from '../../src/domain/accounts/service.ts';
import { openBroadcast, type Broadcast } from '../../src/storage/broadcast.ts';
import { migrate, openDatabase, type Database } from '../../src/storage/database.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../support/replica.ts';
import { runsOn } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

const METRICS_TOKEN = 'replica-metrics-token-0123456789';
const SITE = 'http://news.example.test';

interface Machine {
  app: App['app'];
  pageCache: App['pageCache'];
  outbox: App['outbox'];
  container: Container;
  database: Database;
  broadcast: Broadcast | undefined;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * DATABASE_READ_URL on a real streaming replica (test/support/replica.ts): reader pages, feeds, search and the public
 * JSON reads come from the replica, the newsroom never goes there, and a correction published while the replica has
 * not replayed it is never cached as the old page — whether the replica is paused, down or far behind, readers get
 * the primary's answer, and reads return to the replica once it has caught up. Counting is done on the replica
 * itself (pg_stat_statements), not by asking the app.
 */
// A standby restarted under a loaded CI machine took more than 15 s to replay and answer again: generous bounds.
describe.skipIf(!runsOn('postgres'))('a PostgreSQL read replica (DATABASE_READ_URL)', { timeout: 120_000 }, () => {
  let pgs: ReplicatedPostgres;
  let dbName: string;
  let urls: { primary: string; replica: string };
  let a: Machine;
  let editor: string;
  let articleId: number;
  const machines: Machine[] = [];

  const machine = async (env: Record<string, string> = {}): Promise<Machine> => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-replica-'));
    const config = loadConfig({
      INKSTONE_DATA_DIR: dataDir,
      INKSTONE_SECRET: 'replica-secret-0123456789abcdef',
      INKSTONE_DEMO: '0',
      DATABASE_URL: urls.primary,
      DATABASE_READ_URL: urls.replica,
      INKSTONE_SITE_URL: SITE,
      INKSTONE_METRICS_TOKEN: METRICS_TOKEN,
      ...env,
    });
    const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir, poolSize: 10 });
    const broadcast = openBroadcast(config, () => undefined);
    await broadcast?.ready();
    const container = createContainer({ config, database });
    const { app, pageCache, outbox } = await buildApp({ container, broadcast });
    await app.ready();
    const m: Machine = {
      app,
      pageCache,
      outbox,
      container,
      database,
      broadcast,
      dataDir,
      async close() {
        await app.close();
        await broadcast?.close();
        await database.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    machines.push(m);
    return m;
  };

  beforeAll(async () => {
    pgs = await startReplicatedPostgres();
    dbName = `inkstone_replica_${process.pid}`;
    urls = await pgs.createDatabase(dbName);
    const setup = openDatabase({ databaseUrl: urls.primary, dataDir: os.tmpdir(), poolSize: 1 });
    await migrate(setup);
    await setup.close();
    // A lag bound of 1 s (the default is 5) keeps the far-behind case short.
    a = await machine({ INKSTONE_REPLICA_MAX_LAG: '1' });
    const { ctx } = a.container;
    await createAccount(ctx, null, { username: 'admin', role: 'admin', password: 'correct horse battery' });
    await createAccount(ctx, null, { username: 'editor', role: 'editor', password: 'correct horse battery' });
    const admin = `Bearer ${(await createApiToken(ctx, null, { username: 'admin' })).token}`;
    editor = `Bearer ${(await createApiToken(ctx, null, { username: 'editor' })).token}`;
    await createChannels(a.app, admin);
    for (let i = 0; i < 3; i++) await publish(a.app, editor, (await createArticle(a.app, editor, { title: `江城第${i}座公园开放`, tags: ['公园'] })).id);
    articleId = (await createArticle(a.app, editor, { title: '江城地铁新线开通', tags: ['地铁'] })).id;
    await publish(a.app, editor, articleId);
    // Search and related reading follow each change from the outbox, after its commit.
    await a.outbox.drain();
    await pgs.caughtUp();
  }, 120_000);

  afterAll(async () => {
    for (const m of machines) await m.close();
    pgs?.stop();
  });

  const replicaCalls = () => pgs.replicaStatements(dbName);
  const get = (m: Machine, url: string, headers: Record<string, string> = {}) => m.app.inject({ url, headers });
  /** Statements the replica ran while `fn` ran. */
  const onReplica = async (fn: () => Promise<unknown>) => {
    const before = await replicaCalls();
    await fn();
    return (await replicaCalls()) - before;
  };
  /** An uncached render of a reader page (the page cache emptied without any change, so nothing is marked written). */
  const render = async (m: Machine, url: string) => {
    m.pageCache.purge(undefined, { propagate: false });
    const res = await get(m, url);
    expect(res.statusCode, url).toBe(200);
    return res;
  };
  const metric = async (m: Machine, line: RegExp) => {
    const text = (await get(m, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` })).body;
    return Number(line.exec(text)?.[1] ?? Number.NaN);
  };
  const editTitle = async (title: string) => {
    const res = await a.app.inject({ method: 'PATCH', url: `/api/v1/articles/${articleId}`, headers: { authorization: editor }, payload: { title } });
    expect(res.statusCode).toBe(200);
  };
  const servesFromReplica = (m: Machine) =>
    waitFor(async () => (await onReplica(() => render(m, '/api/v1/feed'))) > 0, { timeout: 45_000, interval: 100, message: 'reads back on the replica' });

  it('reads reader pages, feeds, search and public JSON from the replica', async () => {
    // A new process first learns the primary's position and the replica's replay; from then on the replica answers.
    await servesFromReplica(a);
    const urls = [
      '/',
      `/a/${articleId}`,
      '/c/difang',
      '/t/no-such-topic',
      `/search?q=${encodeURIComponent('地铁')}`,
      `/zh-hant/a/${articleId}`,
      '/feed.xml',
      '/sitemap-news.xml',
      `/api/v1/search?q=${encodeURIComponent('公园')}`,
      `/api/v1/articles/${articleId}/related`,
      '/api/v1/channels',
      '/api/v1/rankings/views',
    ];
    for (const url of urls) {
      let status = 0;
      const ran = await onReplica(async () => {
        a.pageCache.purge(undefined, { propagate: false });
        status = (await get(a, url)).statusCode;
      });
      expect([200, 404], url).toContain(status);
      expect(ran, `${url} read on the replica`).toBeGreaterThan(0);
    }
    const page = await render(a, `/a/${articleId}`);
    expect(page.body).toContain('江城地铁新线开通');
    expect(await metric(a, /^inkstone_reader_reads_total\{server="replica"\} (\d+)/m)).toBeGreaterThan(urls.length);
    expect(await metric(a, /^inkstone_replica_up (\d+)/m)).toBe(1);
    // Nothing on the reader side writes: a write would fail on the read-only replica and be retried on the primary.
    expect(await metric(a, /^inkstone_replica_fallbacks_total\{reason="error"\} (\d+)/m)).toBe(0);
  });

  it('keeps the newsroom, every write, sessions and votes on the primary', async () => {
    await servesFromReplica(a);
    const ran = await onReplica(async () => {
      const draft = await createArticle(a.app, editor, { title: '编辑部草稿' });
      for (const url of ['/api/v1/articles', `/api/v1/articles/${draft.id}`, '/api/v1/channels', '/api/v1/topics', `/api/v1/articles/${articleId}/related`]) {
        expect((await get(a, url, { authorization: editor })).statusCode, url).toBe(200);
      }
      // A signed-in person browsing the site reads the primary too (it must show their own change at once).
      expect((await get(a, `/a/${articleId}`, { authorization: editor })).statusCode).toBe(200);
      expect((await get(a, `/api/v1/articles?q=${encodeURIComponent('草稿')}`, { authorization: editor })).statusCode).toBe(200);
      const vote = await a.app.inject({
        method: 'POST',
        url: `/api/v1/articles/${articleId}/reactions`,
        headers: { origin: SITE },
        payload: { mood: 'happy' },
      });
      expect(vote.statusCode).toBe(200);
      const cookie = String(vote.headers['set-cookie']).split(';')[0]!;
      const mine = await get(a, `/api/v1/articles/${articleId}/reactions`, { cookie });
      // The count just cast, exactly: read from the primary.
      expect(mine.json()).toMatchObject({ mine: 'happy', counts: { happy: 1 } });
      const session = await a.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { origin: SITE },
        payload: { username: 'editor', password: 'correct horse battery' },
      });
      expect(session.statusCode).toBe(200);
      await publish(a.app, editor, draft.id);
    });
    expect(ran).toBe(0);
  });

  it('serves a correction published while the replica has not replayed it from the primary, then returns to the replica', async () => {
    // The outbox's work after earlier changes (related reading) purges pages too: let it finish first.
    await a.outbox.drain();
    await servesFromReplica(a);
    const pages = [`/a/${articleId}`, '/', '/c/difang'];
    for (const url of pages) {
      await get(a, url);
      expect((await get(a, url)).headers['x-cache'], url).toBe('hit');
    }
    await pgs.pauseReplay();
    try {
      const behindBefore = await metric(a, /^inkstone_replica_fallbacks_total\{reason="behind"\} (\d+)/m);
      const ran = await onReplica(async () => {
        await editTitle('江城地铁新线开通（更正：全长32.6公里）');
        await a.outbox.drain();
        for (const url of pages) {
          const first = await get(a, url);
          expect(first.headers['x-cache'], url).toBe('miss');
          expect(first.body, url).toContain('更正：全长32.6公里');
          // What was cached is the corrected page.
          const again = await get(a, url);
          expect(again.headers['x-cache'], url).toBe('hit');
          expect(again.body, url).toContain('更正：全长32.6公里');
        }
        // Uncached reads a while later still go to the primary: the replica has still not replayed the correction.
        await new Promise((r) => setTimeout(r, 100));
        expect((await render(a, `/a/${articleId}`)).body).toContain('更正：全长32.6公里');
        // Search follows the correction once the outbox has indexed it (milliseconds after the commit).
        await waitFor(
          async () =>
            ((await get(a, `/api/v1/search?q=${encodeURIComponent('更正')}`)).json() as { items: { id: number }[] }).items.some((i) => i.id === articleId) ||
            undefined,
          { timeout: 5_000, message: 'search finds the correction' },
        );
      });
      expect(ran, 'nothing read on the paused replica').toBe(0);
      expect(await metric(a, /^inkstone_replica_fallbacks_total\{reason="behind"\} (\d+)/m)).toBeGreaterThan(behindBefore);
    } finally {
      await pgs.resumeReplay();
    }
    await servesFromReplica(a);
    const page = await render(a, `/a/${articleId}`);
    expect(page.body).toContain('更正：全长32.6公里');
  });

  it('tells another app process’s renders to wait for the replica too (the purge it hears)', async () => {
    const b = await machine();
    await a.outbox.drain();
    await servesFromReplica(b);
    const url = `/a/${articleId}`;
    await get(b, url);
    expect((await get(b, url)).headers['x-cache']).toBe('hit');
    await pgs.pauseReplay();
    try {
      await editTitle('江城地铁新线开通（二次更正）');
      // B hears A's purge through PostgreSQL NOTIFY; its next render reads the primary, as the replica is paused.
      const page = await waitFor(
        async () => {
          const res = await get(b, url);
          return res.headers['x-cache'] === 'miss' ? res : undefined;
        },
        { timeout: 5_000, interval: 50, message: 'B purged' },
      );
      expect(page.body).toContain('二次更正');
      expect((await get(b, url)).body).toContain('二次更正');
      expect((await render(b, '/')).body).toContain('二次更正');
    } finally {
      await pgs.resumeReplay();
    }
    await servesFromReplica(b);
  });

  it('forgets what pages are made of on the replica side too when another process’s purge arrives', async () => {
    const c = await machine();
    await servesFromReplica(c);
    const url = `/a/${articleId}`;
    await get(c, url);
    // The site's latest articles (a first page of at most 10), kept a while per process and per server for every page showing them.
    expect((await get(c, '/api/v1/feed?limit=5')).body).toContain('江城地铁新线开通');
    await editTitle('江城地铁新线开通（三次更正）');
    await waitFor(async () => (await get(c, url)).headers['x-cache'] === 'miss', { timeout: 5_000, interval: 50, message: 'C purged' });
    await pgs.caughtUp();
    // Once C reads the replica again, what it shows is the replica's new state, not what it kept from before.
    const stats = () => c.container.reads!.stats().replicaReads;
    const feed = await waitFor(
      async () => {
        const before = stats();
        const res = await get(c, '/api/v1/feed?limit=5');
        return stats() > before ? res : undefined;
      },
      { timeout: 10_000, interval: 20, message: 'C back on the replica' },
    );
    expect(feed.body).toContain('三次更正');
  });

  it('reads the primary while the replica is further behind than INKSTONE_REPLICA_MAX_LAG, even without a purge', async () => {
    await servesFromReplica(a);
    await pgs.pauseReplay();
    try {
      // A write no reader page shows (a draft) purges nothing; the lag bound alone must notice the paused replica.
      await createArticle(a.app, editor, { title: '又一篇草稿' });
      await waitFor(async () => (await onReplica(() => render(a, '/api/v1/feed'))) === 0, {
        timeout: 5_000,
        interval: 200,
        message: 'off the lagging replica',
      });
      expect(await onReplica(() => render(a, '/'))).toBe(0);
    } finally {
      await pgs.resumeReplay();
    }
    await servesFromReplica(a);
  });

  it('keeps answering from the primary while the replica is down, and goes back to it when it returns', async () => {
    await servesFromReplica(a);
    pgs.stopReplica();
    try {
      for (const url of ['/api/v1/feed', '/', `/a/${articleId}`, `/search?q=${encodeURIComponent('地铁')}`, '/c/difang', '/feed.json']) {
        const res = await render(a, url);
        expect(res.statusCode, url).toBe(200);
      }
      expect(await metric(a, /^inkstone_replica_up (\d+)/m)).toBe(0);
      const failed =
        (await metric(a, /^inkstone_replica_fallbacks_total\{reason="error"\} (\d+)/m)) +
        (await metric(a, /^inkstone_replica_fallbacks_total\{reason="down"\} (\d+)/m));
      expect(failed).toBeGreaterThan(0);
    } finally {
      pgs.startReplica();
    }
    await servesFromReplica(a);
    expect(await metric(a, /^inkstone_replica_up (\d+)/m)).toBe(1);
  });
});
