import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newsroom, processEnv, serve, type Served } from '../support/server.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Scheduled publishing as operators run it: two app processes on one PostgreSQL both run the scheduler; a due
 * article is published once, by one of them, and a process started after the due time still publishes it.
 */
describe.skipIf(!runsOn('postgres'))('scheduled publishing across two processes and a restart on postgres', () => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let servers: Served[] = [];
  let token: string;

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrated: false });
    await db.database.close();
    env = processEnv(db, { LOG_LEVEL: 'fatal' });
    ({ token } = await newsroom(env));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.cleanup();
  });

  const call = async (base: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };

  it('publishes each due article exactly once, also when no process was running at its time', async () => {
    // While nothing runs: an article falls due (scheduled 2 s ahead, then the clock passes it).
    const first = await serve(env);
    await call(first.base, 'POST', '/api/v1/channels', { slug: 'difang', name: '地方频道' });
    const ids: number[] = [];
    let firstDue = 0;
    for (const title of ['停机期间到期的稿件', '双进程期间到期的稿件']) {
      const { id } = await call(first.base, 'POST', '/api/v1/articles', { title, channel: 'difang', body: '<p>正文</p>' });
      const due = Date.now() + (ids.length === 0 ? 2_000 : 6_000);
      firstDue ||= due;
      const at = new Date(due).toISOString();
      expect((await call(first.base, 'POST', `/api/v1/articles/${id}/schedule`, { at })).status).toBe('scheduled');
      ids.push(id);
    }
    await first.stop();
    await waitFor(() => Date.now() > firstDue + 100, { message: 'the first article to fall due' });
    // Two processes start after the first article's time; the second falls due while both run.
    servers = await Promise.all([serve(env), serve(env)]);
    const status = async (id: number) => (await call(servers[0]!.base, 'GET', `/api/v1/articles/${id}`)).status;
    // The scheduler ticks every 15 s in each process: the second article waits for a tick after its time.
    const both = async () => (await status(ids[0]!)) === 'published' && (await status(ids[1]!)) === 'published';
    await waitFor(both, { timeout: 50_000, interval: 100, message: 'both scheduled articles to be published' });
    for (const id of ids) {
      expect(await status(id)).toBe('published');
      const revisions = (await call(servers[1]!.base, 'GET', `/api/v1/articles/${id}/revisions`)).items as { action: string }[];
      expect(revisions.filter((r) => r.action === 'publish')).toHaveLength(1);
      expect((await fetch(`${servers[1]!.base}/a/${id}`)).status).toBe(200);
    }
  }, 90_000);
});
