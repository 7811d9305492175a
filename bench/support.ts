import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { serve, type Served } from '../test/support/server.ts';

export { freePort } from '../test/support/server.ts';

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
