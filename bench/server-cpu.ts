/**
 * The server's own CPU per unit of work, by thread, over real HTTP on 127.0.0.1 (issue #12): read from /proc while
 * `inkstone serve` (the sources, through tsx) runs over a copy of a bench:scale archive. Never part of `npm test`.
 * CPU time, not wall time, so the figures hold on a shared machine (within the noise of its caches).
 *
 *   npx tsx bench/server-cpu.ts [--archive DIR] [--what writes,renders,floor,stalls] [--n 100] [--warm]
 *
 * - writes: create + publish of a ~1,500-character article with the API token of the archive, `--n` times at 5/s
 *   (bench:scale's writer), then until the server is idle again (the outbox's search entry and related reading after
 *   each publish); CPU per cycle for the main thread and each other thread (the related reader thread, the
 *   checkpointer, V8's and libuv's helpers), during the writes and with the work after them.
 * - renders: random published articles, one at a time over one keep-alive connection, page cache off
 *   (INKSTONE_PAGE_CACHE_MB=0): CPU per uncached render.
 * - floor: GET /healthz the same way: what any response costs this server on this machine (HTTP parsing, Fastify's
 *   hooks, the socket write), for reading the render's figure.
 *
 * --anonymous: the renders are asked as a reader or a crawler asks (no API token, so the page cache's miss path runs in
 * full: the page's surrogate keys, its bytes kept, the answer compressed). Without it each request carries the
 * archive's API token, as the writes do, and a page with credentials is neither kept nor compressed.
 *
 * --warmup N (2000): requests before the measured ones. V8 goes on optimizing the render path for the first
 * thousands: under --trace-deopt at a million articles, 50 deoptimizations (and the recompiles, on its helper threads)
 * in renders 2,000-5,000, 6 in the 5,000 after; with 300 the measured renders carried that tail.
 *
 * --chunks K (1): the measured renders (or /healthz requests) in K windows one after another, each with its own CPU by
 * thread: how the cost settles as V8 finishes optimizing (`--warmup 0 --chunks 6`), and when its helper threads'
 * recompiles fall.
 *
 * --data DIR: serve this copy of the archive as it is, and keep it (the server's writes stay in it): for runs one after
 * another over a large archive, which take minutes to copy. Without it each server gets a fresh copy, removed after.
 *
 * --warm: read the database file once before the server starts (see warm()). --cold: drop the page cache instead.
 *
 * stalls (only when asked: --what stalls): from the first answer of a fresh start, GET /healthz back to back for
 * --seconds (30): what a reader waits while the start's own work (the backlogs' scans of the archive) runs. With
 * --cold, as after a reboot.
 *
 * --cpu-prof DIR: the server runs under `node --cpu-prof` and writes its main thread's profile into DIR at exit.
 *
 * --archive: a bench:scale archive folder (its inkstone.db and the .json beside it, which holds the API token); by
 * default the newest SQLite one under /var/tmp/inkstone-bench-scale (INKSTONE_BENCH_CACHE). Run bench:scale first.
 *
 * A PostgreSQL archive (`--archive <cache>/postgres-…`): bench:scale's kept cluster is started, each server serves a
 * copy of the archive's database (CREATE DATABASE … TEMPLATE; with --data NAME, the database NAME, made once and
 * kept), and the CPU of the backends serving that database is counted beside the server's threads as `postgres`, the
 * cluster's own processes (checkpointer, WAL writer, autovacuum) as `postgres-cluster`: on one box the database's work
 * is the site's work. With DATABASE_URL set (e.g. the kept cluster while a bench:scale build runs on it) that server is
 * used as it is, and only `postgres` is this run's alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { archiveDatabase, freePort, keptCluster, pgAdmin, withDatabase } from './support.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    archive: { type: 'string' },
    what: { type: 'string', default: 'writes,renders,floor' },
    n: { type: 'string', default: '100' },
    'cpu-prof': { type: 'string' },
    warm: { type: 'boolean', default: false },
    data: { type: 'string' },
    cold: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '2000' },
    chunks: { type: 'string', default: '1' },
    anonymous: { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const cache = process.env.INKSTONE_BENCH_CACHE ?? '/var/tmp/inkstone-bench-scale';
const archive =
  args.archive ??
  (existsSync(cache)
    ? readdirSync(cache)
        .filter((d) => d.startsWith('sqlite-') && existsSync(path.join(cache, d, 'inkstone.db')) && existsSync(path.join(cache, `${d}.json`)))
        .map((d) => path.join(cache, d))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
    : undefined);
if (!archive) throw new Error(`no bench:scale archive under ${cache}: run npm run bench:scale first, or pass --archive`);
const meta = JSON.parse(readFileSync(`${archive}.json`, 'utf8')) as {
  store?: 'sqlite' | 'postgres';
  token: string;
  leafChannel: string;
  loaded: { samples: { body: string }[] };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PostgreSQL: the kept cluster, the archive's database (the template of each run's copy) and the postmaster's pid. */
const postgres =
  meta.store === 'postgres'
    ? await (async () => {
        const cluster = await keptCluster(cache);
        // The kept cluster's, or (DATABASE_URL) the named server's, when it runs on this machine.
        const dataDir = process.env.DATABASE_URL
          ? String((await pgAdmin(cluster.adminUrl, 'show data_directory')).rows[0]!.data_directory)
          : path.join(cache, 'pg', 'data');
        const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.once('exit', () => cluster.stop());
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
        return {
          cluster,
          postmaster,
          template: archiveDatabase(path.basename(archive)),
        };
      })()
    : undefined;

/**
 * CPU ms of the cluster's processes: the backends serving `database` (by their process title, which names it), and
 * apart the cluster's own (checkpointer, WAL writer, autovacuum…), which another database's work on a shared cluster
 * (a bench:scale build running meanwhile) would also be in.
 */
function postgresCpu(postmaster: number, database: string): { backends: number; cluster: number } {
  const cpu = { backends: 0, cluster: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pid) !== postmaster && Number(fields[1]) !== postmaster) continue;
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title)) {
        if (title.includes(` ${database} `)) cpu.backends += ms;
      } else cpu.cluster += ms;
    } catch {
      // A process that ended meanwhile.
    }
  }
  return cpu;
}

/**
 * Reads the copied database once, front to back, so its pages are the operating system's most recent: a copy of a
 * 16 GB archive goes through the page cache twice (the source read, the copy written) and leaves the file's start
 * evicted on a 24 GB machine, and a render that reads from the disk counts the kernel's I/O as its CPU. A server
 * that has run for a while has its pages in memory; --warm measures that one.
 */
function warm(file: string) {
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/** Writes out dirty pages and drops the page cache (root only): a start as after a reboot, every page from the disk. */
function dropCaches() {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch (err) {
    throw new Error(`--cold drops the page cache, which needs root: ${(err as Error).message}`);
  }
}

interface Server {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function start(env: Record<string, string>, settle = true): Promise<Server> {
  const keep = args.data !== undefined && !postgres;
  const dir = keep ? args.data! : mkdtempSync(path.join(os.tmpdir(), 'inkstone-server-cpu-'));
  if (!keep) cpSync(archive!, dir, { recursive: true });
  let database: string | undefined;
  if (postgres) {
    database = args.data ?? `inkstone_server_cpu_${process.pid}`;
    const exists = (await pgAdmin(postgres.cluster.adminUrl, `SELECT 1 FROM pg_database WHERE datname = '${database}'`)).rows.length > 0;
    if (!exists) await pgAdmin(postgres.cluster.adminUrl, `CREATE DATABASE "${database}" TEMPLATE "${postgres.template}"`);
    env = { ...env, DATABASE_URL: withDatabase(postgres.cluster.adminUrl, database) };
    serving = database;
  }
  if (args.warm && !postgres) warm(path.join(dir, 'inkstone.db'));
  if (args.cold) dropCaches();
  const port = await freePort();
  const profile = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(args['cpu-prof'])] : [];
  const extra = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...extra, path.join(root, 'src/cli/main.ts'), 'serve'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      INKSTONE_DATA_DIR: dir,
      INKSTONE_DEMO: '0',
      INKSTONE_SECRET: 'bench-secret-0123456789abcdef',
      INKSTONE_SITE_URL: 'http://bench.example',
      INKSTONE_WORKERS: '1',
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SQL_'))),
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const server = {
    pid: child.pid!,
    port,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      if (!keep) rmSync(dir, { recursive: true, force: true });
      if (postgres && !args.data) await pgAdmin(postgres.cluster.adminUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    },
  };
  for (const deadline = Date.now() + 120_000; ; await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`inkstone serve exited ${child.exitCode}`);
    if (
      await call(server, 'GET', '/healthz').then(
        (r) => r.status === 200,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('inkstone serve did not answer in 120 s');
  }
  // The backlog a start over an archive may do (search heads, documents), then quiet.
  if (settle) await idle(server);
  return server;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(server: Server, method: string, url: string, body?: unknown, headers: Record<string, string> = {}, anonymous = false) {
  return new Promise<{ status: number; cache: string | undefined; json: { id?: number; revision?: number } }>((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: url,
        method,
        agent,
        headers: {
          'accept-encoding': 'br, gzip',
          ...(anonymous ? {} : { authorization: `Bearer ${meta.token}` }),
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode!,
            cache: res.headers['x-cache'] as string | undefined,
            json: res.headers['content-type']?.includes('json') ? JSON.parse(text) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** CPU ms by thread: the main thread as `main`, the others by name and id. */
function threads(pid: number): Map<string, number> {
  const byThread = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // The sampling profiler's own thread (--cpu-prof) is not the server's work.
      if (name.startsWith('v8:Prof')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      byThread.set(tid === String(pid) ? 'main' : `${name}#${tid}`, (ticks * 1000) / 100);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return byThread;
}
/** The database the running server serves (PostgreSQL). */
let serving: string | undefined;

/** The server's threads, and with PostgreSQL its database's backends as `postgres` and the cluster's own processes. */
function cpu(pid: number): Map<string, number> {
  const byThread = threads(pid);
  if (postgres && serving) {
    const pg = postgresCpu(postgres.postmaster, serving);
    byThread.set('postgres', pg.backends);
    byThread.set('postgres-cluster', pg.cluster);
  }
  return byThread;
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * Until the process used under 20 ms of CPU in 2 s (its outbox and backlog done); under --cpu-prof the sampling
 * costs each profiled thread a little even when idle, so 300 ms.
 */
async function idle(server: Server): Promise<void> {
  const quiet = args['cpu-prof'] ? 300 : 20;
  for (let last = total(cpu(server.pid)); ; ) {
    await sleep(2000);
    const now = total(cpu(server.pid));
    if (now - last < quiet) return;
    last = now;
  }
}

function perThread(before: Map<string, number>, after: Map<string, number>, n: number): string {
  const all = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / n] as const).sort((a, b) => b[1] - a[1]);
  // Every thread counts in the sum; threads under 0.01 ms each are left out of the list.
  const sum = all.reduce((s, [, v]) => s + v, 0);
  const shown = all.filter(([, v]) => v >= 0.01);
  return `${sum.toFixed(2)} ms (${shown.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})`;
}

const what = new Set(args.what!.split(','));
console.log(`archive ${path.basename(archive)}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)} at start`);

if (what.has('writes')) {
  const server = await start({});
  try {
    const sentences = meta.loaded.samples.flatMap((s) =>
      s.body
        .split('。')
        .filter((x) => x.length > 8)
        .map((x) => `${x}。`),
    );
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const body = () =>
      Array.from({ length: 6 }, () => `<p>${Array.from({ length: 4 }, () => sentences[Math.floor(rnd() * sentences.length)]).join('')}</p>`).join('');
    const cycle = async (i: number) => {
      const created = await call(server, 'POST', '/api/v1/articles', {
        title: `写入成本第${i}篇`,
        channel: meta.leafChannel,
        body: body(),
        tags: ['写入成本'],
      });
      if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
      const published = await call(server, 'POST', `/api/v1/articles/${created.json.id}/publish`, {}, { 'if-match': `"${created.json.revision}"` });
      if (published.status !== 200) throw new Error(`publish: ${published.status} ${JSON.stringify(published.json)}`);
    };
    // Warm-up: the first writes load the sanitizer, jieba, the related reader thread.
    for (let i = 0; i < 5; i++) await cycle(-i);
    await idle(server);
    const t0 = cpu(server.pid);
    const began = Date.now();
    for (let i = 0; i < N; i++) {
      const due = began + i * 200;
      if (due > Date.now()) await sleep(due - Date.now());
      await cycle(i);
    }
    const written = cpu(server.pid);
    await idle(server);
    const settled = cpu(server.pid);
    console.log(`writes: ${N} × create + publish at 5/s, server CPU per cycle: during the writes ${perThread(t0, written, N)}`);
    console.log(`        with the work after them ${perThread(t0, settled, N)}`);
  } finally {
    await server.stop();
  }
}

if (what.has('stalls')) {
  const server = await start({}, false);
  try {
    const waits: number[] = [];
    const started = performance.now();
    while (performance.now() - started < Number(args.seconds) * 1000) {
      const t = performance.now();
      const r = await call(server, 'GET', '/healthz');
      if (r.status !== 200) throw new Error(`stalls: /healthz answered ${r.status}`);
      waits.push(performance.now() - t);
    }
    const sorted = [...waits].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
    const long = waits.filter((w) => w >= 50);
    console.log(
      `stalls: ${waits.length} × GET /healthz over the first ${args.seconds} s${args.cold ? ' (cold page cache)' : ''}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, ` +
        `max ${sorted.at(-1)!.toFixed(1)} ms; ${long.length} waits ≥ 50 ms, ${long.reduce((a, b) => a + b, 0).toFixed(0)} ms in all`,
    );
  } finally {
    await server.stop();
  }
}

async function publishedIds(): Promise<number[]> {
  const query = `select id from articles where status = 'published' and deleted_at is null order by id`;
  if (postgres) return (await pgAdmin(withDatabase(postgres.cluster.adminUrl, postgres.template), query)).rows.map((r) => Number(r.id));
  const db = new SQLite(path.join(archive!, 'inkstone.db'), { readonly: true });
  try {
    return db.prepare(query).pluck().all() as number[];
  } finally {
    db.close();
  }
}

for (const kind of ['renders', 'floor'] as const) {
  if (!what.has(kind)) continue;
  const server = await start({ INKSTONE_PAGE_CACHE_MB: '0' });
  try {
    const ids = await publishedIds();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const url = () => (kind === 'floor' ? '/healthz' : `/a/${ids[Math.floor(rnd() * ids.length)]}`);
    const n = N * 20;
    const get = () => call(server, 'GET', url(), undefined, {}, args.anonymous);
    for (let i = 0; i < Number(args.warmup); i++) await get();
    const chunks = Math.max(1, Number(args.chunks));
    const label = kind === 'floor' ? 'floor: GET /healthz' : 'renders: uncached random article';
    for (let c = 0, done = 0; c < chunks; c++) {
      const size = Math.round((n * (c + 1)) / chunks) - done;
      const t0 = cpu(server.pid);
      for (let i = 0; i < size; i++) {
        const r = await get();
        if (r.status !== 200 || r.cache === 'hit') throw new Error(`${kind}: ${r.status} ${r.cache ?? ''}`);
      }
      const which = chunks > 1 ? ` (requests ${done + 1}-${done + size} after the warm-up)` : '';
      console.log(`${label}, ${size} one at a time${which}, server CPU each: ${perThread(t0, cpu(server.pid), size)}`);
      done += size;
    }
  } finally {
    await server.stop();
  }
}
agent.destroy();
