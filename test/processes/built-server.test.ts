import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpsJpeg, multipart } from '../support/images.ts';
import { freePort, neverFinishedRequest } from '../support/net.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The production build as an operator runs it: `bin/inkstone.js` (what `npm start` runs) builds dist/ when it is stale
 * and serves from it. Everything that finds files at run time is exercised from the bundle: migrations
 * (dist/migrations), the demo content and images, jieba's and our dictionaries (search), OpenCC (the 繁 mirror), the
 * reader and newsroom bundles (written by the build into dist/assets, the same files a start from the sources makes
 * with esbuild), static files, and the body worker thread (dist/body-worker.js) with a long article.
 */
const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/inkstone.js');
const stampFile = path.join(root, 'dist/build.json');

const env = (dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'test',
  INKSTONE_ARGON2_COST: process.env.INKSTONE_ARGON2_COST,
  INKSTONE_DATA_DIR: dataDir,
  INKSTONE_ADMIN_PASSWORD: 'built-admin-password-1',
  LOG_LEVEL: 'warn',
  ...extra,
});

interface Built {
  child: ChildProcess;
  base: string;
  /** An API token of the admin account. */
  token: string;
  stderr(): string;
  /** SIGTERM, and the exit's code (null when killed) and time. */
  stop(): Promise<{ code: number | null; ms: number }>;
}

/** `bin/inkstone.js serve` on a free port until /healthz answers, and an admin token made by the bin's CLI. */
async function startBuilt(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<Built> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child = spawn(process.execPath, [bin, 'serve'], {
    cwd: os.tmpdir(),
    env: env(dataDir, { ...extra, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => (stderr += String(d)));
  for (const deadline = Date.now() + 90_000; ; ) {
    if (child.exitCode !== null) throw new Error(`bin/inkstone.js serve exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`bin/inkstone.js serve did not answer in time: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const made = spawnSync(process.execPath, [bin, 'token', 'create', '--user', 'admin'], {
    cwd: os.tmpdir(),
    env: env(dataDir, extra),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(made.status, made.stderr).toBe(0);
  return {
    child,
    base,
    token: made.stdout.trim().split(/\s+/).pop()!,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, ms: 0 };
      const t0 = performance.now();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      // The server exits by itself within its shutdown timeout (10 s, or INKSTONE_SHUTDOWN_TIMEOUT) plus 5 s, saying
      // what it waited for if it had to give up; the kill is for a server that does neither.
      const late = setTimeout(() => {
        process.stderr.write(`built server ${child.pid} still running 30 s after SIGTERM; killing it. Its stderr:\n${stderr.slice(-2000)}\n`);
        child.kill('SIGKILL');
      }, 30_000);
      const code = await exited;
      clearTimeout(late);
      return { code, ms: performance.now() - t0 };
    },
  };
}

describe('the built server (bin/inkstone.js → dist/)', () => {
  let dataDir: string;
  let built: Built;
  let child: ChildProcess;
  let base: string;
  let stderr: () => string;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-built-'));
    // A build older than the sources: the bin must build again before it serves (as after a `git pull`).
    try {
      const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
      writeFileSync(stampFile, JSON.stringify({ ...stamp, sources: { newest: 0, files: 0 } }));
    } catch {
      // No build yet: the bin builds one.
    }
    built = await startBuilt(dataDir, { INKSTONE_SHUTDOWN_TIMEOUT: '2' });
    ({ child, base, token } = built);
    stderr = built.stderr;
  }, 120_000);

  afterAll(async () => {
    await built?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('was built again from the sources it runs, and runs from dist/', async () => {
    expect(stderr()).toContain('Building dist/');
    expect(stderr()).not.toContain('The build failed');
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    expect(stamp.sources.files).toBeGreaterThan(100);
    const { isFresh } = (await import(path.join(root, 'scripts/build.js'))) as { isFresh: () => boolean };
    expect(isFresh()).toBe(true);
    // The process is node running the bin, with no TypeScript loader.
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')).not.toContain('tsx');
  });

  it('carries the packages it imports, loading from node_modules only those that must stay there', () => {
    // Resolving and reading fastify, kysely, typebox, ajv and the rest file by file was most of a start (scripts/build.js).
    const bundle = readFileSync(path.join(root, 'dist/inkstone.js'), 'utf8');
    const imported = new Set([...bundle.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!).filter((p) => !p.startsWith('node:')));
    expect([...imported].sort()).toEqual(['better-sqlite3', 'pino', 'piscina']);
    expect(bundle).toContain('// node_modules/fastify/fastify.js');
  });

  it('serves the demo home page, its assets and static files', async () => {
    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain('江城地铁9号线首通段开通运营');
    const script = /src="(\/assets\/app\.[0-9a-f]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(base + script!);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const image = /src="(\/media\/demo\/[^"]+)"/.exec(html)?.[1];
    expect(image, 'a demo image on the home page').toBeDefined();
    expect((await fetch(base + image!)).status).toBe(200);
    const favicon = /href="(\/static\/[^"]+)"/.exec(html)?.[1];
    if (favicon) expect((await fetch(base + favicon)).status).toBe(200);
  });

  it('serves the browser bundles the build wrote (dist/assets), the same a start from the sources makes', async () => {
    const { buildBundle } = await import('../../src/web/asset-build.ts');
    const html = await (await fetch(`${base}/`)).text();
    const adminHtml = await (await fetch(`${base}/admin`)).text();
    for (const bundle of ['reader', 'admin'] as const) {
      const fromSources = await buildBundle(bundle);
      for (const built of fromSources) {
        // The page names the same content-hashed URL the sources would.
        expect(html + adminHtml).toContain(built.url);
        const file = path.join(root, 'dist/assets', path.basename(built.url));
        const br = await fetch(base + built.url, { headers: { 'accept-encoding': 'br' } });
        expect(br.status).toBe(200);
        expect(br.headers.get('content-encoding')).toBe('br');
        // fetch decodes: the bytes a reader's browser gets are the sources' bundle, and the server sent the file.
        expect(Buffer.from(await br.arrayBuffer()).equals(built.raw)).toBe(true);
        // The build's own compressed file: the newsroom's is brotli 11 there, and 5 when a start builds it.
        expect(Number(br.headers.get('content-length'))).toBe(readFileSync(`${file}.br`).length);
        if (bundle === 'admin' && built.url.endsWith('.js')) expect(readFileSync(`${file}.br`).length).toBeLessThan(built.br.length);
      }
    }
  }, 60_000);

  it('searches with jieba and the newsroom dictionary, and mirrors pages in traditional characters', async () => {
    const search = await fetch(`${base}/search?q=${encodeURIComponent('地铁')}`);
    expect(search.status).toBe(200);
    expect(await search.text()).toContain('<mark>地铁</mark>');
    const hant = await fetch(`${base}/zh-hant/`);
    expect(hant.status).toBe(200);
    expect(await hant.text()).toContain('江城地鐵9號線');
  });

  it('suggests a correction from the did-you-mean tables built in their worker (dist/suggest-worker.js)', async () => {
    const answer = await fetch(`${base}/api/v1/search?q=${encodeURIComponent('地帖')}`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { suggestion: string | null }).suggestion).toBe('地铁');
  });

  it('builds the newsroom bundle on demand', async () => {
    const admin = await fetch(`${base}/admin`);
    expect(admin.status).toBe(200);
    const script = /(\/assets\/admin\.[0-9a-f]+\.js)/.exec(await admin.text())?.[1];
    expect(script).toBeDefined();
    expect((await fetch(base + script!)).status).toBe(200);
  });

  it('prepares a long article in the body worker thread (dist/body-worker.js) and publishes it', async () => {
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(base + url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { id: number } };
    };
    // Past 32K characters a body is prepared in the worker thread.
    const body = Array.from({ length: 1500 }, (_, i) => `<p>第${i}段：江城砚岚芯大桥合龙，市民沿江散步观看施工进展。</p>`).join('');
    const created = await call('POST', '/api/v1/articles', { title: '砚岚芯大桥合龙', channel: 'difang/yaowen', body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await call('POST', `/api/v1/articles/${created.body.id}/publish`)).status).toBe(200);
    const page = await fetch(`${base}/a/${created.body.id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('第1499段');
  });

  it('records migrations under the same names as the sources, so either can run the database', () => {
    const migrate = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'migrate'], {
      cwd: root,
      env: env(dataDir),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/up to date/);
  });

  // Last: it stops the server.
  it('exits cleanly on SIGTERM within its shutdown timeout, though a client is still sending a request', async () => {
    const socket = await neverFinishedRequest(base, token);
    // An idle kept connection too, as a browser or a load balancer leaves them.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const { code, ms } = await built.stop();
    socket.destroy();
    expect(code, stderr()).toBe(0);
    // INKSTONE_SHUTDOWN_TIMEOUT=2: the sending client is cut after 2 s (before, the process waited on it for good).
    expect(ms).toBeGreaterThan(1_500);
    expect(ms).toBeLessThan(8_000);
  }, 40_000);
});

/**
 * The same build on PostgreSQL, through the paths the demo site above does not take: the driver (node-postgres, loaded
 * from node_modules by the bundle), a multipart upload with sharp's variants, the HTML sanitizer, an article's search
 * and its page, and /metrics (prom-client). The packages the bundle carries (fastify's multipart, kysely's PostgreSQL
 * dialect) and those it leaves in node_modules must meet as they do from the sources.
 */
describe.runIf(runsOn('postgres'))('the built server on PostgreSQL', () => {
  let db: TestDatabase;
  let dataDir: string;
  let built: Built;
  let base: string;
  let token: string;
  const METRICS = 'built-metrics-token-0123456789';

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrated: false });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-built-pg-'));
    built = await startBuilt(dataDir, { DATABASE_URL: db.databaseUrl!, INKSTONE_METRICS_TOKEN: METRICS });
    ({ base, token } = built);
  }, 120_000);

  afterAll(async () => {
    const stopped = await built?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await db?.cleanup();
    // A clean exit on SIGTERM: not the shutdown's own deadline (code 1), not the test's kill (null).
    if (stopped) expect(stopped.code, built.stderr()).toBe(0);
  });

  it('uploads a photo, publishes a sanitized article with it, finds it and serves its page and metrics', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const form = await multipart({ field: 'file', data: await gpsJpeg(1600, 1000), filename: '大桥.jpg', type: 'image/jpeg' });
    const uploaded = await fetch(`${base}/api/v1/media`, { method: 'POST', headers: { ...auth, ...form.headers }, body: new Uint8Array(form.payload) });
    const media = (await uploaded.json()) as { url: string };
    expect(uploaded.status, JSON.stringify(media)).toBe(201);
    expect((await fetch(base + media.url)).headers.get('content-type')).toMatch(/^image\//);
    const body = `<p onclick="steal()">砚岚芯大桥今晨合龙。</p><script>alert(1)</script><p><img src="${media.url}" alt="合龙现场"></p>`;
    const created = await fetch(`${base}/api/v1/articles`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: '砚岚芯大桥合龙', channel: 'difang/yaowen', body }),
    });
    const article = (await created.json()) as { id: number };
    expect(created.status, JSON.stringify(article)).toBe(201);
    expect((await fetch(`${base}/api/v1/articles/${article.id}/publish`, { method: 'POST', headers: auth })).status).toBe(200);
    const page = await (await fetch(`${base}/a/${article.id}`)).text();
    expect(page).toContain('砚岚芯大桥今晨合龙');
    expect(page).not.toContain('steal()');
    expect(page).not.toContain('alert(1)');
    // Indexed after the commit, by the outbox.
    await waitFor(async () => {
      const search = await fetch(`${base}/api/v1/search?q=${encodeURIComponent('砚岚芯大桥')}`);
      return ((await search.json()) as { items: { id: number }[] }).items.some((i) => i.id === article.id) || undefined;
    });
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('inkstone_http_request_duration_seconds');
  }, 60_000);
});
