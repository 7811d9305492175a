import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createChannels } from '../support/factories.ts';

/**
 * A shutdown (SIGTERM → app.close()) must not wait on connections kept alive. Node's server.close() closes only the
 * connections idle at that moment: one answering a request then stayed open for the whole keep-alive timeout (75 s),
 * and one whose request never finished arriving stayed open for good — the process did not exit.
 */
describe('closing the server with connections open', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.db.cleanup();
    t = undefined;
  });

  async function listening(env: Record<string, string> = {}): Promise<{ t: TestApp; port: number; auth: string }> {
    t = await startTestApp('sqlite', env);
    const auth = (await t.user('editor')).auth;
    await createChannels(t.app, (await t.user('admin')).auth);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    return { t, port: (t.app.server.address() as AddressInfo).port, auth };
  }

  /** A raw connection: what it received, and when the server closed it. */
  function connect(port: number) {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    const ended = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    socket.on('error', () => {});
    return { socket, ended, received: () => received, ready: new Promise((resolve) => socket.once('connect', resolve)) };
  }

  const timed = async (p: Promise<unknown>) => {
    const t0 = performance.now();
    await p;
    return performance.now() - t0;
  };

  it('answers a request in flight when the close began, then closes its connection at once, not after the keep-alive timeout', async () => {
    const { t, port, auth } = await listening();
    expect(t.config.keepAliveMs).toBe(75_000);
    const body = JSON.stringify({ title: '关门前写的稿件', channel: 'keji', body: '<p>正文</p>' });
    const c = connect(port);
    await c.ready;
    // The request's head and half its body: Fastify waits for the rest.
    const half = Math.floor(body.length / 2);
    c.socket.write(
      `POST /api/v1/articles HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const closed = t.app.close();
    await new Promise((r) => setTimeout(r, 100));
    c.socket.write(body.slice(half));
    const closeMs = await timed(closed);
    await c.ended;
    // The article was written and its answer arrived whole before the connection closed.
    expect(c.received()).toMatch(/^HTTP\/1\.1 201 /);
    expect(c.received()).toContain('关门前写的稿件');
    expect(c.received().toLowerCase()).toContain('connection: close');
    expect(closeMs).toBeLessThan(3_000);
  }, 20_000);

  it('cuts a connection whose request never finishes arriving once the grace period is over', async () => {
    const { t, port, auth } = await listening({ INKSTONE_SHUTDOWN_TIMEOUT: '1' });
    expect(t.config.shutdownMs).toBe(1_000);
    const c = connect(port);
    await c.ready;
    c.socket.write(
      `POST /api/v1/articles HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"title":`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const closeMs = await timed(t.app.close());
    expect(closeMs).toBeGreaterThanOrEqual(900);
    expect(closeMs).toBeLessThan(3_000);
    await c.ended;
  }, 20_000);

  it('closes a busy connection after its answer: a request sent behind it is left for the client to send again', async () => {
    const { t, port, auth } = await listening();
    const c = connect(port);
    await c.ready;
    // A first request still arriving holds the connection busy while the close begins; a second is sent behind it.
    const body = JSON.stringify({ title: '第一篇', channel: 'keji', body: '<p>正文</p>' });
    c.socket.write(
      `POST /api/v1/articles HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const closed = t.app.close();
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write(
      `${body.slice(5)}POST /api/v1/articles HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await closed;
    await c.ended;
    // One answer, which told the client the connection ends; the second request was not half-done: no second article.
    const answers = c.received().split(/(?=HTTP\/1\.1 \d{3} )/);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 201 /);
    expect(answers[0]!.toLowerCase()).toContain('connection: close');
    const rows = await t.db.database.db.selectFrom('articles').select('id').where('title', '=', '第一篇').execute();
    expect(rows).toHaveLength(1);
  }, 20_000);

  it('leaves nothing running once closed, listening or not (tests close hundreds of apps that never listened)', async () => {
    let sweeps = 0;
    const sweep = http.Server.prototype.closeIdleConnections;
    http.Server.prototype.closeIdleConnections = function (this: http.Server) {
      sweeps++;
      return sweep.call(this);
    };
    try {
      const never = await startTestApp('sqlite');
      await never.close();
      const { t: listened } = await listening();
      await listened.app.close();
      sweeps = 0;
      await new Promise((r) => setTimeout(r, 500));
      expect(sweeps).toBe(0);
    } finally {
      http.Server.prototype.closeIdleConnections = sweep;
    }
  });
});
