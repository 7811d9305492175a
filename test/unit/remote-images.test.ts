import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaFolder } from '../../src/domain/media/files.ts';
import { RemoteRefusal } from '../../src/domain/media/remote.ts';
import { GuardedImageFetcher, isPublicAddress } from '../../src/outbound/guarded-fetch.ts';

const IMAGE = Buffer.from('GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;', 'latin1');

let server: http.Server;
let port: number;
let folder: MediaFolder;
let dir: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/img.gif') return res.writeHead(200, { 'content-type': 'image/gif' }).end(IMAGE);
    if (u.pathname === '/headers') return res.writeHead(200).end(JSON.stringify(req.headers));
    if (u.pathname === '/to') return res.writeHead(302, { location: u.searchParams.get('u')! }).end();
    if (u.pathname === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (u.pathname === '/big') return res.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000));
    if (u.pathname === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
      return res.end();
    }
    if (u.pathname === '/slow') return setTimeout(() => res.writeHead(200).end(IMAGE), 3000);
    if (u.pathname === '/404') return res.writeHead(404).end();
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-guard-'));
  folder = new MediaFolder(dir);
  await folder.prepare();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const local = `http://127.0.0.1:${'PORT'}`;
const at = (p: string) => local.replace('PORT', String(port)) + p;
const allowLocal = (extra = {}) => new GuardedImageFetcher({ unsafeAllow: [{ address: '127.0.0.1', port }], ...extra });
const refused = async (fetcher: GuardedImageFetcher, url: string, max = 1_000_000, pattern?: RegExp) => {
  const err = await fetcher.fetch(url, folder, max).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, url).toBeInstanceOf(RemoteRefusal);
  if (pattern) expect((err as Error).message).toMatch(pattern);
};

describe('the remote image guard', () => {
  it('knows public from private, loopback, link-local, CGNAT, multicast, unspecified and mapped addresses', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isPublicAddress(a), a).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '192.0.2.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a00:1',
      '2002:7f00:1::',
      'not-an-address',
    ])
      expect(isPublicAddress(a), a).toBe(false);
  });

  it('refuses a local server in the normal configuration, by address and by a name resolving to it', async () => {
    const guard = new GuardedImageFetcher();
    await refused(guard, at('/img.gif'), undefined, /port|not a public/);
    await refused(new GuardedImageFetcher(), 'http://127.0.0.1/img.gif', undefined, /not a public/);
    await refused(new GuardedImageFetcher(), 'http://[::1]/img.gif', undefined, /not a public/);
    await refused(new GuardedImageFetcher(), 'http://[::ffff:7f00:1]/img.gif', undefined, /not a public/);
    await refused(new GuardedImageFetcher(), 'http://localhost/img.gif', undefined, /not a public/);
    const evil = new GuardedImageFetcher({ resolve: async () => [{ address: '10.0.0.5', family: 4 }] });
    await refused(evil, 'https://images.example.com/a.jpg', undefined, /10\.0\.0\.5/);
    // One private address among public ones refuses the name.
    const mixed = new GuardedImageFetcher({
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
    });
    await refused(mixed, 'https://images.example.com/a.jpg', undefined, /169\.254/);
  });

  it('refuses other schemes, ports and credentials in the URL', async () => {
    const pub = new GuardedImageFetcher({ resolve: async () => [{ address: '93.184.216.34', family: 4 }] });
    await refused(pub, 'ftp://images.example.com/a.jpg', undefined, /scheme/);
    await refused(pub, 'file:///etc/passwd', undefined, /scheme/);
    await refused(pub, 'http://images.example.com:8080/a.jpg', undefined, /port 8080/);
    await refused(pub, 'http://user:pw@images.example.com/a.jpg', undefined, /credentials/);
  });

  it('fetches from an allow-listed test server, sending no credentials', async () => {
    const got = await allowLocal().fetch(at('/img.gif'), folder, 1_000_000);
    expect(readFileSync(got.path)).toEqual(IMAGE);
    const headers = JSON.parse(readFileSync((await allowLocal().fetch(at('/headers'), folder, 1_000_000)).path, 'utf8'));
    expect(headers.cookie).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
  });

  it('re-checks every redirect: to 127.0.0.1 on another port, to the metadata address, more than three', async () => {
    await refused(allowLocal(), at(`/to?u=${encodeURIComponent('http://127.0.0.1/img.gif')}`), undefined, /not a public/);
    await refused(allowLocal(), at(`/to?u=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`), undefined, /169\.254/);
    await refused(allowLocal(), at(`/to?u=${encodeURIComponent('http://[::ffff:a9fe:a9fe]/')}`), undefined, /not a public/);
    await refused(allowLocal(), at('/loop'), undefined, /redirects/);
    // A redirect to an allowed place is followed.
    const ok = await allowLocal().fetch(at(`/to?u=${encodeURIComponent(at('/img.gif'))}`), folder, 1_000_000);
    expect(ok.bytes).toBe(IMAGE.length);
  });

  it('refuses too large (declared or streamed), too slow and not 200', async () => {
    const before = readdirSync(folder.tmp).length;
    await refused(allowLocal(), at('/big'), 4000, /Content-Length/);
    await refused(allowLocal(), at('/big-chunked'), 4000, /larger/);
    const started = Date.now();
    await refused(allowLocal({ timeoutMs: 300 }), at('/slow'));
    expect(Date.now() - started).toBeLessThan(2000);
    await refused(allowLocal(), at('/404'), undefined, /404/);
    // Nothing left behind in the temporary folder by the refusals.
    expect(readdirSync(folder.tmp).length).toBe(before);
  });
});
