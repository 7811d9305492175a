/**
 * bench/search.ts's query mix against a running server, through GET /api/v1/search, one query at a time: a first
 * pass of other queries of the same kinds (new words for the server: its caches warm as a busy server's would, without
 * holding the measured queries' own pages and term counts), then the measured pass, with the server's CPU per search
 * (from /proc, so the server must run on this machine). For comparing builds on one archive: start the server of
 * each build in turn over the same data and run this against it.
 *
 *   npx tsx bench/search-http.ts --archive postgres-300000-… --base http://127.0.0.1:3000 --pid PID [--queries 1000]
 *
 * The archive names the bench:scale archive whose articles the mix is drawn from (its .json beside it under
 * INKSTONE_BENCH_CACHE); the server must serve that archive. Never part of `npm test`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { queryMix } from './search.ts';

const { values: args } = parseArgs({
  options: {
    archive: { type: 'string' },
    base: { type: 'string' },
    pid: { type: 'string' },
    cache: { type: 'string', default: process.env.INKSTONE_BENCH_CACHE ?? '/var/tmp/inkstone-bench-scale' },
    seed: { type: 'string', default: '42' },
  },
  // bench/search.ts reads its own options (--queries, --seed) from the same command line.
  strict: false,
});
if (typeof args.archive !== 'string' || typeof args.base !== 'string' || typeof args.pid !== 'string')
  throw new Error('usage: npx tsx bench/search-http.ts --archive NAME --base URL --pid PID [--queries N]');
const meta = JSON.parse(readFileSync(path.join(String(args.cache), `${args.archive}.json`), 'utf8')) as { loaded: Parameters<typeof queryMix>[0] };
const pid = Number(args.pid);
const seed = Number(args.seed);

/** The server's CPU so far, in ms (utime + stime, clock ticks of 10 ms). */
function cpuMs(): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type Query = ReturnType<typeof queryMix>[number];

const url = (q: Query) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q.input)) if (v !== undefined) p.set(k, String(v));
  return `${args.base}/api/v1/search?${p}`;
};

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function pass(queries: Query[], label: string): Promise<void> {
  const took: number[] = [];
  const byKind = new Map<string, number[]>();
  let errors = 0;
  const c0 = cpuMs();
  for (const q of queries) {
    const t = performance.now();
    const res = await fetch(url(q));
    await res.arrayBuffer();
    const ms = performance.now() - t;
    if (res.status !== 200) errors++;
    took.push(ms);
    byKind.set(q.kind, [...(byKind.get(q.kind) ?? []), ms]);
  }
  const cpu = (cpuMs() - c0) / took.length;
  const all = took.sort((a, b) => a - b);
  console.log(
    `${label}: n=${all.length} p50 ${pct(all, 50).toFixed(1)} ms, p95 ${pct(all, 95).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms; ${cpu.toFixed(1)} ms of the server's CPU a search; errors ${errors}`,
  );
  for (const [kind, list] of byKind) {
    const s = list.sort((a, b) => a - b);
    console.log(
      `  ${kind.padEnd(28)} n=${String(s.length).padStart(4)}  p50 ${pct(s, 50).toFixed(1).padStart(6)} ms  p95 ${pct(s, 95).toFixed(1).padStart(6)} ms`,
    );
  }
}

const loaded = { ...meta.loaded, loadSeconds: 0 };
await pass(queryMix(loaded, seed + 1000), 'first pass (other queries)');
await pass(queryMix(loaded, seed), 'measured');
