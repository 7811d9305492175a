import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newsroom, processEnv, publishArticle, runCli, type Served, serve } from '../support/server.ts';
import { openTestDatabase, STORES, type TestDatabase } from '../support/stores.ts';

/**
 * A backup taken while the site is written to, then the machine dies (kill -9 mid-write): `inkstone restore` of that
 * backup into an empty data folder brings the site back with every article and media file the backup had, and
 * nothing written after it.
 */
const root = path.resolve(import.meta.dirname, '../..');

/** `inkstone ARGS` as a child process that the test can keep writing beside. */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: { NODE_ENV: 'test', INKSTONE_ARGON2_COST: process.env.INKSTONE_ARGON2_COST, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.each(STORES)('backup, kill -9, restore on %s', (kind) => {
  let source: TestDatabase;
  // SQLite: an empty data folder (no database file yet); PostgreSQL: an empty database beside an empty folder.
  let target: { dataDir: string; databaseUrl: string | undefined; cleanup(): Promise<void> };
  let site: Served | undefined;
  let restored: Served | undefined;
  let backups: string;

  beforeAll(async () => {
    source = await openTestDatabase(kind);
    if (kind === 'postgres') {
      target = await openTestDatabase(kind, { migrated: false });
    } else {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-restored-'));
      target = { dataDir, databaseUrl: undefined, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    }
    backups = mkdtempSync(path.join(os.tmpdir(), 'inkstone-backups-'));
  });
  afterAll(async () => {
    await site?.kill9();
    await restored?.stop();
    await source.cleanup();
    await target.cleanup();
    rmSync(backups, { recursive: true, force: true });
  });

  it('serves every article and image of the backup after a restore into an empty data folder', async () => {
    const env = processEnv(source);
    const { token } = await newsroom(env);
    site = await serve(env);
    const base = site.base;
    const auth = { authorization: `Bearer ${token}` };

    const png = await sharp({ create: { width: 500, height: 300, channels: 3, background: { r: 30, g: 120, b: 60 } } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), '江边.png');
    const up = await fetch(`${base}/api/v1/media`, { method: 'POST', headers: auth, body: form });
    expect(up.status).toBe(201);
    const image = ((await up.json()) as { url: string }).url;
    const imageBytes = Buffer.from(await (await fetch(base + image)).arrayBuffer());

    const before: number[] = [];
    for (let i = 0; i < 8; i++) before.push(await publishArticle(base, token, `备份之前的稿件${i}`));
    const withImage = await fetch(`${base}/api/v1/articles`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: '带图的备份稿件',
        channel: 'difang',
        cover: image,
        body: `<p>图片稿件。</p><figure><img src="${image}" alt="江边"></figure>`,
      }),
    }).then((r) => r.json() as Promise<{ id: number }>);
    expect((await fetch(`${base}/api/v1/articles/${withImage.id}/publish`, { method: 'POST', headers: auth })).status).toBe(200);
    before.push(withImage.id);

    // The backup runs while articles keep coming; those may or may not be in it, the ones before must.
    let writing = true;
    const during: number[] = [];
    const writer = (async () => {
      while (writing) during.push(await publishArticle(base, token, `备份期间的稿件${during.length}`));
    })();
    const backup = await cli(env, 'backup', backups);
    writing = false;
    await writer;
    expect(backup.status, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(kind === 'sqlite' ? /Backed up the database \(sqlite/ : /Backed up the database \(pg_dump/);
    expect(backup.stdout).toMatch(/ [1-9]\d* media files/);
    const files = readdirSync(backups).filter((f) => /^inkstone-backup-\d{8}-\d{6}\.tar\.gz$/.test(f));
    expect(files).toHaveLength(1);
    const file = path.join(backups, files[0]!);

    const after: number[] = [];
    for (let i = 0; i < 3; i++) after.push(await publishArticle(base, token, `备份之后的稿件${i}`));
    // Writes in flight when the machine dies.
    const inFlight = Array.from({ length: 6 }, (_, i) => publishArticle(base, token, `断电时的稿件${i}`).catch(() => 0));
    await new Promise((r) => setTimeout(r, 30));
    await site.kill9();
    site = undefined;
    await Promise.all(inFlight);

    const targetEnv = processEnv(target);
    // A mistyped name is refused before anything is opened: the restore after it still finds the install empty.
    const mistyped = await cli(targetEnv, 'restore', `${file}.missing`);
    expect(mistyped.status).toBe(2);
    expect(mistyped.stderr).toContain(`no such file): ${file}.missing`);
    const restore = await cli(targetEnv, 'restore', file);
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/Restored the (SQLite|PostgreSQL) backup/);
    // Restoring again over what is now there is refused, and changes nothing.
    const again = await cli(targetEnv, 'restore', file);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/not empty|exists|has tables/);

    restored = await serve(targetEnv);
    for (const id of before) {
      const page = await fetch(`${restored.base}/a/${id}`);
      expect(page.status, `article ${id}`).toBe(200);
    }
    expect(await (await fetch(`${restored.base}/a/${withImage.id}`)).text()).toContain('带图的备份稿件');
    const served = await fetch(restored.base + image);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(imageBytes)).toBe(true);
    for (const id of after) expect((await fetch(`${restored.base}/a/${id}`)).status, `article ${id} came after the backup`).toBe(404);
    // What was written during the backup is there or not as a whole: every id the restored site knows is served.
    const known: number[] = [];
    let cursor: string | null = null;
    do {
      const page = (await fetch(`${restored.base}/api/v1/feed?limit=50${cursor ? `&cursor=${cursor}` : ''}`).then((r) => r.json())) as {
        items: { id: number }[];
        nextCursor: string | null;
      };
      known.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(known).toEqual(expect.arrayContaining(before));
    for (const id of known) expect([...before, ...during]).toContain(id);
    // The site goes on: a new article gets an id of its own (sequences came back with the data), and an integration's
    // API token made before the backup still publishes.
    const login = runCli(targetEnv, 'token', 'create', '--user', 'chief');
    expect(login.status, login.stderr).toBe(0);
    const newToken = login.stdout.trim().split(/\s+/).pop()!;
    const fresh = await publishArticle(restored.base, newToken, '恢复之后的新稿件');
    expect(fresh).toBeGreaterThan(Math.max(...known));
    expect(await publishArticle(restored.base, token, '恢复之后用原来的令牌发稿')).toBeGreaterThan(fresh);
  }, 180_000);
});
