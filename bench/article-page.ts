/**
 * The article page against nginx serving the same bytes as a static file, in one run on this machine:
 * requests/s and latency at 50 connections (DESIGN.md section 6: ≥ 50 % of nginx, p99 < 20 ms), and the
 * page's transferred size (HTML + CSS + JS, gzip).
 *
 *   npx tsx bench/article-page.ts            (needs Debian's nginx and wrk)
 *   INKSTONE_WORKERS=2 npx tsx bench/article-page.ts   to run two app processes
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort, startInkstone, wrk } from './support.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-'));

const app = await startInkstone({
  INKSTONE_DATA_DIR: path.join(dir, 'data'),
  INKSTONE_ADMIN_PASSWORD: 'bench-password-1',
  INKSTONE_WORKERS: process.env.INKSTONE_WORKERS ?? '1',
});
try {
  const feed = await fetch(`${app.base}/api/v1/feed?limit=50`).then((r) => r.json() as Promise<{ items: { id: number }[] }>);
  // The longest demo article: the heaviest page a reader gets.
  let best = { id: 0, bytes: 0, html: '' };
  for (const { id } of feed.items) {
    const html = await fetch(`${app.base}/a/${id}`).then((r) => r.text());
    if (html.length > best.bytes) best = { id, bytes: html.length, html };
  }
  const url = `${app.base}/a/${best.id}`;
  const html = await fetch(url).then((r) => r.text());
  const assets = [...html.matchAll(/(?:href|src)="(\/assets\/(?:app|site)\.[0-9a-f]+\.(?:js|css))"/g)].map((m) => m[1]!);
  let transferred = gzipSync(html).length;
  for (const a of assets) transferred += (await fetch(app.base + a, { headers: { 'accept-encoding': 'gzip' } }).then((r) => r.arrayBuffer())).byteLength;

  // nginx serves the very bytes our server sends for that URL.
  const www = path.join(dir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(path.join(www, 'article.html'), html);
  const nginxPort = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `user root; worker_processes auto; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000; types { text/html html; }
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${nginxPort}; root ${www}; } }`,
  );
  const nginx = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  try {
    await fetch(url); // warm the page cache
    const ours = wrk(url, { seconds });
    const theirs = wrk(`http://127.0.0.1:${nginxPort}/article.html`, { seconds });
    const ratio = ours.requestsPerSecond / theirs.requestsPerSecond;
    console.log(`article /a/${best.id}: ${html.length} bytes of HTML; HTML+CSS+JS transferred (gzip): ${(transferred / 1024).toFixed(1)} KB`);
    console.log(
      `inkstone: ${ours.requestsPerSecond.toFixed(0)} req/s, p50 ${ours.p50Ms.toFixed(2)} ms, p99 ${ours.p99Ms.toFixed(2)} ms, errors ${ours.errors}`,
    );
    console.log(
      `nginx:    ${theirs.requestsPerSecond.toFixed(0)} req/s, p50 ${theirs.p50Ms.toFixed(2)} ms, p99 ${theirs.p99Ms.toFixed(2)} ms, errors ${theirs.errors}`,
    );
    console.log(`ratio: ${(ratio * 100).toFixed(1)} % of nginx (target ≥ 50 %), p99 ${ours.p99Ms < 20 ? 'meets' : 'misses'} < 20 ms`);
  } finally {
    nginx.kill('SIGTERM');
    spawnSync('sleep', ['0.3']);
  }
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
