import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, runCli, serve, type Served, processEnv } from '../support/server.ts';
import { STORES, openTestDatabase, type TestDatabase } from '../support/stores.ts';
import { jsonLines, readTarGz } from '../../src/transfer/tar.ts';

/** The whole path an outside tool takes: the CLI makes a token, the served site takes it over real HTTP. */
describe.each(STORES)('CLI and HTTP on %s', (kind) => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let server: Served;
  let base: string;
  let token: string;

  const run = (...args: string[]) => cliOk(env, ...args);

  beforeAll(async () => {
    db = await openTestDatabase(kind, { migrated: false });
    await db.database.close();
    env = processEnv(db, { INKSTONE_ADMIN_PASSWORD: 'admin-password-1' });
    expect(run('migrate')).toMatch(/^Applied: 2026-11-29T0000-initial/);
    expect(run('migrate')).toMatch(/up to date/);
    run('user', 'add', 'chief', '--role', 'admin', '--password', 'chief-password-1');
    const out = run('token', 'create', '--user', 'chief').trim().split('\n');
    token = out[out.length - 1]!.split(/\s+/).pop()!;
    expect(token).toMatch(/^ink_/);
    server = await serve(env);
    base = server.base;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db.cleanup();
  });

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };

  it('creates difang/yaowen, publishes an article in it and walks the feed by cursor', async () => {
    expect((await call('POST', '/api/v1/channels', { slug: 'difang', name: '地方频道' })).status).toBe(201);
    expect((await call('POST', '/api/v1/channels', { slug: 'yaowen', name: '要闻', parent: 'difang' })).status).toBe(201);
    const ids: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const created = await call('POST', '/api/v1/articles', {
        title: `江城要闻第${i}条`,
        channel: 'difang/yaowen',
        body: `<p>第${i}条正文。</p>`,
        tags: ['江城'],
      });
      expect(created.status).toBe(201);
      expect((await call('POST', `/api/v1/articles/${created.body.id}/publish`)).status).toBe(200);
      ids.push(created.body.id);
    }
    const read = await call('GET', `/api/v1/articles/${ids[0]}`);
    expect(read.body).toMatchObject({ title: '江城要闻第1条', channel: 'difang/yaowen', status: 'published' });
    const page = await fetch(`${base}/a/${ids[0]}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('江城要闻第1条');

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/v1/feed?channel=difang/yaowen&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await fetch(base + q).then((r) => r.json());
      seen.push(...res.items.map((i: { id: number }) => i.id));
      cursor = res.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('backs up and exports the database', async () => {
    const backup = path.join(db.dataDir, 'backup.tar.gz');
    expect(run('backup', backup)).toMatch(kind === 'sqlite' ? /Backed up the database \(sqlite/ : /Backed up the database \(pg_dump/);
    expect(existsSync(backup)).toBe(true);
    const file = path.join(db.dataDir, 'export.tar.gz');
    expect(run('export', file)).toMatch(/Exported .*7 articles/);
    const names: string[] = [];
    const records: string[] = [];
    for await (const entry of readTarGz(file)) {
      names.push(entry.name);
      if (entry.name.startsWith('records/')) for await (const line of jsonLines(entry.stream, 1 << 26)) records.push(line);
    }
    expect(names[0]).toBe('inkstone-archive.json');
    expect(names.at(-1)).toBe('end.json');
    expect(records.some((l) => l.includes('"path":"difang/yaowen"'))).toBe(true);
    expect(records.some((l) => l.includes('password_hash') || l.includes('token_hash'))).toBe(false);
    // The archive moves the newsroom to a fresh SQLite install through the CLI (from PostgreSQL too); a file that is
    // not an archive is refused with exit code 2; a second import into the now non-empty install is refused.
    const moved = mkdtempSync(path.join(os.tmpdir(), 'inkstone-moved-'));
    try {
      const to = processEnv({ dataDir: moved, databaseUrl: undefined });
      expect(cliOk(to, 'import', file)).toMatch(/Imported .*7 articles/);
      const again = runCli(to, 'import', file);
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/not empty/);
      const notArchive = path.join(moved, 'feed.xml');
      // Neither an archive nor a feed or WordPress export: refused with the reason, nothing written.
      writeFileSync(notArchive, '这不是导出文件');
      const refused = runCli(to, 'import', notArchive);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/inkstone: /);
    } finally {
      rmSync(moved, { recursive: true, force: true });
    }
  }, 180_000);
});
