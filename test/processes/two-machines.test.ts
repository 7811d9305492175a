import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../support/redis.ts';
import { newsroom, processEnv, publishArticle, serve, type Served } from '../support/server.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Two app machines behind a load balancer, as operators run them: each process has its own data folder (nothing
 * shared on disk), both use one PostgreSQL; purges travel through PostgreSQL's LISTEN/NOTIFY, or through Redis
 * when REDIS_URL is set. A change made on one machine shows on the other's cached pages within 2 s, not after
 * the page cache's 60 s.
 */
describe.skipIf(!runsOn('postgres')).each(['PostgreSQL NOTIFY', 'Redis'])('two machines on one PostgreSQL, purging through %s', (through) => {
  let db: TestDatabase;
  let redis: TestRedis | undefined;
  let a: Served;
  let b: Served;
  let token: string;
  const folders: string[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrated: false });
    await db.database.close();
    if (through === 'Redis') redis = await startRedis();
    const shared = {
      // Machines of one site share the secret (sessions and reader cookies must verify on both), never a folder.
      INKSTONE_SECRET: 'two-machine-secret-0123456789',
      LOG_LEVEL: 'fatal',
      ...(redis ? { REDIS_URL: redis.url } : {}),
    };
    const own = () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-machine-'));
      folders.push(dir);
      return processEnv({ dataDir: dir, databaseUrl: db.databaseUrl }, shared);
    };
    const envA = own();
    ({ token } = await newsroom(envA));
    [a, b] = await Promise.all([serve(envA), serve(own())]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await db?.cleanup();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  const page = async (base: string, url: string) => {
    const res = await fetch(base + url);
    return { cache: res.headers.get('x-cache'), status: res.status, body: await res.text() };
  };

  it('an edit or a publish on one machine purges the other machine’s cached pages within 2 s', async () => {
    const id = await publishArticle(a.base, token, '两台机器上的稿件');
    // Cached on the second machine (the publish's own purge may still be on its way: ask until it holds).
    for (const url of [`/a/${id}`, '/']) {
      await waitFor(async () => (await page(b.base, url)).cache === 'hit', { timeout: 5_000, interval: 100, message: `${url} cached` });
    }
    const res = await fetch(`${a.base}/api/v1/articles/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: '在另一台机器上更正的标题' }),
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await page(b.base, `/a/${id}`)).body.includes('在另一台机器上更正的标题'), {
      timeout: 2_000,
      interval: 50,
      message: 'the correction on the other machine',
    });
    const next = await publishArticle(a.base, token, '随后发布的第二篇');
    await waitFor(async () => (await page(b.base, '/')).body.includes(`/a/${next}"`), {
      timeout: 2_000,
      interval: 50,
      message: 'the new article on the other machine’s home page',
    });
    // And the other way round.
    await page(a.base, `/a/${next}`);
    const back = await fetch(`${b.base}/api/v1/articles/${next}/unpublish`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(back.status).toBe(200);
    await waitFor(async () => (await page(a.base, `/a/${next}`)).status === 410, {
      timeout: 2_000,
      interval: 50,
      message: 'the retraction on the first machine',
    });
  });
});
