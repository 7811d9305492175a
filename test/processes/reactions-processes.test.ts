import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.ts';
import { countsFromRows, voteRows } from '../support/reactions.ts';
import { startRedis, type TestRedis } from '../support/redis.ts';
import { newsroom, processEnv, publishArticle, serve, type Served } from '../support/server.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

const MOODS = ['happy', 'sad', 'like', 'pass'];

/** Scale-out as operators run it: two app processes on one PostgreSQL, sharing Redis for the caps. */
describe.skipIf(!runsOn('postgres'))('two app processes on postgres with Redis', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let servers: Served[] = [];
  let token: string;

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrated: false });
    await db.database.close();
    redis = await startRedis();
    const env = processEnv(db, {
      REDIS_URL: redis.url,
      // Both processes must sign reader cookies alike, as behind one load balancer.
      INKSTONE_SECRET: 'two-process-secret-0123456789',
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'fatal',
    });
    ({ token } = await newsroom(env));
    servers = await Promise.all([serve(env), serve(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
    await db?.cleanup();
  });

  const post = async (base: string, articleId: number, mood: string, ip: string, cookie?: string) => {
    const res = await fetch(`${base}/api/v1/articles/${articleId}/reactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...(cookie ? { cookie: `inkstone_reader=${cookie}` } : {}) },
      body: JSON.stringify({ mood }),
    });
    const body = await res.text();
    return { status: res.status, body, cookie: /inkstone_reader=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] };
  };

  it('stay exact when both vote on the same article at once', async () => {
    const [a, b] = servers as [Served, Served];
    const articleId = await publishArticle(a.base, token);
    const expected: Record<string, number> = { happy: 0, sad: 0, like: 0, pass: 0 };
    const statuses: number[] = [];
    // A reader lands on one process and comes back through the other, as a load balancer may send them.
    const reader = async (i: number) => {
      const ip = `10.${(i >> 8) & 255}.${i & 255}.1`;
      const [first, second] = i % 2 ? [a, b] : [b, a];
      const mood = MOODS[i % 4]!;
      const res = await post(first.base, articleId, mood, ip);
      statuses.push(res.status);
      let final = mood;
      if (i < 200) {
        final = MOODS[(i + 2) % 4]!;
        statuses.push((await post(second.base, articleId, final, ip, res.cookie)).status);
      } else if (i < 300) {
        statuses.push((await post(second.base, articleId, mood, ip, res.cookie)).status);
      }
      expected[final]!++;
    };
    await Promise.all(Array.from({ length: 600 }, (_, i) => reader(i)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    for (const s of servers) {
      const shown = (await fetch(`${s.base}/api/v1/articles/${articleId}/reactions`).then((r) => r.json())) as { counts: Record<string, number> };
      expect(shown.counts).toEqual(expected);
    }
    const database = openDatabase({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    try {
      expect(await voteRows(database.db, articleId)).toHaveLength(600);
      expect(await countsFromRows(database.db, articleId)).toEqual(expected);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('share the per-address cap through Redis', async () => {
    const [a, b] = servers as [Served, Served];
    const articleId = await publishArticle(a.base, token, '江城图书馆延长开放时间');
    // Cookie-less votes from one address, spread over both processes: together they may count 20, not 2 × 20.
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => post((i % 2 ? a : b).base, articleId, 'like', '192.0.2.200')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(results.filter((r) => r.status === 429)).toHaveLength(40);
    const shown = (await fetch(`${b.base}/api/v1/articles/${articleId}/reactions`).then((r) => r.json())) as { counts: Record<string, number> };
    expect(shown.counts.like).toBe(20);
  });

  it('go on voting when Redis goes away, capping per process meanwhile', async () => {
    const [a] = servers as [Served];
    const articleId = await publishArticle(a.base, token, '江城夜间公交线路调整');
    await redis.stop();
    const started = Date.now();
    const res = await post(a.base, articleId, 'happy', '192.0.2.201');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    const results = [];
    for (let i = 0; i < 25; i++) results.push((await post(a.base, articleId, 'happy', '192.0.2.201')).status);
    expect(results.filter((s) => s === 200)).toHaveLength(19);
  }, 60_000);
});
