/**
 * Hostile article bodies through the whole API path of a real `inkstone serve` process (SQLite): how long a
 * reporter's POST /api/v1/articles takes, what it answers, how big the stored body is, and the slowest answer a
 * reader got for a cached article page meanwhile. Never part of `npm test`.
 *
 *   npx tsx bench/body-complexity.ts [--cases nested-128k,tag-heavy-1.5mb,empty-paragraphs,worst-accepted]
 *
 * On the 2-core development machine (POST time; stored size; slowest cached-page read meanwhile):
 *   before   nested-128k 16.8 s, 2.30 MB stored, 16.8 s | tag-heavy-1.5mb 823 s, 8.50 MB, 823 s |
 *            empty-paragraphs 8.5 s, 1.50 MB, 8.5 s | worst-accepted 14.7 s, 2.08 MB, 14.7 s
 *   after    nested-128k 400 too_complex 0.39 s (first use starts the worker), 12 ms | tag-heavy-1.5mb 400 0.04 s,
 *            16 ms | empty-paragraphs 0.67 s, 1.50 MB, 41 ms | worst-accepted 0.37 s, 2.08 MB, 22 ms
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LIMITS } from '../src/domain/articles/service.ts';
import { emptyParagraphs, nested128k, tagHeavy1_5MB, worstAccepted } from '../test/support/hostile-bodies.ts';
import { newsroom, publishArticle, serve } from '../test/support/server.ts';

const cases: Record<string, () => string> = {
  'nested-128k': nested128k,
  'tag-heavy-1.5mb': tagHeavy1_5MB,
  'empty-paragraphs': () => emptyParagraphs(40_000),
  'worst-accepted': () => worstAccepted({ depth: LIMITS.bodyDepth, elements: LIMITS.bodyElements, bytes: LIMITS.bodyBytes - 160 * 1024 }),
};
const { values: args } = parseArgs({ options: { cases: { type: 'string', default: Object.keys(cases).join(',') } } });

const agent = new http.Agent({ keepAlive: false });
/** node:http rather than fetch: undici gives up on a response after 300 s, and the old code takes longer. */
function request(base: string, method: string, url: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request(base + url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-'));
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  INKSTONE_DATA_DIR: dir,
  INKSTONE_DEMO: '0',
  INKSTONE_SECRET: 'bench-secret-0123456789abcdef',
  LOG_LEVEL: 'warn',
};
const { token } = await newsroom(env);
const server = await serve(env);
try {
  const id = await publishArticle(server.base, token);
  await request(server.base, 'GET', `/a/${id}`);
  const warm = await request(server.base, 'GET', `/a/${id}`);
  console.log(`cached article /a/${id}: x-cache ${warm.headers['x-cache']}`);
  for (const name of args.cases.split(',')) {
    const body = cases[name]!();
    let reading = true;
    let reads = 0;
    let slowest = 0;
    const reader = (async () => {
      while (reading) {
        const t = performance.now();
        const r = await request(server.base, 'GET', `/a/${id}`);
        slowest = Math.max(slowest, performance.now() - t);
        if (r.status === 200) reads++;
        // The page cache is purged by every successful write: a miss renders it again, which is still fast.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const started = performance.now();
    const res = await request(
      server.base,
      'POST',
      '/api/v1/articles',
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      JSON.stringify({ title: `复杂正文 ${name}`, channel: 'difang', body }),
    );
    const ms = performance.now() - started;
    reading = false;
    await reader;
    let stored = '-';
    if (res.status === 201) {
      const created = JSON.parse(res.text) as { id: number };
      const got = await request(server.base, 'GET', `/api/v1/articles/${created.id}`, { authorization: `Bearer ${token}` });
      stored = `${(Buffer.byteLength((JSON.parse(got.text) as { body: string }).body, 'utf8') / 1e6).toFixed(2)} MB`;
    }
    const answer = res.status === 201 ? '201' : `${res.status} ${res.text.slice(0, 120)}`;
    console.log(
      `${name}: input ${(Buffer.byteLength(body, 'utf8') / 1e6).toFixed(2)} MB → ${answer} in ${(ms / 1000).toFixed(2)} s; stored ${stored}; reader: ${reads} pages, slowest ${slowest.toFixed(1)} ms`,
    );
  }
} finally {
  agent.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
