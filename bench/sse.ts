/**
 * Live-stream benchmark (not a test; issue #15): one `inkstone serve` process (SQLite, as an operator starts it) holds
 * N idle server-sent-event streams of one live (default 10,000), opened from a separate client process on 127.0.0.1.
 * Prints the server's resident memory (RSS) before and with the streams open, after a heartbeat round, and how long
 * one entry takes to reach every stream (from the POST that made it, and from its answer).
 *
 *   npx tsx bench/sse.ts
 *   BENCH_STREAMS=2000 BENCH_IDLE_SECONDS=20 npx tsx bench/sse.ts
 *   BENCH_SERVER=sources npx tsx bench/sse.ts   (the server from TypeScript through tsx instead of the production build)
 *   BENCH_READER_ONLY=1 npx tsx bench/sse.ts    (the live made by another server run: the measured one only serves readers)
 *
 * File descriptors: each side needs one per stream. The server and the client are started through `sh -c 'ulimit -n
 * …'`, which raises the soft limit up to the hard one (`ulimit -Hn`; 20,000 here); if the hard limit is below
 * N + 1,000 the script says so and stops (raise it in /etc/security/limits.conf or run as root with `ulimit -Hn`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 10_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 20);
/** Connections opened at once by the client: the server's listen backlog is 511. */
const OPEN_BATCH = 250;
const MARKER = 'BENCH-ENTRY-7f3a';

/** Resident memory of a process in MB, now and at its peak (Linux /proc). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const fdsNeeded = STREAMS + 1_000;

/** A node process with its soft file-descriptor limit raised for the streams (see the header). */
function spawnWithFds(args: string[], env: NodeJS.ProcessEnv, stdio: ('ignore' | 'inherit' | 'pipe' | 'ipc')[]): ChildProcess {
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('sh', ['-c', `ulimit -n ${fdsNeeded} && exec ${quoted}`], { cwd: root, env, stdio });
}

// ---- the client process: opens the streams and reports when each one got the marked entry ----

async function client(port: number, articleId: number): Promise<void> {
  const send = (msg: unknown) => process.send!(msg);
  const arrived: number[] = [];
  let open = 0;
  let failed = 0;
  const request = `GET /a/${articleId}/live/events HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`;
  const openOne = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let headers = false;
      let got = false;
      let tail = '';
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(request));
      socket.on('data', (text: string) => {
        if (!headers) {
          if (!text.startsWith('HTTP/1.1 200')) {
            failed++;
            socket.destroy();
            return resolve();
          }
          headers = true;
          open++;
          resolve();
        }
        // Only the end of the previous chunk is kept, in case the marker is split between two.
        const seen = tail + text;
        if (!got && seen.includes(MARKER)) {
          got = true;
          arrived.push(Date.now());
        }
        tail = seen.slice(-MARKER.length);
      });
      socket.on('error', () => {
        if (!headers) {
          failed++;
          resolve();
        }
      });
    });
  for (let i = 0; i < STREAMS; i += OPEN_BATCH) await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, STREAMS - i) }, openOne));
  send({ type: 'open', open, failed });
  process.on('message', async (msg: { type: string }) => {
    if (msg.type !== 'await') return;
    const deadline = Date.now() + 60_000;
    while (arrived.length < open && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    send({ type: 'arrived', times: arrived });
  });
}

// ---- the parent: the server, the live, the measurements ----

async function api(base: string, token: string, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The server's JS heap in use and its memory outside the heap (buffers), from its own /metrics, in MB. */
async function heapOf(base: string): Promise<{ heapMb: number; externalMb: number }> {
  const text = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
  const value = (name: string) => Number(new RegExp(`^${name} ([\\d.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return { heapMb: value('inkstone_nodejs_heap_size_used_bytes'), externalMb: value('inkstone_nodejs_external_memory_bytes') };
}

const METRICS_TOKEN = 'bench-sse-metrics-token-0123456789';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

async function main(): Promise<void> {
  const hard = Number(
    (await new Promise<string>((resolve) => {
      const sh = spawn('sh', ['-c', 'ulimit -Hn'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      sh.stdout.on('data', (d) => (out += d));
      sh.on('exit', () => resolve(out.trim()));
    })) || 0,
  );
  if (hard !== 0 && Number.isFinite(hard) && hard < fdsNeeded) {
    throw new Error(
      `${STREAMS} streams need ${fdsNeeded} file descriptors per process, the hard limit is ${hard}: raise it (ulimit -Hn, limits.conf) or set BENCH_STREAMS`,
    );
  }
  const { createAccount, createApiToken } = await import('../src/domain/accounts/service.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { createContainer } = await import('../src/container.ts');
  const { migrate, openDatabase } = await import('../src/storage/database.ts');
  const { freePort } = await import('../test/support/server.ts');

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-sse-'));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    INKSTONE_DATA_DIR: dataDir,
    INKSTONE_DEMO: '0',
    LOG_LEVEL: 'warn',
    INKSTONE_SECRET: 'bench-sse-secret-0123456789abcdef',
    INKSTONE_METRICS_TOKEN: METRICS_TOKEN,
  };
  const config = loadConfig(env);
  const database = openDatabase(config);
  await migrate(database);
  const { ctx } = createContainer({ config, database });
  await createAccount(ctx, null, { username: 'bench', role: 'admin', password: 'bench-password-1' });
  const { token } = await createApiToken(ctx, null, { username: 'bench' });
  await database.close();

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // As an operator starts it: the production build (bin/inkstone.js builds dist/ first when it is stale).
  const serve =
    process.env.BENCH_SERVER === 'sources' ? ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve'] : [path.join(root, 'bin/inkstone.js'), 'serve'];
  const start = async (): Promise<ChildProcess> => {
    const child = spawnWithFds(serve, { ...env, PORT: String(port) }, ['ignore', 'ignore', 'inherit']);
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}`);
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return child;
      if (i > 300) throw new Error('serve did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const stop = async (child: ChildProcess) => {
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  // BENCH_READER_ONLY=1: the live is made and published by one server, which stops; the measured server is started
  // afresh and only serves readers (the page, the streams, the entry's POST), as a reader-facing process does.
  const readerOnly = process.env.BENCH_READER_ONLY === '1';
  let server = await start();
  let clientProcess: ChildProcess | undefined;
  try {
    await api(base, token, 'POST', '/api/v1/channels', { slug: 'live', name: '直播' });
    const { id } = await api(base, token, 'POST', '/api/v1/articles', {
      title: '一万名读者同时观看的图文直播',
      channel: 'live',
      body: '<p>图文直播基准测试。</p>',
    });
    await api(base, token, 'POST', `/api/v1/articles/${id}/publish`);
    await api(base, token, 'PUT', `/api/v1/articles/${id}/live`, { status: 'live' });
    if (readerOnly) {
      // The publish's follow-up work (search index, related reading) is done before the setup server stops.
      await new Promise((r) => setTimeout(r, 3000));
      await stop(server);
      server = await start();
      console.log('reader-only: the measured server did not make or publish the live');
    }
    // The page and one stream once, so the baseline includes the code a stream runs.
    await fetch(`${base}/a/${id}`).then((r) => r.text());
    const before = memoryOf(server.pid!);
    const heapBefore = await heapOf(base);

    const opening = Date.now();
    clientProcess = spawnWithFds(['--import', 'tsx', self, 'client', String(port), String(id)], process.env, ['ignore', 'inherit', 'inherit', 'ipc']);
    const messages: { type: string; [k: string]: unknown }[] = [];
    clientProcess.on('message', (m) => messages.push(m as { type: string }));
    const next = async (type: string) => {
      for (;;) {
        const found = messages.find((m) => m.type === type);
        if (found) return found;
        if (clientProcess!.exitCode !== null) throw new Error(`client exited ${clientProcess!.exitCode}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const opened = (await next('open')) as unknown as { open: number; failed: number };
    const openSeconds = (Date.now() - opening) / 1000;
    console.log(`streams open: ${opened.open} (${opened.failed} refused) in ${openSeconds.toFixed(1)} s`);
    const held = memoryOf(server.pid!);
    // Idle through at least one heartbeat round (15 s), as a quiet live spends most of its time.
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idle = memoryOf(server.pid!);
    const heapIdle = await heapOf(base);

    const sent = Date.now();
    await api(base, token, 'POST', `/api/v1/articles/${id}/live/entries`, { body: `${MARKER} 第一条直播消息送达每一位读者。` });
    const answered = Date.now();
    clientProcess.send({ type: 'await' });
    const { times } = (await next('arrived')) as unknown as { times: number[] };
    const fromSent = times.map((t) => t - sent).sort((a, b) => a - b);
    const fromAnswered = times.map((t) => t - answered).sort((a, b) => a - b);
    const after = memoryOf(server.pid!);

    const mb = (n: number) => `${n.toFixed(0)} MB`;
    console.log(
      `server RSS: ${mb(before.rssMb)} before the streams, ${mb(held.rssMb)} with ${opened.open} open, ${mb(idle.rssMb)} after ${IDLE_SECONDS} s idle, ${mb(after.rssMb)} after the entry; peak ${mb(after.peakMb)}`,
    );
    console.log(`per stream: ${(((idle.rssMb - before.rssMb) * 1024) / Math.max(1, opened.open)).toFixed(1)} KB of RSS`);
    console.log(
      `JS heap in use ${mb(heapBefore.heapMb)} → ${mb(heapIdle.heapMb)}, outside the heap ${mb(heapBefore.externalMb)} → ${mb(heapIdle.externalMb)}: the streams' own ${mb(idle.rssMb - before.rssMb)} of RSS on top of a process of ${mb(before.rssMb)} before any stream`,
    );
    console.log(
      `entry delivered to ${times.length}/${opened.open} streams: from the POST p50 ${percentile(fromSent, 50)} ms, p99 ${percentile(fromSent, 99)} ms, last ${fromSent.at(-1)} ms; from its answer (${answered - sent} ms) last ${fromAnswered.at(-1)} ms`,
    );
    const streamsMb = Math.max(idle.rssMb, after.rssMb) - before.rssMb;
    console.log(
      `target < 300 MB for ${STREAMS} idle streams: the streams take ${mb(streamsMb)} (${streamsMb < 300 ? 'met' : 'NOT met'}); the whole process ${mb(after.peakMb)} at its peak (${after.peakMb < 300 ? 'met' : 'NOT met'})`,
    );
  } finally {
    clientProcess?.kill('SIGKILL');
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'client') {
  void client(Number(process.argv[3]), Number(process.argv[4]));
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
