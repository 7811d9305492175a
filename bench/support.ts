import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { freePort, serve, type Served } from '../test/support/server.ts';
import { startWriteProbe } from '../test/support/write-probe.ts';

export { freePort };

/** Starts `inkstone serve` as its own process, as an operator would, and waits for /healthz. */
export function startInkstone(env: Record<string, string>): Promise<Served> {
  return serve({ PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env });
}

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** Runs wrk against one URL on 127.0.0.1 for a bounded time and parses its report. */
export function wrk(url: string, { connections = 50, threads = 2, seconds = 10, headers = [] as string[] } = {}): WrkResult {
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed (is it installed? apt-get install wrk): ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { requestsPerSecond: rps, p50Ms: p50, p99Ms: p99, errors };
}

/**
 * A database of its own on the PostgreSQL server `adminUrl` names (UTF-8), and how to drop it afterwards. `reuse`: an
 * existing database of that name is taken as it is (a kept benchmark database).
 */
export async function scratchPostgresDatabase(
  adminUrl: string,
  name: string,
  { reuse = false }: { reuse?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
  } catch (err) {
    // 42P04: duplicate_database.
    if (!reuse || (err as { code?: string }).code !== '42P04') throw err;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * The PostgreSQL server benchmarks create their databases on: DATABASE_URL when set, else a throwaway cluster started
 * from Debian's binaries on first use (as the tests do), stopped by `stop`.
 */
export function postgresServer(): { adminUrl: () => Promise<string>; stop: () => void } {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => void) | undefined;
  return {
    adminUrl: async () => {
      if (!adminUrl) {
        const cluster = await startThrowawayPostgres({ durable: true });
        stop = () => cluster.stop();
        adminUrl = cluster.url;
      }
      return adminUrl;
    },
    stop: () => stop?.(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// bench:scale's kept PostgreSQL cluster, under its cache folder (also read by server-cpu.ts)

export function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('PostgreSQL is needed: apt-get install -y postgresql, or set DATABASE_URL');
  return path.join(base, versions[0], 'bin');
}

export async function keptCluster(cache: string): Promise<{ adminUrl: string; stop: () => void }> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, stop: () => {} };
  const bin = pgBin();
  const dir = path.join(cache, 'pg');
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, argv: string[], check = true) => {
    const [file, list] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...argv]] : [path.join(bin, cmd), argv];
    const r = spawnSync(file, list, { encoding: 'utf8' });
    if (check && r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
    return r;
  };
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true });
    if (asRoot) {
      const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    run('initdb', ['-D', data, '-E', 'UTF8', '--locale=C.UTF-8', '-A', 'trust', '-U', 'postgres']);
  }
  const port = await freePort();
  // Memory as docs/DEPLOY.md sets it for a one-box PostgreSQL (a quarter of RAM for shared buffers, the planner told
  // the OS caches most of the rest, SSD page costs): stock settings (128 MB of buffers) read a 300,000-article
  // archive's related terms from disk on every publish, which measures the settings, not the app. Checkpoints as far
  // apart as it sets them too (a run's measurements still follow the checkpoint that copying the archive triggers).
  const memory = [
    'shared_buffers=4GB',
    'effective_cache_size=12GB',
    'random_page_cost=1.1',
    'work_mem=16MB',
    'maintenance_work_mem=1GB',
    'checkpoint_timeout=15min',
    'max_wal_size=8GB',
  ];
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 ${memory.map((m) => `-c ${m}`).join(' ')}`;
  run('pg_ctl', ['-D', data, '-o', options, '-w', '-l', path.join(dir, 'log'), 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => void run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'], false),
  };
}

export async function pgAdmin(adminUrl: string, statement: string): Promise<{ rows: Record<string, unknown>[] }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
}

export const withDatabase = (adminUrl: string, name: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/** The kept cluster's database that holds a bench:scale PostgreSQL archive (`postgres-300000-…`). */
export const archiveDatabase = (archiveName: string) => `inkstone_scale_${archiveName.replace(/^postgres-/, '').replace(/-/g, '_')}`;

/** What a lock probe saw: each try's wait for the write lock (ms, sorted) and a line of its percentiles. */
export interface LockWaits {
  waits: number[];
  summary: string;
}

/**
 * Another process's writes while a job runs (the server publishing during `inkstone reindex`, an import or a related
 * reading backlog): test/support/write-probe.ts's thread, taking the write lock every 20 ms with a busy timeout as the
 * server does; waits over a second are printed as they end, and `stop` sums them up.
 */
export async function lockProbe(file: string): Promise<{ stop: () => Promise<LockWaits> }> {
  const started = performance.now();
  const probe = await startWriteProbe(file, {
    everyMs: 20,
    busyTimeoutMs: 600_000,
    onLongWait: (w) => console.log(`  a write waited ${w.ms.toFixed(0)} ms, until ${((performance.now() - started) / 1000).toFixed(1)} s into the probe`),
  });
  return {
    async stop() {
      const waits = (await probe.stop()).map((w) => w.ms).sort((a, b) => a - b);
      const at = (q: number) => (waits[Math.min(waits.length - 1, Math.floor(q * waits.length))] ?? 0).toFixed(0);
      const over = (ms: number) => waits.filter((w) => w > ms).length;
      return {
        waits,
        summary: `another process's write waited for the lock: p50 ${at(0.5)} / p99 ${at(0.99)} / max ${at(1)} ms (${waits.length} tries, ${over(100)} over 100 ms, ${over(1000)} over a second)`,
      };
    },
  };
}
