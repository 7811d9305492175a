import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { countsFromRows, voteRows } from '../support/reactions.ts';
import { newsroom, publishArticle, runCli, serve, type Served, processEnv } from '../support/server.ts';
import { STORES, openTestDatabase, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

const MOODS = ['happy', 'sad', 'like', 'pass'];

interface Reader {
  cookie?: string;
  /** The mood of the last vote the server acknowledged with a 2xx. */
  acked: string | null;
  /** A vote sent and not answered when the server died: it may or may not have landed. */
  pending: string | null;
}

describe.each(STORES)('kill -9 during a vote storm on %s', (kind) => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let server: Served | undefined;

  beforeAll(async () => {
    db = await openTestDatabase(kind, { migrated: false });
    await db.database.close();
    env = processEnv(db, {
      INKSTONE_SECRET: 'crash-test-secret-0123456789',
      // The storm comes through "our proxy" on loopback, one forwarded address per reader.
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'fatal',
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await db.cleanup();
  });

  it('keeps every acknowledged vote, counts equal rows, and the database is intact after restart', async () => {
    const { token } = await newsroom(env);
    server = await serve(env);
    const articleId = await publishArticle(server.base, token);
    const base = server.base;

    const readers: Reader[] = [];
    let acks = 0;
    let dead = false;
    const send = async (r: Reader, n: number, mood: string) => {
      r.pending = mood;
      const res = await fetch(`${base}/api/v1/articles/${articleId}/reactions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `10.${(n >> 8) & 255}.${n & 255}.1`,
          ...(r.cookie ? { cookie: `inkstone_reader=${r.cookie}` } : {}),
        },
        body: JSON.stringify({ mood }),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      r.cookie ??= /inkstone_reader=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
      r.acked = mood;
      r.pending = null;
      acks++;
    };
    // Each worker brings new readers who vote, change and sometimes repeat, until the server dies under them.
    const worker = async () => {
      while (!dead) {
        const n = readers.length;
        const r: Reader = { acked: null, pending: null };
        readers.push(r);
        try {
          await send(r, n, MOODS[n % 4]!);
          await send(r, n, MOODS[(n + 1) % 4]!);
          if (n % 3 === 0) await send(r, n, MOODS[(n + 1) % 4]!);
        } catch (err) {
          if (!dead) throw err;
        }
      }
    };
    const storm = Promise.all(Array.from({ length: 32 }, worker));
    await waitFor(() => acks >= 400, { timeout: 60_000, interval: 20, message: '400 acknowledged votes' });
    dead = true;
    await server.kill9();
    await storm;
    server = undefined;
    const inFlight = readers.filter((r) => r.pending !== null).length;
    expect(acks).toBeGreaterThanOrEqual(400);

    if (kind === 'sqlite') {
      const file = new SQLite(path.join(db.dataDir, 'inkstone.db'));
      expect(file.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(file.pragma('foreign_key_check')).toEqual([]);
      file.close();
    }

    server = await serve(env);
    const database: Database = openDatabase({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    try {
      const rows = new Map((await voteRows(database.db, articleId)).map((r) => [r.reader_id, r.mood]));
      let checked = 0;
      for (const r of readers) {
        if (r.acked === null) continue;
        const id = r.cookie!.split('.')[0]!;
        // What was acknowledged is there; a later vote that was still in flight may have landed on top of it.
        expect([r.acked, r.pending]).toContain(rows.get(id));
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
      expect(rows.size).toBeGreaterThanOrEqual(checked);
      expect(rows.size).toBeLessThanOrEqual(checked + inFlight);

      const shown = (await fetch(`${server.base}/api/v1/articles/${articleId}/reactions`).then((r) => r.json())) as { counts: Record<string, number> };
      expect(shown.counts).toEqual(await countsFromRows(database.db, articleId));
      const check = runCli(env, 'reactions', 'check', '--dry-run');
      expect(check.stdout).toMatch(/every count equals its votes/);
      expect(check.status).toBe(0);
    } finally {
      await database.close();
    }
  }, 120_000);
});
