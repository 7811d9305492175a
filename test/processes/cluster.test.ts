import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newsroom, processEnv, serve, type Served } from '../support/server.ts';
import { dataOf, openSse } from '../support/sse.ts';
import { neverFinishedRequest } from '../support/net.ts';
import { waitFor } from '../support/wait.ts';

/** Two app processes behind one port (INKSTONE_WORKERS=2): cached pages, and edits purge every worker's cache. */
describe('serve with two workers', () => {
  let dir: string;
  let server: Served;
  let base: string;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-cluster-'));
    const env = processEnv(
      { dataDir: dir, databaseUrl: undefined },
      { INKSTONE_ADMIN_PASSWORD: 'cluster-admin-1', INKSTONE_WORKERS: '2', INKSTONE_SHUTDOWN_TIMEOUT: '2' },
    );
    ({ token } = await newsroom(env));
    server = await serve(env);
    base = server.base;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: string, url: string, body?: unknown) =>
    fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json());

  it('serves pages from every worker cache and purges them all on an edit', async () => {
    await api('POST', '/api/v1/channels', { slug: 'difang', name: '地方频道' });
    const { id } = await api('POST', '/api/v1/articles', { title: '初版标题', channel: 'difang', body: '<p>正文</p>' });
    // Two processes write the same SQLite file (the other one's outbox, say): the publish must not fail for it.
    expect((await api('POST', `/api/v1/articles/${id}/publish`)).status).toBe('published');
    const titles = async () => {
      const pages = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${base}/a/${id}`).then(async (r) => ({
            cache: r.headers.get('x-cache'),
            html: await r.text(),
            csp: r.headers.get('content-security-policy'),
          })),
        ),
      );
      return pages;
    };
    const warm = await titles();
    expect(warm.every((p) => p.html.includes('初版标题'))).toBe(true);
    const again = await titles();
    expect(again.some((p) => p.cache === 'hit')).toBe(true);
    expect(again.every((p) => p.csp?.includes("script-src 'self'"))).toBe(true);
    await api('PATCH', `/api/v1/articles/${id}`, { title: '更正后的标题' });
    // The other worker hears of the edit over IPC a moment later; 5 s is far inside the 60 s page TTL, so a lost purge still fails.
    await waitFor(async () => (await titles()).every((p) => p.html.includes('更正后的标题')), {
      timeout: 5_000,
      message: 'every worker to serve the new title',
    });
    const after = await titles();
    expect(after.every((p) => p.html.includes('更正后的标题'))).toBe(true);
  });

  it('delivers a live entry posted through one worker to streams held by both (the primary relays it)', async () => {
    const { id } = await api('POST', '/api/v1/articles', { title: '两个工作进程的图文直播', channel: 'difang', body: '<p>正文</p>' });
    await api('POST', `/api/v1/articles/${id}/publish`);
    await api('PUT', `/api/v1/articles/${id}/live`, { status: 'live' });
    // The primary hands connections to the workers in turn: six streams land on both.
    const streams = await Promise.all(Array.from({ length: 6 }, () => openSse(`${base}/a/${id}/live/events`)));
    try {
      await Promise.all(streams.map((s) => s.waitFor(1)));
      const entry = await api('POST', `/api/v1/articles/${id}/live/entries`, { body: '每个工作进程的读者都收到。' });
      await waitFor(() => streams.every((s) => s.events.some((e) => e.event === 'entry' && dataOf(e).entry.id === entry.id)), {
        timeout: 2_000,
        message: 'the entry on every stream',
      });
    } finally {
      for (const s of streams) s.close();
    }
  });

  // Last: it stops the server.
  it('stops on SIGTERM with live streams open and a request still arriving: the primary and both workers exit in time', async () => {
    const { id } = await api('POST', '/api/v1/articles', { title: '停机时仍在直播', channel: 'difang', body: '<p>正文</p>' });
    await api('POST', `/api/v1/articles/${id}/publish`);
    await api('PUT', `/api/v1/articles/${id}/live`, { status: 'live' });
    const streams = await Promise.all(Array.from({ length: 4 }, () => openSse(`${base}/a/${id}/live/events`)));
    await Promise.all(streams.map((s) => s.waitFor(1)));
    const socket = await neverFinishedRequest(base, token);
    const primary = server.child.pid!;
    // The workers: the primary's children (bin → primary: the CLI runs in the process it was started as).
    const workers = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(primary);
        } catch {
          return false;
        }
      });
    expect(workers.length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    const t0 = performance.now();
    server.child.kill('SIGTERM');
    const code = await exited;
    const ms = performance.now() - t0;
    socket.destroy();
    for (const s of streams) s.close();
    expect(code).toBe(0);
    // INKSTONE_SHUTDOWN_TIMEOUT=2: the sending client is cut after 2 s.
    expect(ms).toBeLessThan(8_000);
    // Gone, or a zombie left for init to reap: not running.
    const running = (pid: string) => {
      try {
        return existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
      } catch {
        return false;
      }
    };
    await waitFor(() => !workers.some(running), { timeout: 5_000, message: 'both workers gone' });
  }, 40_000);
});
