import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './net.ts';

export { freePort };
import { createAccount, createApiToken } from '../../src/domain/accounts/service.ts';
import { loadConfig } from '../../src/config.ts';
import { createContainer } from '../../src/container.ts';
import { migrate, openDatabase } from '../../src/storage/database.ts';

/** Real `inkstone` processes for tests that need them: kill -9, several app processes, the CLI. */
const root = path.resolve(import.meta.dirname, '../..');
// tsx as a loader inside the one node process: its CLI would add a wrapper process, and a SIGKILL sent to the
// wrapper would leave the real server running.
const cli = ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
// Tests give each process its whole environment; these make it a test process too (the test-only argon2 cost).
const testEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ NODE_ENV: 'test', INKSTONE_ARGON2_COST: process.env.INKSTONE_ARGON2_COST, ...env });

export function runCli(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [...cli, ...args], { cwd: root, env: testEnv(env), encoding: 'utf8', timeout: 60_000 });
}

/** Runs a CLI command that must succeed; returns its stdout. */
export function cliOk(env: NodeJS.ProcessEnv, ...args: string[]): string {
  const r = runCli(env, ...args);
  if (r.status !== 0) throw new Error(`inkstone ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The environment of an `inkstone` process over a test database: no demo content, quiet logs, then `extra`. */
export function processEnv(db: { dataDir: string; databaseUrl: string | undefined }, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    INKSTONE_DATA_DIR: db.dataDir,
    DATABASE_URL: db.databaseUrl ?? '',
    INKSTONE_DEMO: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface Served {
  base: string;
  child: ChildProcess;
  /** SIGKILL: the process gets no chance to flush or close anything. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `inkstone serve` with env (PORT is chosen here) and waits until /healthz answers. */
export async function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...cli, 'serve'], { cwd: root, env: testEnv({ ...env, PORT: String(port) }), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const deadline = Date.now() + 30_000; ; ) {
    if (child.exitCode !== null) throw new Error(`inkstone serve exited ${child.exitCode}: ${stderr}`);
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`inkstone serve did not answer in time: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { base, child, kill9: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** A newsroom on a fresh database, made in-process (spawning the CLI three times costs seconds): an admin's token. */
export async function newsroom(env: NodeJS.ProcessEnv): Promise<{ token: string }> {
  const config = loadConfig(env);
  const database = openDatabase(config);
  try {
    await migrate(database);
    const { ctx } = createContainer({ config, database });
    await createAccount(ctx, null, { username: 'chief', role: 'admin', password: 'chief-password-1' });
    return { token: (await createApiToken(ctx, null, { username: 'chief' })).token };
  } finally {
    await database.close();
  }
}

export async function publishArticle(base: string, token: string, title = '江城地铁新线开通'): Promise<number> {
  const call = async (url: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ id: number }>;
  };
  const channels = (await fetch(`${base}/api/v1/channels`).then((r) => r.json())) as { items: { path: string }[] };
  if (!channels.items.some((c) => c.path === 'difang')) await call('/api/v1/channels', { slug: 'difang', name: '地方频道' });
  const { id } = await call('/api/v1/articles', { title, channel: 'difang', body: '<p>本报讯 江城地铁新线今日开通。</p>' });
  await call(`/api/v1/articles/${id}/publish`);
  return id;
}
