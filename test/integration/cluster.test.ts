import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cli = [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli/main.ts')];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Two app processes behind one port (INKSTONE_WORKERS=2): cached pages, and edits purge every worker's cache. */
describe('serve with two workers', () => {
  let dir: string;
  let server: ChildProcess;
  let base: string;
  let token: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-cluster-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { PATH: process.env.PATH, HOME: process.env.HOME, INKSTONE_DATA_DIR: dir, INKSTONE_DEMO: '0', INKSTONE_ADMIN_PASSWORD: 'cluster-admin-1', PORT: String(port), LOG_LEVEL: 'warn', INKSTONE_WORKERS: '2' };
    spawnSync(process.execPath, [...cli, 'migrate'], { env });
    spawnSync(process.execPath, [...cli, 'user', 'add', 'chief', '--role', 'admin', '--password', 'chief-password-1'], { env });
    const out = spawnSync(process.execPath, [...cli, 'token', 'create', '--user', 'chief'], { env, encoding: 'utf8' }).stdout.trim().split('\n');
    token = out[out.length - 1]!.split(/\s+/).pop()!;
    server = spawn(process.execPath, [...cli, 'serve'], { env, stdio: 'ignore' });
    for (let i = 0; i < 150; i++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: string, url: string, body?: unknown) =>
    fetch(base + url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json());

  it('serves pages from every worker cache and purges them all on an edit', async () => {
    await api('POST', '/api/v1/channels', { slug: 'difang', name: '地方频道' });
    const { id } = await api('POST', '/api/v1/articles', { title: '初版标题', channel: 'difang', body: '<p>正文</p>' });
    await api('POST', `/api/v1/articles/${id}/publish`);
    const titles = async () => {
      const pages = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/a/${id}`).then(async (r) => ({ cache: r.headers.get('x-cache'), html: await r.text(), csp: r.headers.get('content-security-policy') }))));
      return pages;
    };
    const warm = await titles();
    expect(warm.every((p) => p.html.includes('初版标题'))).toBe(true);
    const again = await titles();
    expect(again.some((p) => p.cache === 'hit')).toBe(true);
    expect(again.every((p) => p.csp?.includes("script-src 'self'"))).toBe(true);
    await api('PATCH', `/api/v1/articles/${id}`, { title: '更正后的标题' });
    await new Promise((r) => setTimeout(r, 200));
    const after = await titles();
    expect(after.every((p) => p.html.includes('更正后的标题'))).toBe(true);
  });
});
