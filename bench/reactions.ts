/**
 * Mood-vote benchmark (not a test): 64 concurrent clients, each a stream of distinct readers who vote and then
 * change their vote, against a real `inkstone serve` on SQLite and on PostgreSQL. Prints votes/s, p50/p99 latency
 * and whether the final counts equal the expected ones exactly.
 *
 *   npx tsx bench/reactions.ts                       # both stores; PostgreSQL from a throwaway cluster
 *   DATABASE_URL=postgres://… npx tsx bench/reactions.ts   # use that PostgreSQL instead (a fresh article is used)
 *   BENCH_STORES=sqlite BENCH_VOTES=40000 BENCH_SECONDS=20 BENCH_CLIENTS=64 npx tsx bench/reactions.ts
 *
 * Only 127.0.0.1 is loaded, and every run is bounded by BENCH_VOTES and BENCH_SECONDS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAccount, createApiToken } from '../src/domain/accounts/service.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { freePort } from '../test/support/server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const MAX_VOTES = Number(process.env.BENCH_VOTES ?? 30_000);
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_VOTES = 2_000;
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
const MOODS = ['happy', 'sad', 'like', 'pass'];

const startPostgres = () => startThrowawayPostgres({ durable: true });

/** User + system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, counted from the state field (3) here; clock ticks are 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Server {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function serve(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  // BENCH_CPU_PROF=dir writes a V8 CPU profile of the server to dir when it stops.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  // tsx as a loader in the server's own process (its CLI would add a wrapper process).
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve'], {
    cwd: root,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}`);
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 150) throw new Error('serve did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { port, child, stop: async () => (child.kill('SIGTERM'), await exited) };
}

interface Reply {
  status: number;
  body: string;
  setCookie?: string;
}

/**
 * A lean keep-alive HTTP/1.1 client, one connection per simulated client: node:http's client costs about as much
 * CPU per request as the server, and on two cores the load generator must not be what is measured.
 */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve(r: Reply): void; reject(e: Error): void } | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.parse();
    });
    const fail = (err: Error) => {
      this.pending?.reject(err);
      this.pending = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  request(method: string, url: string, headers: Record<string, string>, body = ''): Promise<Reply> {
    const payload = Buffer.from(body, 'utf8');
    let head = `${method} ${url} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${payload.length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    this.socket.write(Buffer.concat([Buffer.from(head + '\r\n', 'utf8'), payload]));
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    let length = 0;
    let setCookie: string | undefined;
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1));
      else if (name === 'set-cookie') setCookie = line.slice(colon + 1).trim();
      else if (name === 'transfer-encoding') throw new Error('chunked replies are not expected here');
    }
    if (this.buf.length < end + 4 + length) return;
    const body = this.buf.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buf = this.buf.subarray(end + 4 + length);
    const done = this.pending;
    this.pending = undefined;
    done.resolve({ status, body, setCookie });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on a connection of its own (set-up and the final read). */
async function request(port: number, method: string, url: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const c = await Connection.open(port);
  try {
    return await c.request(method, url, headers, body);
  } finally {
    c.close();
  }
}

async function setUp(env: NodeJS.ProcessEnv, port: number): Promise<number> {
  const config = loadConfig(env);
  const database = openDatabase(config);
  let token: string;
  try {
    await migrate(database);
    const { ctx } = createContainer({ config, database });
    const username = `bench${Date.now().toString(36)}`;
    await createAccount(ctx, null, { username, role: 'admin', password: 'bench-password-1' });
    token = (await createApiToken(ctx, null, { username })).token;
  } finally {
    await database.close();
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const slug = `bench${Date.now().toString(36)}`;
  await request(port, 'POST', '/api/v1/channels', headers, JSON.stringify({ slug, name: '压测' }));
  const created = await request(port, 'POST', '/api/v1/articles', headers, JSON.stringify({ title: '压测稿件', channel: slug, body: '<p>压测</p>' }));
  const { id } = JSON.parse(created.body) as { id: number };
  const published = await request(port, 'POST', `/api/v1/articles/${id}/publish`, headers);
  if (published.status !== 200) throw new Error(`publish: ${published.status} ${published.body}`);
  return id;
}

interface Result {
  /** CPU time the server process spent per vote (user + system), and the load generator's. */
  serverCpuUs: number;
  clientCpuUs: number;
  votes: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  failures: number;
  exact: boolean;
  expected: Record<string, number>;
  counted: Record<string, number>;
  newVotes: number;
  changes: number;
}

/** 64 clients; each takes the next reader, who votes (new) and then, for two readers in three, changes their vote. */
async function load(port: number, articleId: number, maxVotes: number, maxSeconds: number, firstReader: number) {
  const latencies: number[] = [];
  const finalMood = new Map<number, string>();
  let sent = 0;
  let failures = 0;
  let newVotes = 0;
  let changes = 0;
  let next = firstReader;
  const deadline = performance.now() + maxSeconds * 1000;
  const url = `/api/v1/articles/${articleId}/reactions`;
  const castOne = async (conn: Connection, reader: number, mood: string, cookie?: string) => {
    sent++;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      // Each reader is their own address in their own /24 (through our trusted proxy): the anti-stuffing layers
      // run on every vote but do not bite honest readers.
      'x-forwarded-for': `10.${(reader >> 8) & 255}.${reader & 255}.1`,
      ...(cookie ? { cookie } : {}),
    };
    const t0 = performance.now();
    const res = await conn.request('POST', url, headers, JSON.stringify({ mood }));
    latencies.push(performance.now() - t0);
    if (res.status !== 200) {
      failures++;
      return undefined;
    }
    finalMood.set(reader, mood);
    return res.setCookie?.split(';')[0];
  };
  const client = async (conn: Connection) => {
    while (sent < maxVotes && performance.now() < deadline) {
      const reader = next++;
      const first = MOODS[reader % 4]!;
      const cookie = await castOne(conn, reader, first);
      newVotes++;
      if (cookie && reader % 3 !== 0 && sent < maxVotes) {
        await castOne(conn, reader, MOODS[(reader + 1 + (reader % 2)) % 4]!, cookie);
        changes++;
      }
    }
  };
  const connections = await Promise.all(Array.from({ length: CLIENTS }, () => Connection.open(port)));
  const t0 = performance.now();
  await Promise.all(connections.map(client));
  const seconds = (performance.now() - t0) / 1000;
  for (const c of connections) c.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { votes: latencies.length, seconds, p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? 0, failures, finalMood, newVotes, changes, next };
}

async function bench(_store: string, databaseUrl: string | undefined): Promise<Result> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    INKSTONE_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    INKSTONE_DEMO: '0',
    INKSTONE_SECRET: 'bench-secret-0123456789abcdef',
    TRUST_PROXY: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
  const server = await serve(env);
  try {
    const articleId = await setUp(env, server.port);
    // Warm the JIT and the connection pool on another article, then measure on a fresh one.
    const warmArticle = await setUp(env, server.port);
    const warm = await load(server.port, warmArticle, WARMUP_VOTES, 10, 1);
    const serverCpu0 = cpuSeconds(server.child.pid!);
    const clientCpu0 = process.cpuUsage();
    const run = await load(server.port, articleId, MAX_VOTES, MAX_SECONDS, warm.next + 1);
    const serverCpu = cpuSeconds(server.child.pid!) - serverCpu0;
    const clientCpuUsage = process.cpuUsage(clientCpu0);
    const clientCpu = (clientCpuUsage.user + clientCpuUsage.system) / 1e6;
    const expected: Record<string, number> = Object.fromEntries(MOODS.map((m) => [m, 0]));
    for (const mood of run.finalMood.values()) expected[mood]!++;
    const shown = JSON.parse((await request(server.port, 'GET', `/api/v1/articles/${articleId}/reactions`, {})).body) as { counts: Record<string, number> };
    const exact = MOODS.every((m) => shown.counts[m] === expected[m]);
    return {
      votes: run.votes,
      serverCpuUs: (serverCpu / run.votes) * 1e6,
      clientCpuUs: (clientCpu / run.votes) * 1e6,
      seconds: run.seconds,
      p50: run.p50,
      p99: run.p99,
      max: run.max,
      failures: run.failures,
      exact,
      expected,
      counted: shown.counts,
      newVotes: run.newVotes,
      changes: run.changes,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows: string[] = [];
let pg: { url: string; stop(): void } | undefined;
try {
  for (const store of STORES) {
    let url: string | undefined;
    if (store === 'postgres') {
      url = process.env.DATABASE_URL || (pg ??= await startPostgres()).url;
    } else if (store !== 'sqlite') {
      throw new Error(`unknown store ${store}`);
    }
    const r = await bench(store, url);
    const line =
      `${store.padEnd(8)} ${String(r.votes).padStart(6)} votes (${r.newVotes} new, ${r.changes} changes) in ${r.seconds.toFixed(2)} s = ` +
      `${Math.round(r.votes / r.seconds)} votes/s; p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; ` +
      `non-200: ${r.failures}; counts exact: ${r.exact ? 'yes' : 'NO'} ${JSON.stringify(r.counted)}${r.exact ? '' : ` expected ${JSON.stringify(r.expected)}`}\n` +
      `         server CPU ${r.serverCpuUs.toFixed(0)} µs/vote (= ${Math.round(1e6 / r.serverCpuUs)} votes/s per free core), ` +
      `load generator ${r.clientCpuUs.toFixed(0)} µs/vote; machine load average (1 min): ${os.loadavg()[0]!.toFixed(2)}`;
    console.log(line);
    rows.push(line);
  }
} finally {
  pg?.stop();
}
console.log(`\n${CLIENTS} clients, ${os.cpus().length} CPUs, Node ${process.version}`);
