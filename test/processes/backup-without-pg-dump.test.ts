import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newsroom, processEnv, publishArticle, runCli, type Served, serve } from '../support/server.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * `inkstone backup` on PostgreSQL where pg_dump is not installed writes the export archive instead, and `restore`
 * reads it: that backup must bring the site back as a backup does — the newsroom can sign in with its passwords,
 * and reader cookies and address hashes stay valid (the data folder's secret) — and it is written into a folder
 * that does not exist yet, as every other backup is (the nightly cron line of docs/DEPLOY.md).
 */
describe.skipIf(!runsOn('postgres'))('backup and restore on PostgreSQL without pg_dump on the PATH', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let restored: Served | undefined;
  let scratch: string;

  beforeAll(async () => {
    source = await openTestDatabase('postgres', { migrated: false });
    await source.database.close();
    target = await openTestDatabase('postgres', { migrated: false });
    await target.database.close();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'inkstone-no-pg-dump-'));
    // A PATH with node alone: no pg_dump, no pg_restore.
    mkdirSync(path.join(scratch, 'bin'));
    symlinkSync(process.execPath, path.join(scratch, 'bin', 'node'));
  }, 60_000);
  afterAll(async () => {
    await restored?.stop();
    await source?.cleanup();
    await target?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('restores an account’s password, its API tokens and the secret, into a backup folder it makes', async () => {
    const bin = path.join(scratch, 'bin');
    const env = processEnv(source, { PATH: bin });
    const { token } = await newsroom(env);
    const site = await serve(env);
    let id: number;
    try {
      id = await publishArticle(site.base, token, '没有 pg_dump 的备份');
    } finally {
      await site.stop();
    }
    const secret = readFileSync(path.join(source.dataDir, 'secret'), 'utf8').trim();

    const folder = path.join(scratch, 'backups', 'nightly') + path.sep;
    const backup = runCli(env, 'backup', folder);
    expect(backup.status, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/pg_dump is not on the PATH/);
    const files = readdirSync(folder).filter((f) => /^inkstone-backup-\d{8}-\d{6}\.tar\.gz$/.test(f));
    expect(files).toHaveLength(1);

    const targetEnv = processEnv(target, { PATH: bin });
    const restore = runCli(targetEnv, 'restore', path.join(folder, files[0]!));
    expect(restore.status, restore.stderr).toBe(0);
    expect(readFileSync(path.join(target.dataDir, 'secret'), 'utf8').trim()).toBe(secret);

    restored = await serve(targetEnv);
    expect((await fetch(`${restored.base}/a/${id}`)).status).toBe(200);
    const login = await fetch(`${restored.base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: restored.base },
      body: JSON.stringify({ username: 'chief', password: 'chief-password-1' }),
    });
    expect(login.status, await login.clone().text()).toBe(200);
    expect(((await login.json()) as { user: { username: string } }).user.username).toBe('chief');
    // An integration's API token made before the backup still works: it can publish on the restored site.
    const after = await publishArticle(restored.base, token, '恢复之后用原来的令牌发稿');
    expect((await fetch(`${restored.base}/a/${after}`)).status).toBe(200);
  }, 180_000);

  it('refuses to restore a pg_dump backup without pg_restore on the PATH in one line, leaving the install empty', async () => {
    const bin = path.join(scratch, 'bin');
    const file = path.join(scratch, 'with-pg-dump.tar.gz');
    const backup = runCli(processEnv(source), 'backup', file);
    expect(backup.status, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/Backed up the database \(pg_dump/);
    const empty = await openTestDatabase('postgres', { migrated: false });
    await empty.database.close();
    try {
      const refused = runCli(processEnv(empty, { PATH: bin }), 'restore', file);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/^inkstone: .*pg_restore/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      // Nothing was restored: with the client installed, the same restore goes through.
      const restore = runCli(processEnv(empty), 'restore', file);
      expect(restore.status, restore.stderr).toBe(0);
      expect(restore.stdout).toMatch(/Restored the PostgreSQL backup/);
    } finally {
      await empty.cleanup();
    }
  }, 180_000);
});
