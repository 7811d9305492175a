/**
 * bench:scale's writes under readers' load against a running server: wrk reads the site (its reader mix: home page,
 * channel pages, hot and random articles; 8 connections, one thread) while create → edit → publish cycles run through
 * the API, one request at a time; prints p50 / p95 of each kind and the readers' rate. For comparing builds on one
 * archive: start the server of each build in turn over the same data, and alternate them.
 *
 *   npx tsx bench/writes-http.ts --archive postgres-300000-… --base http://127.0.0.1:3000 [--seconds 20] [--pace-ms 200]
 *
 * --pace-ms N: a cycle starts every N ms at most (200: 5 cycles a second, the writer of the issue). Without it cycles
 * run back to back as in bench:scale, where a faster writer also makes more work (search entries, related reading)
 * for the seconds measured, so codes compare better paced.
 *
 * The archive names the bench:scale archive (its .json beside it under INKSTONE_BENCH_CACHE: the API token, the
 * channels, the articles to read); the server must serve that archive, and keeps the articles written. Needs wrk.
 * Never part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    archive: { type: 'string' },
    base: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    'pace-ms': { type: 'string', default: '0' },
    cache: { type: 'string', default: process.env.INKSTONE_BENCH_CACHE ?? '/var/tmp/inkstone-bench-scale' },
  },
});
if (typeof args.archive !== 'string' || typeof args.base !== 'string') {
  throw new Error('usage: npx tsx bench/writes-http.ts --archive NAME --base URL [--seconds 20] [--pace-ms 200]');
}
const base = args.base;
const seconds = Number(args.seconds);
const paceMs = Number(args['pace-ms']);
const meta = JSON.parse(readFileSync(path.join(String(args.cache), `${args.archive}.json`), 'utf8')) as {
  token: string;
  leafChannel: string;
  channels: string[];
  hot: number[];
  randomPublished: number[];
};

// bench:scale's reader mix (bench/scale.ts, readerMix), read once first so that its pages are in the page cache.
const hot = meta.hot.slice(-50).map((id) => `/a/${id}`);
const mix = [...Array(10).fill('/'), ...meta.channels.map((c) => `/c/${c}`), ...hot, ...hot, ...meta.randomPublished.slice(0, 200).map((id) => `/a/${id}`)];
for (const p of mix) await (await fetch(base + p)).arrayBuffer();

const script = path.join(os.tmpdir(), `inkstone-writes-http-${process.pid}.lua`);
writeFileSync(
  script,
  `local paths = {${mix.map((p) => JSON.stringify(p)).join(',')}}\nrequest = function() return wrk.format("GET", paths[math.random(#paths)]) end\n`,
);
const wrk = spawn('wrk', ['-t1', '-c8', `-d${seconds}s`, '--latency', '-s', script, `${base}/`], { stdio: ['ignore', 'pipe', 'inherit'] });
let wrkOut = '';
wrk.stdout.on('data', (d) => (wrkOut += String(d)));
const wrkDone = new Promise((resolve) => wrk.on('exit', resolve));

interface Answer {
  id: number;
  revision: number;
}

async function call(method: string, url: string, body: unknown, revision?: number): Promise<{ json: Answer; ms: number }> {
  const t = performance.now();
  const res = await fetch(base + url, {
    method,
    headers: {
      authorization: `Bearer ${meta.token}`,
      'content-type': 'application/json',
      ...(revision === undefined ? {} : { 'if-match': `"${revision}"` }),
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Answer;
  if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(json)}`);
  return { json, ms: performance.now() - t };
}

const sentence = '记者从现场发回报道，城市轨道交通新线路今日开通试运营，市民纷纷前往体验，车站秩序井然。';
const body = (n: number, extra = '') => Array.from({ length: 6 }, (_, p) => `<p>${sentence.repeat(2)}第${n}篇第${p + 1}段。</p>`).join('') + extra;
const times = { create: [] as number[], edit: [] as number[], publish: [] as number[] };

await new Promise((resolve) => setTimeout(resolve, 500));
const stopAt = Date.now() + (seconds - 1) * 1000;
let next = Date.now();
for (let n = 1; Date.now() < stopAt; n++) {
  if (paceMs > 0) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    next = Math.max(next + paceMs, Date.now());
  }
  const word = `writebench${Date.now().toString(36)}${n}`;
  const created = await call('POST', '/api/v1/articles', {
    title: `写入测试第${n}篇 ${word}`,
    channel: meta.leafChannel,
    body: body(n),
    tags: ['规模测试', word],
  });
  times.create.push(created.ms);
  const edited = await call('PATCH', `/api/v1/articles/${created.json.id}`, { body: body(n, '<p>更新。</p>'), summary: '更新后的摘要' }, created.json.revision);
  times.edit.push(edited.ms);
  const published = await call('POST', `/api/v1/articles/${created.json.id}/publish`, {}, edited.json.revision);
  times.publish.push(published.ms);
}
await wrkDone;
rmSync(script, { force: true });

const pct = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const kinds = Object.entries(times).map(([kind, list]) => `${kind} p50 ${pct(list, 50).toFixed(0)} / p95 ${pct(list, 95).toFixed(0)} ms`);
const rate = /Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1];
const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(wrkOut)?.[0];
console.log(`${times.create.length} cycles: ${kinds.join(', ')}; readers ${rate} req/s${errors ? ` (${errors})` : ''}`);
