import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINGER } from '../../src/web/linger.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

interface Sent {
  response: string;
  writeError?: string;
  written: number;
}

/** Sends a request head and then `total` bytes of body over a raw socket, as fast as the server takes them. */
function upload(port: number, head: string, total: number, prefix = ''): Promise<Sent> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let writeError: string | undefined;
    let written = 0;
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('error', (e) => (writeError ??= (e as NodeJS.ErrnoException).code));
    socket.on('close', () => resolve({ response, writeError, written }));
    socket.write(head + prefix);
    const chunk = Buffer.alloc(256 * 1024, 0x41);
    const pump = () => {
      while (written < total && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      // Everything sent and the answer read: a client that keeps its connection would go on; this one hangs up.
      const done = () => (response.includes('\r\n\r\n') ? socket.end() : setTimeout(done, 20));
      done();
    };
    pump();
  });
}

describe('refused request bodies reach the client as answers, not as reset connections', () => {
  const MEDIA_LIMIT = 1024 * 1024;
  let t: TestApp;
  let port: number;
  let auth: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { INKSTONE_MEDIA_MAX_BYTES: String(MEDIA_LIMIT) });
    auth = (await t.user('editor')).auth;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('a JSON body over the limit: the client sends it all and reads the 413', async () => {
    const total = 24 * 1024 * 1024;
    const sent = await upload(
      port,
      `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`,
      total,
    );
    expect(sent.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent.response).toContain('"code":"payload_too_large"');
    expect(sent.writeError).toBeUndefined();
    expect(sent.written).toBe(total);
  });

  it('an upload over the limit: the same, while the server stops storing at the limit', async () => {
    const total = 16 * 1024 * 1024;
    const boundary = 'b0undary';
    const prefix = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const head = `POST /api/v1/media HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    // Chunked framing: one chunk header for the whole stream keeps the raw writes simple.
    const sent = await upload(port, head + `${(prefix.length + total).toString(16)}\r\n`, total, prefix);
    expect(sent.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent.writeError).toBeUndefined();
  });

  it('Node’s fetch gets the 413 of an oversized body', async () => {
    const body = JSON.stringify({ title: 'x', channel: 'difang', body: 'x'.repeat(12 * 1024 * 1024) });
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/articles`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('reads no more than its bound of a refused body before hanging up', async () => {
    const total = LINGER.bytes + 32 * 1024 * 1024;
    const sent = await upload(
      port,
      `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`,
      total,
    );
    expect(sent.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent.written).toBeLessThan(total);
  });
});
