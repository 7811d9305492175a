import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../support/redis.ts';
import { newsroom, processEnv, publishArticle, serve, type Served } from '../support/server.ts';
import { dataOf, openSse, type SseStream } from '../support/sse.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * 图文直播 across app machines: a reader's event stream is held by one process, the entry is posted through another;
 * the change reaches the stream through PostgreSQL's LISTEN/NOTIFY (or Redis pub/sub with REDIS_URL) at once, and a
 * reader whose process goes away resumes on the other one from its Last-Event-ID without gaps or duplicates.
 */
describe.skipIf(!runsOn('postgres')).each(['PostgreSQL NOTIFY', 'Redis'])('live streams across two app processes, through %s', (through) => {
  let db: TestDatabase;
  let redis: TestRedis | undefined;
  let a: Served;
  let b: Served;
  let token: string;
  const folders: string[] = [];
  const streams: SseStream[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrated: false });
    await db.database.close();
    if (through === 'Redis') redis = await startRedis();
    const shared = { INKSTONE_SECRET: 'live-two-process-secret-0123456789', LOG_LEVEL: 'fatal', ...(redis ? { REDIS_URL: redis.url } : {}) };
    const own = () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-live-'));
      folders.push(dir);
      return processEnv({ dataDir: dir, databaseUrl: db.databaseUrl }, shared);
    };
    const envA = own();
    ({ token } = await newsroom(envA));
    [a, b] = await Promise.all([serve(envA), serve(own())]);
  }, 120_000);

  afterAll(async () => {
    for (const s of streams) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await db?.cleanup();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  const api = async (base: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const sse = async (base: string, id: number, headers: Record<string, string> = {}) => {
    const s = await openSse(`${base}/a/${id}/live/events`, headers);
    streams.push(s);
    expect(s.status).toBe(200);
    return s;
  };

  it('an entry posted on one process reaches a stream held by the other within moments, and a reader moving over resumes', async () => {
    const id = await publishArticle(a.base, token, '两台机器上的图文直播');
    await api(a.base, 'PUT', `/articles/${id}/live`, { status: 'live' });
    const onB = await sse(b.base, id);
    // The opening (status) arrives first.
    await onB.waitFor(1);

    const first = await api(a.base, 'POST', `/articles/${id}/live/entries`, { body: '第一条：发布会开始。' });
    // Measured from the moment A answered (the entry committed) to its arrival on B.
    const committed = Date.now();
    await waitFor(() => onB.events.some((e) => e.event === 'entry' && dataOf(e).entry.id === first.id), {
      timeout: 2_000,
      interval: 5,
      message: 'the entry on B',
    });
    const latency = Date.now() - committed;
    expect(latency).toBeLessThan(2_000);

    // The reader's process goes away after the first entry; entries keep coming on A meanwhile.
    const lastId = onB.lastId()!;
    onB.close();
    const second = await api(a.base, 'POST', `/articles/${id}/live/entries`, { body: '第二条：发言人通报情况。' });
    await api(a.base, 'PATCH', `/articles/${id}/live/entries/${first.id}`, { body: '第一条：发布会准时开始。' });
    const onA = await sse(a.base, id, { 'last-event-id': lastId });
    const caught = await onA.waitFor(2);
    expect(caught.map((e) => [dataOf(e).entry.id, dataOf(e).entry.body])).toEqual([
      [second.id, '第二条：发言人通报情况。'],
      [first.id, '第一条：发布会准时开始。'],
    ]);

    // Both ways: posted on B, deleted on B, heard on A.
    const third = await api(b.base, 'POST', `/articles/${id}/live/entries`, { body: '第三条：提问环节。' });
    await api(b.base, 'DELETE', `/articles/${id}/live/entries/${second.id}`);
    await onA.waitFor(4, 2_000);
    expect(onA.events.slice(2).map((e) => dataOf(e).entry)).toEqual([
      expect.objectContaining({ id: third.id, body: '第三条：提问环节。' }),
      { id: second.id, seq: expect.any(Number), deleted: true },
    ]);
    // The page on B lists what A posted, without the deleted entry.
    const page = await fetch(`${b.base}/a/${id}`).then((r) => r.text());
    expect(page).toContain('第三条：提问环节。');
    expect(page).not.toContain('第二条');
    await new Promise((r) => setTimeout(r, 300));
    expect(onA.events).toHaveLength(4);
    console.info(`live entry on the other process ${latency} ms after its commit (${through})`);
  });
});
