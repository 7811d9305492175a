/**
 * Two builds' uncached article renders compared on one archive at the same time: two servers (say the base commit's and
 * this one's, each with INKSTONE_PAGE_CACHE_MB=0, over the same data) answer the same random articles in turn, one
 * request at a time, and each server's CPU per render is read from /proc. On a shared machine whose speed drifts by more
 * than a change's effect between two runs, a pair measured together still compares. Run it again with the servers
 * swapped (which answers first can matter). Never part of `npm test`.
 *
 *   npx tsx bench/paired-renders.ts --a http://127.0.0.1:3991 --a-pid PID --b http://127.0.0.1:3992 --b-pid PID \
 *     [--renders 10000] [--warmup 2000] [--pairs 1]
 *
 * The articles: the paths in server A's first article sitemap shard (/sitemap.xml → /sitemap-articles-0.xml), shuffled.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    'a-pid': { type: 'string' },
    b: { type: 'string' },
    'b-pid': { type: 'string' },
    renders: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '2000' },
    pairs: { type: 'string', default: '1' },
  },
});
if (!args.a || !args.b || !args['a-pid'] || !args['b-pid'])
  throw new Error('usage: npx tsx bench/paired-renders.ts --a URL --a-pid PID --b URL --b-pid PID [--renders N] [--warmup N] [--pairs N]');

/** utime + stime of a process (every thread), in ms; the kernel counts in ticks of 1/100 s on Linux. */
function cpuMs(pid: string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Server {
  url: URL;
  pid: string;
  agent: http.Agent;
}
const servers: [Server, Server] = [
  { url: new URL(args.a), pid: args['a-pid'], agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) },
  { url: new URL(args.b), pid: args['b-pid'], agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) },
];

/** `compressed`: asked as a browser asks (the renders); the sitemaps are read as plain text. */
function get(server: Server, path: string, compressed = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: server.url.hostname, port: server.url.port, path, agent: server.agent, headers: compressed ? { 'accept-encoding': 'br, gzip' } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      )
      .on('error', reject);
  });
}

const locs = (xml: string) => [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]!).pathname);
const shard = locs((await get(servers[0], '/sitemap.xml')).body).find((p) => p.includes('articles'));
if (!shard) throw new Error('server A has no article sitemap shard');
const paths = locs((await get(servers[0], shard)).body);
for (let i = paths.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [paths[i], paths[j]] = [paths[j]!, paths[i]!];
}

let next = 0;
async function round(count: number, order: readonly Server[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const path = paths[next++ % paths.length]!;
    for (const server of order) {
      const { status } = await get(server, path, true);
      if (status !== 200) throw new Error(`${server.url.origin}${path}: ${status}`);
    }
  }
}

const renders = Number(args.renders);
console.log(`${paths.length} articles; ${renders} renders each per pair, after ${args.warmup} to warm up`);
await round(Number(args.warmup), servers);
for (let pair = 0; pair < Number(args.pairs); pair++) {
  // Each pair alternates which server answers first.
  const order = pair % 2 === 0 ? servers : ([servers[1], servers[0]] as const);
  const before = servers.map((s) => cpuMs(s.pid));
  await round(renders, order);
  const per = servers.map((s, i) => (cpuMs(s.pid) - before[i]!) / renders);
  console.log(
    `pair ${pair + 1} (${order[0] === servers[0] ? 'A' : 'B'} first): A ${per[0]!.toFixed(3)} ms, B ${per[1]!.toFixed(3)} ms of CPU a render; B − A ${(per[1]! - per[0]!).toFixed(3)} ms`,
  );
}
for (const s of servers) s.agent.destroy();
