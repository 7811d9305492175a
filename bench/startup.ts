/**
 * Start-up benchmark (issue #12: start-up < 2 s, RSS < 300 MB idle): spawns `inkstone serve` as an operator would and
 * times process spawn → first 200 on /healthz and on / (the home page, rendered), then the process's RSS after 3 s idle.
 * Never part of `npm test`.
 *
 *   npx tsx bench/startup.ts [--how tsx|built|both] [--runs 5] [--archive none|latest|DIR] [--cpu-prof DIR]
 *
 * `tsx` runs the sources through tsx's loader (what `npm start` did before the build); `built` runs `bin/inkstone.js`
 * (dist/, built first when stale: that build is timed apart). The demo site: a fresh data folder, whose first start
 * (migrations, demo content) is timed apart, then `--runs` restarts. `--archive latest` also times restarts over a
 * copy of the newest SQLite archive bench/scale.ts cached under /var/tmp/inkstone-bench-scale (INKSTONE_BENCH_CACHE);
 * the copy is started once untimed (it may apply newer migrations), and the server's backlog (search documents,
 * related reading of articles never analysed) runs after it listens, so the idle RSS over an archive includes that work
 * unless `--warm SECONDS` gave the untimed start time to finish it.
 * `--cpu-prof DIR` writes a V8 CPU profile of each timed start (node --cpu-prof; stopped by SIGINT after the home page).
 *
 * Memory under load (`--load SECONDS`, with an archive): the built server over the archive copy, wrk (32 connections)
 * over a reader mix — random published articles (mostly uncached), the home page, every channel, searches for common
 * words and some 繁 pages — while the process's RSS is sampled twice a second; once per `--page-cache-mb` value
 * (comma-separated, e.g. 256,64). Prints the highest RSS and the requests served.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { freePort } from '../test/support/net.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    how: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '5' },
    archive: { type: 'string', default: 'latest' },
    'cpu-prof': { type: 'string' },
    load: { type: 'string', default: '0' },
    warm: { type: 'string', default: '0' },
    'page-cache-mb': { type: 'string', default: '' },
    work: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new Error('--runs: 1 to 50');
if (!['tsx', 'built', 'both'].includes(args.how!)) throw new Error('--how: tsx, built or both');
const HOWS = (args.how === 'both' ? ['tsx', 'built'] : [args.how]) as How[];
const PROFILES = args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined;
type How = 'tsx' | 'built';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** RSS of a process and its descendants (piscina threads are in the process; cluster workers would be children). */
function rssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let kb = 0;
  const walk = (p: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return kb / 1024;
}

interface Start {
  healthzMs: number;
  homeMs: number;
  /** CPU time (user + system) the server had used when its home page answered: steadier than wall time on a busy machine. */
  cpuMs: number;
  rssMb: number;
}

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

async function startOnce(
  how: How,
  dataDir: string,
  env: Record<string, string>,
  profile?: string,
  during?: (base: string, pid: number) => Promise<void>,
): Promise<Start> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const prof = profile ? ['--cpu-prof', '--cpu-prof-dir', path.dirname(profile), '--cpu-prof-name', path.basename(profile)] : [];
  const argv =
    how === 'tsx' ? [...prof, '--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve'] : [...prof, path.join(root, 'bin/inkstone.js'), 'serve'];
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      INKSTONE_DATA_DIR: dataDir,
      INKSTONE_SECRET: 'bench-secret-0123456789abcdef',
      INKSTONE_ADMIN_PASSWORD: 'bench admin password',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const until = async (url: string) => {
    for (const deadline = Date.now() + 300_000; ; ) {
      if (child.exitCode !== null) throw new Error(`inkstone serve exited ${child.exitCode}: ${stderr}`);
      const ok = await fetch(url).then(
        async (r) => (await r.arrayBuffer(), r.status === 200),
        () => false,
      );
      if (ok) return performance.now() - t0;
      if (Date.now() > deadline) throw new Error(`no 200 from ${url} in 300 s: ${stderr}`);
      await sleep(5);
    }
  };
  try {
    const healthzMs = await until(`${base}/healthz`);
    const homeMs = await until(`${base}/`);
    const cpu = cpuMs(child.pid!);
    await sleep(3000);
    const idle = rssMb(child.pid!);
    await during?.(base, child.pid!);
    return { healthzMs, homeMs, cpuMs: cpu, rssMb: idle };
  } finally {
    // SIGINT: the server closes cleanly, and node writes the CPU profile on the way out.
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  }
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)]!;
const f0 = (n: number) => n.toFixed(0);
const rows: string[][] = [];

async function series(label: string, how: How, dataDir: string, env: Record<string, string>) {
  const runs: Start[] = [];
  for (let i = 0; i < RUNS; i++) {
    const profile = PROFILES ? path.join(PROFILES, `${label.replace(/\W+/g, '-')}-${how}-${i + 1}.cpuprofile`) : undefined;
    runs.push(await startOnce(how, dataDir, env, profile));
  }
  const min = (k: keyof Start) => Math.min(...runs.map((r) => r[k]));
  const med = (k: keyof Start) => median(runs.map((r) => r[k]));
  rows.push([
    label,
    how,
    `${f0(med('healthzMs'))} (${f0(min('healthzMs'))})`,
    `${f0(med('homeMs'))} (${f0(min('homeMs'))})`,
    `${f0(med('cpuMs'))} (${f0(min('cpuMs'))})`,
    f0(med('rssMb')),
  ]);
  console.log(rows.at(-1)!.join(' | '));
}

const label = (archive: string) => `archive ${path.basename(archive)}`;

function latestArchive(): string | undefined {
  const cache = process.env.INKSTONE_BENCH_CACHE ?? '/var/tmp/inkstone-bench-scale';
  if (!existsSync(cache)) return undefined;
  const dirs = readdirSync(cache)
    .filter((d) => d.startsWith('sqlite-') && existsSync(path.join(cache, d, 'inkstone.db')))
    .map((d) => path.join(cache, d))
    .sort((a, b) => statSync(path.join(b, 'inkstone.db')).mtimeMs - statSync(path.join(a, 'inkstone.db')).mtimeMs);
  return dirs[0];
}

// --work DIR keeps the data folders (and the archive copy, with what its backlog did) for the next run.
const scratch = args.work ? path.resolve(args.work) : mkdtempSync(path.join(os.tmpdir(), 'inkstone-startup-'));
mkdirSync(scratch, { recursive: true });
try {
  if (PROFILES) mkdirSync(PROFILES, { recursive: true });
  console.log(`${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}, node ${process.version}; ${RUNS} runs each; ms as median (best)`);
  if (HOWS.includes('built')) {
    // What a newcomer's first `npm start` pays once; later starts find dist/ up to date.
    const t0 = performance.now();
    const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.js')], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
    console.log(`build (npm run build): ${f0(performance.now() - t0)} ms`);
  }
  console.log('site | how | spawn → /healthz ms | spawn → home ms | CPU ms until home | RSS idle MB');
  for (const how of HOWS) {
    const demoDir = path.join(scratch, `demo-${how}`);
    rmSync(demoDir, { recursive: true, force: true });
    const first = await startOnce(how, demoDir, {});
    rows.push(['demo, first start (migrations + demo content)', how, f0(first.healthzMs), f0(first.homeMs), f0(first.cpuMs), f0(first.rssMb)]);
    console.log(rows.at(-1)!.join(' | '));
    await series('demo site', how, demoDir, {});
  }
  const archive = args.archive === 'none' ? undefined : args.archive === 'latest' ? latestArchive() : path.resolve(args.archive!);
  if (archive) {
    const dataDir = path.join(scratch, 'archive');
    mkdirSync(dataDir, { recursive: true });
    if (!existsSync(path.join(dataDir, 'inkstone.db'))) copyFileSync(path.join(archive, 'inkstone.db'), path.join(dataDir, 'inkstone.db'));
    // Untimed: newer migrations, and (for --warm seconds) the background backlog of a cache built with a sample index.
    await startOnce(HOWS[0]!, dataDir, { INKSTONE_DEMO: '0' }, undefined, () => sleep(Number(args.warm) * 1000));
    for (const how of HOWS) await series(label(archive), how, dataDir, { INKSTONE_DEMO: '0' });
  }
  const LOAD = Number(args.load);
  if (archive && LOAD > 0) {
    const dataDir = path.join(scratch, 'archive');
    const db = new SQLite(path.join(dataDir, 'inkstone.db'), { readonly: true });
    const ids = db.prepare(`select id from articles where status = 'published' and deleted_at is null order by random() limit 5000`).pluck().all() as number[];
    const channels = db.prepare('select path from channels').pluck().all() as string[];
    db.close();
    const words = ['经济', '城市', '发展', '学校', '地铁', '医院', '文化', '科技'];
    const mix = [
      ...ids.map((id) => `/a/${id}`),
      ...ids.slice(0, 100).map((id) => `/zh-hant/a/${id}`),
      ...Array(200).fill('/'),
      ...channels.flatMap((c) => Array(10).fill(`/c/${c}`)),
      ...words.flatMap((w) => Array(20).fill(`/search?q=${encodeURIComponent(w)}`)),
    ];
    const script = path.join(scratch, 'mix.lua');
    writeFileSync(
      script,
      `local paths = {${mix.map((p) => JSON.stringify(p)).join(',')}}\nrequest = function() return wrk.format("GET", paths[math.random(#paths)]) end\n`,
    );
    for (const mbValue of (args['page-cache-mb'] || '256').split(',')) {
      let max = 0;
      let served = '';
      const env = { INKSTONE_DEMO: '0', ...(mbValue ? { INKSTONE_PAGE_CACHE_MB: mbValue } : {}) };
      const idle = await startOnce('built', dataDir, env, undefined, async (base, pid) => {
        const timer = setInterval(() => (max = Math.max(max, rssMb(pid))), 500);
        // Asynchronously, so the RSS timer keeps sampling while wrk runs.
        const out = await new Promise<string>((resolve, reject) => {
          const wrk = spawn('wrk', ['-t', '1', '-c', '32', '-d', `${LOAD}s`, '--timeout', '10s', '-s', script, base], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          wrk.stdout.on('data', (d) => (stdout += String(d)));
          wrk.on('error', reject);
          wrk.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error('wrk failed (apt-get install wrk)'))));
        });
        clearInterval(timer);
        served = `${/(\d+) requests in/.exec(out)?.[1]} requests, ${/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]}/s, non-2xx ${/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0}`;
      });
      console.log(
        `memory under load, INKSTONE_PAGE_CACHE_MB=${mbValue}: RSS idle ${f0(idle.rssMb)} MB, highest under load ${f0(max)} MB (${LOAD} s: ${served})`,
      );
      rows.push([`${label(archive)} under load ${LOAD} s, page cache ${mbValue} MB`, 'built', '—', '—', '—', `${f0(idle.rssMb)} idle, ${f0(max)} highest`]);
    }
  }
  console.log('\n| site | how | spawn → /healthz ms | spawn → home ms | CPU ms until home | RSS idle MB |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  if (!args.work) rmSync(scratch, { recursive: true, force: true });
}
