import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../support/replica.ts';
import { newsroom, processEnv, publishArticle, runCli, serve, type Served } from '../support/server.ts';
import { runsOn } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * `inkstone serve` as operators run it with DATABASE_READ_URL (the composition root in server.ts, not a test's
 * wiring): a real streaming standby answers the reader pages, and a correction made while its replay is paused is
 * what readers get. Without PostgreSQL the setting is refused at start with a message naming it.
 */
describe('inkstone serve with a read replica', () => {
  const folders: string[] = [];
  // What the PostgreSQL tests started, stopped newest first (one afterAll for the file).
  const started: (() => unknown)[] = [];
  afterAll(async () => {
    for (const stop of started.reverse()) await stop();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });
  const folder = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-replica-serve-'));
    folders.push(dir);
    return dir;
  };

  it('refuses DATABASE_READ_URL on SQLite at start, saying why', () => {
    const r = runCli(processEnv({ dataDir: folder(), databaseUrl: undefined }, { DATABASE_READ_URL: 'postgres://inkstone@db-replica/inkstone' }), 'serve');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('DATABASE_READ_URL is set but DATABASE_URL is not');
    expect(r.stderr).toContain('SQLite');
  });

  describe.skipIf(!runsOn('postgres'))('on PostgreSQL with a streaming standby', () => {
    let pgs: ReplicatedPostgres;
    let served: Served;
    let token: string;
    const db = 'inkstone_serve_replica';

    beforeAll(async () => {
      pgs = await startReplicatedPostgres();
      started.push(() => pgs.stop());
      const urls = await pgs.createDatabase(db);
      const env = processEnv(
        { dataDir: folder(), databaseUrl: urls.primary },
        { DATABASE_READ_URL: urls.replica, INKSTONE_SECRET: 'replica-serve-secret-0123456789' },
      );
      ({ token } = await newsroom(env));
      served = await serve(env);
      started.push(() => served.stop());
    }, 120_000);
    const page = async (url: string) => {
      const res = await fetch(served.base + url);
      return { status: res.status, cache: res.headers.get('x-cache'), body: await res.text() };
    };

    it('serves reader pages from the standby, and a correction made while it is paused from the primary', async () => {
      const id = await publishArticle(served.base, token, '江城地铁新线开通');
      // Each uncached search renders anew (never page-cached): it reads on the standby once the standby has the publish.
      let n = 0;
      await waitFor(
        async () => {
          const before = await pgs.replicaStatements(db);
          expect((await page(`/search?q=${encodeURIComponent(`地铁 ${n++}`)}`)).status).toBe(200);
          return (await pgs.replicaStatements(db)) > before;
        },
        { timeout: 15_000, interval: 100, message: 'reads on the standby' },
      );
      expect((await page(`/a/${id}`)).body).toContain('江城地铁新线开通');
      // Related reading follows the publish from the outbox and purges the page once more: wait until it stays cached.
      await waitFor(async () => (await page(`/a/${id}`)).cache === 'hit', { timeout: 10_000, interval: 100, message: 'page cached' });
      await pgs.pauseReplay();
      try {
        const before = await pgs.replicaStatements(db);
        const res = await fetch(`${served.base}/api/v1/articles/${id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title: '江城地铁新线开通（更正）' }),
        });
        expect(res.status).toBe(200);
        const first = await page(`/a/${id}`);
        expect(first.cache).toBe('miss');
        expect(first.body).toContain('（更正）');
        // Cached as corrected (the outbox's related-reading pass after the edit may purge it once more meanwhile).
        const cached = await waitFor(
          async () => {
            const again = await page(`/a/${id}`);
            expect(again.body).toContain('（更正）');
            return again.cache === 'hit' ? again : undefined;
          },
          { timeout: 10_000, interval: 100, message: 'corrected page cached' },
        );
        expect(cached.body).toContain('（更正）');
        expect(await pgs.replicaStatements(db)).toBe(before);
      } finally {
        await pgs.resumeReplay();
      }
    });
  });
});
