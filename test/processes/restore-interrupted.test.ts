import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function start(env: NodeJS.ProcessEnv, ...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { NODE_ENV: 'test', PATH: process.env.PATH, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

const files = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
    : [];

/**
 * A restore killed half-way (the machine rebooted, an operator's ^\) must leave the data folder such that the same
 * restore can simply be run again: its media files wait in the staging folder until the whole backup has been read.
 */
describe('a restore killed half-way, run again', () => {
  let dir: string;
  let backup: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-restore-kill-'));
    const source = path.join(dir, 'source');
    const env = { INKSTONE_DATA_DIR: source, INKSTONE_DEMO: '0' };
    expect((await start(env, 'migrate').done).status).toBe(0);
    // Incompressible files, so reading them back takes long enough to be interrupted in the middle.
    mkdirSync(path.join(source, 'media', 'demo'), { recursive: true });
    for (let i = 0; i < 6; i++) writeFileSync(path.join(source, 'media', 'demo', `big${i}.jpg`), randomBytes(25 * 1024 * 1024));
    const made = await start(env, 'backup', path.join(dir, 'backups') + path.sep).done;
    expect(made.status, made.stderr).toBe(0);
    backup = path.join(dir, 'backups', readdirSync(path.join(dir, 'backups'))[0]!);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restores everything on the second try after a kill -9 while the media files were being read', async () => {
    const target = path.join(dir, 'target');
    const env = { INKSTONE_DATA_DIR: target };
    const first = start(env, 'restore', backup);
    // Killed once the second media file has begun to arrive (the first is whole by then).
    const media = path.join(target, 'media');
    const tmp = path.join(media, 'tmp');
    for (let i = 0; i < 2000; i++) {
      const arrived = files(media).filter((f) => !f.endsWith('database.part') && (!f.startsWith(tmp) || f.endsWith('.part')));
      if (arrived.length >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal, killed.stdout).toBe('SIGKILL');
    expect(existsSync(path.join(target, 'inkstone.db'))).toBe(false);

    const second = await start(env, 'restore', backup).done;
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/Restored the SQLite backup .* and 6 media files/);
    expect(
      files(media)
        .filter((f) => !f.startsWith(tmp))
        .map((f) => path.basename(f))
        .sort(),
    ).toEqual(['big0.jpg', 'big1.jpg', 'big2.jpg', 'big3.jpg', 'big4.jpg', 'big5.jpg']);
  }, 120_000);
});
