import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/domain/articles/service.ts';
import { worstAccepted } from '../support/hostile-bodies.ts';
import { newsroom, publishArticle, serve, type Served, processEnv } from '../support/server.ts';
import { STORES, openTestDatabase, type TestDatabase } from '../support/stores.ts';

/**
 * Security issue, High 2: readers keep being served while the worst body a reporter may send is processed. Before the
 * fix one such body froze the process for 15 s to 14 minutes. The bound asserted is that no read waits anywhere near
 * that (FROZEN_MS); the latency figure itself is a benchmark's (bench/body-complexity.ts, worst-accepted), since a
 * tight timing here measures the machine as much as Inkstone: on the 2-core VM a 2 MB body's every copy costs ~10 ms
 * of page faults, and the slowest cached read varied from 22 ms to 110 ms between days with the same code. This
 * file still runs in the `quiet` project, alone after every other test (scripts/test.sh).
 */
const FROZEN_MS = 500;
const worst = () => worstAccepted({ depth: LIMITS.bodyDepth, elements: LIMITS.bodyElements, bytes: LIMITS.bodyBytes - 160 * 1024 });

/**
 * The writer thread: alternately creates an article and edits another with the worst body, posting each status, a
 * quarter second apart (the newsroom autosaves 2 s after typing stops). Each write purges the page cache, so the next
 * read renders the page again (15-25 ms on PostgreSQL); back to back, that render would share the thread with the
 * next 2 MB request's JSON parsing, which is not what is measured here.
 */
const WRITER = `
const http = require('node:http');
const { parentPort, workerData: w } = require('node:worker_threads');
const send = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request(w.base + path, { method, headers: { ...w.auth, 'content-length': String(body.length) } }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  for (let i = 0; i < w.count; i++) {
    const status = i % 2 === 0 ? await send('POST', '/api/v1/articles', Buffer.from(w.create)) : await send('PATCH', '/api/v1/articles/' + w.targetId, Buffer.from(w.edits[(i >> 1) % 2]));
    parentPort.postMessage(status);
    await new Promise((resolve) => setTimeout(resolve, w.pauseMs));
  }
})();
`;

/** One kept-alive connection for the reader, as a browser has: a new connection per read would be measured too. */
const readerAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET or write over HTTP without parsing what comes back: the test process must not stall the reader it measures. */
function request(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer) {
  return new Promise<{ status: number; cache?: string; bytes: number }>((resolve, reject) => {
    const req = http.request(
      base + path,
      { method, agent: method === 'GET' ? readerAgent : undefined, headers: body ? { ...headers, 'content-length': String(body.length) } : headers },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode!, cache: res.headers['x-cache'] as string | undefined, bytes }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(STORES)('security: body complexity, readers while the worst body is processed, on %s', (kind) => {
  let db: TestDatabase;
  let server: Served | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await openTestDatabase(kind, { migrated: false });
    await db.database.close();
    env = processEnv(db, { INKSTONE_SECRET: 'security-body-secret-0123456789' });
  }, 60_000);

  afterAll(async () => {
    readerAgent.destroy();
    await server?.stop();
    await db.cleanup();
  });

  it('keeps answering a cached article while a reporter posts and an editor patches the worst accepted body', async () => {
    const { token } = await newsroom(env);
    server = await serve(env);
    const base = server.base;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const readerArticle = await publishArticle(base, token);
    // A draft to edit, alternating between two worst bodies so that every edit changes it.
    const target = await fetch(`${base}/api/v1/articles`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: '待修改', channel: 'difang', body: '<p>草稿</p>' }),
    });
    const targetId = ((await target.json()) as { id: number }).id;
    const html = worst();
    const create = Buffer.from(JSON.stringify({ title: '复杂正文', channel: 'difang', body: html }));
    const edits = [html, html.replace('<p>', '<p>更正：')].map((body) => Buffer.from(JSON.stringify({ body })));
    // The page is cached before the writes begin. The article's own work after its publish (search entry, related
    // reading, done by the outbox after commit) purges its page when it lands, which on a busy machine can be after the
    // first read: read until the cache answers.
    let cached = false;
    for (let i = 0; i < 100 && !cached; i++) {
      const res = await request(base, 'GET', `/a/${readerArticle}`);
      expect(res.status).toBe(200);
      cached = res.cache === 'hit';
      if (!cached) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(cached, 'the article page is served from the page cache').toBe(true);
    // The worker thread starts with the first long body; that start is measured too. Every successful write purges
    // the page cache, so the read after it renders the page again (a miss), and that is measured as well.
    const writes: number[] = [];
    let writing = true;
    // The writes run in their own thread: sending and receiving 2 MB here must not delay the reads measured here.
    const writer = new Worker(WRITER, { eval: true, workerData: { base, auth, create, edits, targetId, count: 6, pauseMs: 250 } });
    writer.on('message', (status: number) => writes.push(status));
    const written = new Promise<void>((resolve, reject) => {
      writer.once('error', reject);
      writer.once('exit', () => {
        writing = false;
        resolve();
      });
    });

    const reads: { ms: number; status: number; cache?: string }[] = [];
    while (writing) {
      const started = performance.now();
      const res = await request(base, 'GET', `/a/${readerArticle}`);
      reads.push({ ms: performance.now() - started, status: res.status, cache: res.cache });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await written;

    expect(writes).toEqual([201, 200, 201, 200, 201, 200]);
    expect(new Set(reads.map((r) => r.status))).toEqual(new Set([200]));
    expect(reads.length).toBeGreaterThan(100);
    const slowest = [...reads].sort((a, b) => b.ms - a.ms).slice(0, 5);
    const summary = `${reads.length} reads, slowest: ${slowest.map((r) => `${r.ms.toFixed(1)} ms (${r.cache})`).join(', ')}`;
    console.log(`${kind}: ${summary}`);
    expect(slowest[0]!.ms, summary).toBeLessThan(FROZEN_MS);
  }, 120_000);
});
