import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';

/** Keep-alive connections: the server keeps idle ones longer than a load balancer would, and never drops one in use. */
describe('keep-alive connections', () => {
  let t: TestApp;
  let port: number;
  let auth: string;
  let articleId: number;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    auth = (await t.user('editor')).auth;
    await createChannels(t.app, (await t.user('admin')).auth);
    articleId = (await createArticle(t.app, auth)).id;
    await publish(t.app, auth, articleId);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  function call(method: string, path: string, body?: string): Promise<{ status: number; reused: boolean }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { port, host: '127.0.0.1', method, path, agent, headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('keeps an idle connection open past Node’s default 5 s, as configured', async () => {
    expect(t.app.server.keepAliveTimeout).toBe(t.config.keepAliveMs);
    expect(t.config.keepAliveMs).toBe(75_000);
    expect((await call('GET', `/api/v1/articles/${articleId}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const again = await call('PATCH', `/api/v1/articles/${articleId}`, JSON.stringify({ summary: '空闲六秒之后的修改' }));
    expect(again).toEqual({ status: 200, reused: true });
  }, 20_000);

  it('answers 10,000 sequential API calls on one connection under read load without a connection error', async () => {
    let reading = true;
    const readers = Array.from({ length: 2 }, async () => {
      let reads = 0;
      while (reading) {
        const res = await fetch(`http://127.0.0.1:${port}/a/${articleId}`);
        await res.arrayBuffer();
        reads++;
      }
      return reads;
    });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const res =
        i % 50 === 0
          ? await call('PATCH', `/api/v1/articles/${articleId}`, JSON.stringify({ summary: `第${i}次` }))
          : await call('GET', `/api/v1/articles/${articleId}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    reading = false;
    const reads = await Promise.all(readers);
    expect([...statuses]).toEqual([[200, 10_000]]);
    expect(reads.every((n) => n > 0)).toBe(true);
  }, 120_000);
});
