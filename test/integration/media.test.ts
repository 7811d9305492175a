import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_SIZES } from '../../src/domain/media/responsive.ts';
import { MAX_PIXELS } from '../../src/domain/media/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { animatedGif, exifGpsLatitude, filesUnder, GPS_LATITUDE, gpsJpeg, manyScanJpeg, multipart, pngBomb, type Part } from '../support/images.ts';
import { STORES } from '../support/stores.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Uploaded {
  id: number;
  url: string;
  width: number;
  height: number;
  original: { name: string; mime: string; width: number; height: number; bytes: number };
  variants: { url: string; width: number; height: number; mime: string; bytes: number }[];
}

describe.each(STORES)('media uploads on %s', (kind) => {
  let t: TestApp;
  let reporter: string;
  let mediaDir: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    reporter = (await t.user('reporter')).auth;
    mediaDir = path.join(t.config.dataDir, 'media');
  });
  afterAll(() => t.close());

  const upload = async (parts: Part[], headers: Record<string, string> = { authorization: reporter }) => {
    const body = await multipart(...parts);
    return t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { ...headers, ...body.headers }, payload: body.payload });
  };
  const file = (data: Buffer | string, filename: string, type: string): Part[] => [{ field: 'file', data, filename, type }];
  const uploaded = async (parts: Part[]) => {
    const res = await upload(parts);
    expect(res.statusCode, res.body).toBe(201);
    return json<Uploaded>(res);
  };
  const onDisk = (url: string) => readFileSync(path.join(mediaDir, url.replace(/^\/media\//, '')));

  /** What a refused upload must leave behind: nothing at all. */
  const snapshot = async () => ({
    files: filesUnder(mediaDir),
    rows: await t.ctx.store.media.count(),
    audit: (await t.ctx.store.history.auditEvents({ limit: 1000 })).filter((e) => e.action === 'media.upload').length,
  });
  const expectRefused = async (res: { statusCode: number; body: string }, status: number, code: string, before: Awaited<ReturnType<typeof snapshot>>) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(json(res).error.code).toBe(code);
    expect(json(res).error.message).toEqual(expect.any(String));
    expect(await snapshot()).toEqual(before);
    expect(filesUnder(path.join(mediaDir, 'tmp'))).toEqual([]);
  };

  it('stores a JPEG with GPS EXIF as upright variants with no metadata, served immutable with nosniff', async () => {
    const input = await gpsJpeg(2400, 1600);
    // The test input really carries what must not survive.
    expect(exifGpsLatitude(input)).toBeCloseTo(GPS_LATITUDE, 4);
    expect((await sharp(input).metadata()).orientation).toBe(6);

    const res = await upload(file(input, '../../IMG_0001\u0000.jpg', 'image/jpeg'));
    expect(res.statusCode, res.body).toBe(201);
    const m = json<Uploaded>(res);
    // Orientation 6 turns the 2400 × 1600 pixels upright: 1600 wide, 2400 tall.
    expect(m).toMatchObject({
      width: 1600,
      height: 2400,
      original: { name: 'IMG_0001.jpg', mime: 'image/jpeg', width: 1600, height: 2400, bytes: input.length },
    });
    expect(m.url).toMatch(/^\/media\/\d{4}\/\d{2}\/[A-Za-z0-9_-]{16}-1600\.jpg$/);
    expect(m.variants.map((v) => [v.width, v.height, v.mime])).toEqual([
      [480, 720, 'image/jpeg'],
      [480, 720, 'image/webp'],
      [960, 1440, 'image/jpeg'],
      [960, 1440, 'image/webp'],
      [1600, 2400, 'image/jpeg'],
      [1600, 2400, 'image/webp'],
    ]);

    for (const v of m.variants) {
      const stored = onDisk(v.url);
      expect(stored.length).toBe(v.bytes);
      const meta = await sharp(stored).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([v.mime === 'image/webp' ? 'webp' : 'jpeg', v.width, v.height]);
      // No EXIF block at all (so no GPS), no orientation left to apply twice, no XMP.
      expect(meta.exif).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(exifGpsLatitude(stored)).toBeUndefined();

      const served = await t.app.inject({ url: v.url });
      expect(served.statusCode).toBe(200);
      expect(served.headers['content-type']).toBe(v.mime);
      expect(served.headers['cache-control']).toBe(IMMUTABLE);
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.rawPayload.equals(stored)).toBe(true);
    }
    // Only the variants are kept: the uploaded bytes themselves are nowhere in the media folder.
    const key = m.url.replace(/^\/media\//, '').replace(/-1600\.jpg$/, '');
    expect(filesUnder(mediaDir).filter((f) => f.startsWith(key))).toHaveLength(6);
    expect(filesUnder(path.join(mediaDir, 'tmp'))).toEqual([]);

    const row = await t.ctx.store.media.findById(m.id);
    expect(row).toMatchObject({ mime: 'image/jpeg', width: 1600, height: 2400, bytes: input.length, originalName: 'IMG_0001.jpg' });
    expect(row!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const audit = (await t.ctx.store.history.auditEvents({ limit: 50 })).find((e) => e.action === 'media.upload' && e.subjectId === String(m.id));
    expect(audit).toMatchObject({ subjectType: 'media', detail: { mime: 'image/jpeg', bytes: input.length } });
  });

  it('never scales up and makes each type its variants: PNG, WebP, AVIF, animated GIF', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const p = await uploaded(file(png, 'logo.png', 'image/png'));
    expect(p.variants.map((v) => [v.width, v.mime])).toEqual([
      [300, 'image/png'],
      [300, 'image/webp'],
    ]);
    expect(p.url).toMatch(/-300\.png$/);
    expect((await sharp(onDisk(p.url)).metadata()).hasAlpha).toBe(true);

    const webp = await sharp({ create: { width: 1000, height: 500, channels: 3, background: '#285' } })
      .webp()
      .toBuffer();
    const w = await uploaded(file(webp, 'wide.webp', 'image/webp'));
    expect(w.variants.map((v) => [v.width, v.height, v.mime])).toEqual([
      [480, 240, 'image/webp'],
      [1000, 500, 'image/webp'],
    ]);

    const avif = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#a52' } })
      .avif({ effort: 0 })
      .toBuffer();
    const a = await uploaded(file(avif, 'photo.avif', 'image/avif'));
    expect(a.variants.map((v) => [v.width, v.mime])).toEqual([
      [480, 'image/avif'],
      [480, 'image/webp'],
      [800, 'image/avif'],
      [800, 'image/webp'],
    ]);
    // AVIF is not yet decoded everywhere: the URL to use is the WebP.
    expect(a.url).toMatch(/-800\.webp$/);
    const avifServed = await t.app.inject({ url: a.variants[0]!.url });
    expect(avifServed.headers['content-type']).toBe('image/avif');
    expect(avifServed.headers['x-content-type-options']).toBe('nosniff');

    const g = await uploaded(file(await animatedGif(200, 100, ['#f00', '#0f0', '#00f']), 'spin.gif', 'image/gif'));
    expect(g.variants.map((v) => [v.width, v.height, v.mime])).toEqual([
      [200, 100, 'image/gif'],
      [200, 100, 'image/webp'],
    ]);
    for (const v of g.variants) expect((await sharp(onDisk(v.url), { animated: true }).metadata()).pages).toBe(3);
  });

  it('reuses the stored files when the same bytes are uploaded again', async () => {
    const input = await gpsJpeg(1200, 900);
    const first = await uploaded(file(input, 'a.jpg', 'image/jpeg'));
    const files = filesUnder(mediaDir);
    const second = await upload(file(input, 'b.jpg', 'image/jpeg'));
    expect(second.statusCode).toBe(201);
    expect(json<Uploaded>(second).id).not.toBe(first.id);
    expect(json<Uploaded>(second).variants).toEqual(first.variants);
    expect(json<Uploaded>(second).original.name).toBe('b.jpg');
    expect(filesUnder(mediaDir)).toEqual(files);
  });

  it('refuses a file over the size limit with 413 and stores nothing', async () => {
    expect(t.config.mediaMaxBytes).toBe(20 * 1024 * 1024);
    const before = await snapshot();
    const big = Buffer.alloc(t.config.mediaMaxBytes + 1, 0x41);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    await expectRefused(await upload(file(big, 'huge.jpg', 'image/jpeg')), 413, 'payload_too_large', before);
  });

  it('refuses polyglots whose bytes are not an image of an accepted type with 415', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } })
      .jpeg()
      .toBuffer();
    const polyglots: [string, Buffer][] = [
      // JavaScript that starts with GIF magic: a script to a browser, "image/gif" to a naive sniffer.
      ['gif-js.gif', Buffer.from('GIF89a/*\u0000\u0000\u0000\u0000*/=1;alert(document.cookie);//')],
      // An HTML page with a JPEG after it.
      ['page.jpg', Buffer.concat([Buffer.from('<!doctype html><script>alert(1)</script><!--'), jpeg])],
      // A PDF carrying a script and a JPEG.
      ['doc.jpg', Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n<script>alert(1)</script>\n'), jpeg])],
    ];
    for (const [name, bytes] of polyglots) {
      const before = await snapshot();
      await expectRefused(await upload(file(bytes, name, 'image/jpeg')), 415, 'unsupported_media_type', before);
    }
  });

  it('keeps only re-encoded pixels of a valid JPEG that smuggles a script and a ZIP', async () => {
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#789' } })
      .jpeg()
      .toBuffer();
    // A comment segment right after SOI with a script, and a ZIP archive after the end of the image.
    const comment = Buffer.from('<script>alert(1)</script>');
    const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
    const zip = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.from('<?php system($_GET["c"]); ?>')]);
    const smuggler = Buffer.concat([jpeg.subarray(0, 2), com, jpeg.subarray(2), zip]);
    const res = await upload(file(smuggler, 'innocent.jpg', 'image/jpeg'));
    expect(res.statusCode, res.body).toBe(201);
    for (const v of json<Uploaded>(res).variants) {
      const stored = onDisk(v.url).toString('latin1');
      expect(stored).not.toContain('<script');
      expect(stored).not.toContain('PK\u0003\u0004');
      expect(stored).not.toContain('<?php');
    }
  });

  it('refuses SVG, with or without a disguise, with 415', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(document.domain)</script><circle r="50"/></svg>';
    for (const [data, name, type] of [
      [svg, 'chart.svg', 'image/svg+xml'],
      [`<?xml version="1.0"?>${svg}`, 'chart.svg', 'image/svg+xml'],
      [svg, 'photo.png', 'image/png'],
    ] as const) {
      const before = await snapshot();
      await expectRefused(await upload(file(data, name, type)), 415, 'unsupported_media_type', before);
    }
  });

  it('refuses a renamed executable with 415', async () => {
    const elf = readFileSync(process.execPath).subarray(0, 256 * 1024);
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from('PE\0\0'), Buffer.alloc(512)]);
    for (const [bytes, name] of [
      [elf, 'photo.jpg'],
      [pe, 'photo.png'],
    ] as const) {
      const before = await snapshot();
      const res = await upload(file(bytes, name, 'image/jpeg'));
      await expectRefused(res, 415, 'unsupported_media_type', before);
      expect(json(res).error.message).toMatch(/application\/x-(elf|msdownload)/);
    }
  });

  it('refuses a 20,000 × 20,000 PNG with 422 before decoding it, and memory stays flat', async ({ annotate }) => {
    const bomb = await pngBomb(20_000, 20_000);
    // Tiny on the wire, 400 MB as 8-bit pixels to a decoder that trusted it.
    expect(bomb.length).toBeLessThan(200_000);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: 20_000, height: 20_000 });
    expect(20_000 * 20_000).toBeGreaterThan(MAX_PIXELS);
    const body = await multipart(...file(bomb, 'bomb.png', 'image/png'));
    const before = await snapshot();

    const cpuStart = process.cpuUsage();
    const start = process.memoryUsage();
    let peakRss = start.rss;
    let peakHeap = start.heapUsed + start.external;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
    }, 1);
    let res: Awaited<ReturnType<typeof t.app.inject>>;
    try {
      res = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: reporter, ...body.headers }, payload: body.payload });
    } finally {
      clearInterval(sampler);
    }
    const cpu = process.cpuUsage(cpuStart);
    const end = process.memoryUsage();
    peakRss = Math.max(peakRss, end.rss);
    peakHeap = Math.max(peakHeap, end.heapUsed + end.external);
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    await annotate(
      `bomb ${bomb.length} B; RSS ${mb(start.rss)} → peak ${mb(peakRss)} MB; heap+external ${mb(start.heapUsed + start.external)} → peak ${mb(peakHeap)} MB; CPU ${cpuMs} ms`,
    );

    await expectRefused(res, 422, 'too_many_pixels', before);
    expect(json(res).error.message).toContain('20000 × 20000');
    // Decoding to pixels costs over 1 GB here, and even libvips' streaming resize ~40 MB and ~3 s of CPU;
    // the refusal is a header read.
    expect(peakRss - start.rss).toBeLessThan(32 * 1024 * 1024);
    expect(peakHeap - (start.heapUsed + start.external)).toBeLessThan(16 * 1024 * 1024);
    expect(cpuMs).toBeLessThan(1000);
  });

  it('refuses at once, with 422, a JPEG of thousands of scans that would hold an encoding slot for minutes', async () => {
    // Valid, and small: each of its 2,660 scans is one more pass over the image for every variant
    // (about 22 s per variant at 4096 × 4096 here, six variants; about 1 s at this size).
    const jpeg = manyScanJpeg(1024, 1024);
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 1024, height: 1024, isProgressive: true });
    const before = await snapshot();
    const started = Date.now();
    const res = await upload(file(jpeg, 'scans.jpg', 'image/jpeg'));
    const took = Date.now() - started;
    await expectRefused(res, 422, 'too_many_scans', before);
    expect(json(res).error.field).toBe('file');
    expect(took).toBeLessThan(2_000);
    // A progressive JPEG as encoders write it (mozjpeg's scan script) is taken.
    const progressive = await sharp({ create: { width: 1000, height: 600, channels: 3, background: '#a5703a' } })
      .jpeg({ progressive: true, mozjpeg: true })
      .toBuffer();
    expect((await uploaded(file(progressive, 'progressive.jpg', 'image/jpeg'))).original.mime).toBe('image/jpeg');
  });

  it('refuses a corrupt image with 400 and stores nothing', async () => {
    const jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3a6' } })
      .jpeg()
      .toBuffer();
    const before = await snapshot();
    const res = await upload(file(jpeg.subarray(0, 400), 'cut.jpg', 'image/jpeg'));
    await expectRefused(res, 400, 'invalid_image', before);
  });

  it('answers malformed requests with clear 4xx: no file field, two files, not multipart, no sign-in, wrong CSRF', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } })
      .jpeg()
      .toBuffer();
    const before = await snapshot();
    await expectRefused(await upload([{ field: 'caption', data: '图片说明' }]), 400, 'file_required', before);
    await expectRefused(await upload([{ field: 'image', data: jpeg, filename: 'a.jpg', type: 'image/jpeg' }]), 400, 'file_required', before);
    await expectRefused(await upload([...file(jpeg, 'a.jpg', 'image/jpeg'), ...file(jpeg, 'b.jpg', 'image/jpeg')]), 400, 'too_many_files', before);
    const asJson = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: reporter }, payload: { file: 'x' } });
    await expectRefused(asJson, 415, 'unsupported_media_type', before);
    const raw = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: reporter, 'content-type': 'image/jpeg' }, payload: jpeg });
    await expectRefused(raw, 415, 'unsupported_media_type', before);
    const noBoundary = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      headers: { authorization: reporter, 'content-type': 'multipart/form-data' },
      payload: jpeg,
    });
    await expectRefused(noBoundary, 400, 'invalid_multipart', before);
    await expectRefused(await upload(file(jpeg, 'a.jpg', 'image/jpeg'), {}), 401, 'unauthorized', before);

    // A browser session must send the CSRF token, as for every other newsroom change.
    const { username } = await t.user('reporter');
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password: 'correct horse battery' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    await expectRefused(await upload(file(jpeg, 'a.jpg', 'image/jpeg'), { cookie }), 403, 'csrf_failed', before);
    const ok = await upload(file(jpeg, 'a.jpg', 'image/jpeg'), { cookie, 'x-csrf-token': json(login).csrfToken });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('gives reader pages srcset for uploads in article bodies and covers, and leaves other images alone', async () => {
    const admin = (await t.user('admin')).auth;
    const editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin);
    const m = await uploaded(file(await gpsJpeg(2400, 1600), 'cover.jpg', 'image/jpeg'));
    const stem = m.url.replace(/-1600\.jpg$/, '');
    const body = `<p>正文</p><figure><img src="${m.url}" alt="江城 &amp; 地铁" width="10" height="10"><figcaption>图说</figcaption></figure><p><img src="https://img.example/a.jpg" alt="外链"></p>`;
    const a = await createArticle(t.app, reporter, { body, cover: m.url });
    await publish(t.app, editor, a.id);

    const page = (await t.app.inject({ url: `/a/${a.id}` })).body;
    const webp = `${stem}-480.webp 480w, ${stem}-960.webp 960w, ${stem}-1600.webp 1600w`;
    const jpeg = `${stem}-480.jpg 480w, ${stem}-960.jpg 960w, ${stem}-1600.jpg 1600w`;
    expect(page).toContain(
      `<figure><picture><source type="image/webp" srcset="${webp}" sizes="${BODY_SIZES}" />` +
        `<img src="${m.url}" srcset="${jpeg}" sizes="${BODY_SIZES}" width="1600" height="2400" alt="江城 &amp; 地铁" loading="lazy" decoding="async" /></picture><figcaption>图说</figcaption></figure>`,
    );
    expect(page).toContain('<img src="https://img.example/a.jpg" alt="外链" loading="lazy" decoding="async" />');

    const topic = await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor },
      payload: { slug: 'ditie', title: '地铁专题', cover: m.url, articles: [a.id] },
    });
    expect(topic.statusCode, topic.body).toBe(201);
    const topicPage = (await t.app.inject({ url: '/t/ditie' })).body;
    const cover = `<picture><source type="image/webp" srcset="${webp}" sizes="(min-width: 72rem) 1120px, calc(100vw - 2rem)"/>`;
    expect(topicPage).toContain(
      `${cover}<img src="${m.url}" srcset="${jpeg}" sizes="(min-width: 72rem) 1120px, calc(100vw - 2rem)" width="1600" height="2400" class="topic-cover"`,
    );

    const slot = await t.app.inject({ method: 'PUT', url: '/api/v1/slots/focus', headers: { authorization: editor }, payload: { items: [{ article: a.id }] } });
    expect(slot.statusCode, slot.body).toBe(200);
    const home = (await t.app.inject({ url: '/' })).body;
    expect(home).toContain(`<img src="${m.url}" srcset="${jpeg}" sizes="(min-width: 64rem) 648px, 100vw" width="1600" height="2400"`);
  });

  it('serves nothing outside the media folder, nor its temporary files', async () => {
    writeFileSync(path.join(t.config.dataDir, 'secret.txt'), 'TOP-SECRET');
    mkdirSync(path.join(mediaDir, 'tmp'), { recursive: true });
    writeFileSync(path.join(mediaDir, 'tmp', 'inflight.part'), 'HALF-UPLOADED');
    const attempts = [
      '/media/../secret.txt',
      '/media/%2e%2e/secret.txt',
      '/media/%2E%2E%2Fsecret.txt',
      '/media/..%2fsecret.txt',
      '/media/..%5csecret.txt',
      '/media/%252e%252e/secret.txt',
      '/media/.%2e/.%2e/.%2e/etc/passwd',
      `/media/${path.join(t.config.dataDir, 'secret.txt')}`,
      `/media/${encodeURIComponent(path.join(t.config.dataDir, 'secret.txt'))}`,
      '/media//etc/passwd',
      '/media/%2fetc%2fpasswd',
      '/media/tmp/inflight.part',
      '/media/TMP/inflight.part',
      '/media/./tmp/inflight.part',
      '/media//tmp/inflight.part',
      '/media/%74mp/inflight.part',
      '/media/x/../tmp/inflight.part',
    ];
    // Control: a file inside the folder is served, so the refusals below are not a broken static server.
    mkdirSync(path.join(mediaDir, 'control'), { recursive: true });
    writeFileSync(path.join(mediaDir, 'control', 'ok.txt'), 'PUBLIC');
    expect((await t.app.inject({ url: '/media/control/ok.txt' })).body).toBe('PUBLIC');
    for (const url of attempts) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toMatch(/TOP-SECRET|HALF-UPLOADED|root:/);
    }
  });
});

describe('media size limit over a real socket', () => {
  const LIMIT = 1024 * 1024;
  let t: TestApp;
  let base: string;
  let reporter: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite', { INKSTONE_MEDIA_MAX_BYTES: String(LIMIT) });
    reporter = (await t.user('reporter')).auth;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    t.app.server.on('connection', (s: Socket) => sockets.push(s));
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  /** Streams a multipart upload of `total` bytes without a length, as fast as the server takes it. */
  function streamUpload(total: number, headers: Record<string, string> = {}) {
    const boundary = 'inkstone-test-boundary';
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    return new Promise<{ status: number; body: string; sent: number; serverRead: number }>((resolve, reject) => {
      const req = http.request(`${base}/api/v1/media`, {
        method: 'POST',
        headers: { authorization: reporter, 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers },
      });
      let sent = 0;
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        const serverRead = sockets.reduce((n, s) => Math.max(n, s.bytesRead), 0);
        let body = '';
        res.on('data', (d) => (body += String(d)));
        res.on('end', () => resolve({ status: res.statusCode!, body, sent, serverRead }));
        res.on('error', () => resolve({ status: res.statusCode!, body, sent, serverRead }));
      });
      // Writing into a connection the server has closed fails; that is the point, once the answer is in.
      req.on('error', (err) => {
        if (!answered) reject(err);
      });
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
      req.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
      const pump = () => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end(`\r\n--${boundary}--\r\n`);
      };
      pump();
    });
  }

  it('answers 413 while the body is still streaming, having read little more than the limit', async ({ annotate }) => {
    const heapBefore = process.memoryUsage().heapUsed;
    const before = filesUnder(path.join(t.config.dataDir, 'media'));
    const res = await streamUpload(256 * 1024 * 1024);
    await annotate(`limit ${LIMIT} B; client had sent ${res.sent} B, server had read ${res.serverRead} B when the 413 arrived`);
    expect(res.status).toBe(413);
    expect(json(res).error.code).toBe('payload_too_large');
    // The answer came long before the client had sent the 256 MB, and the server had read about the limit.
    expect(res.sent).toBeLessThan(64 * 1024 * 1024);
    expect(res.serverRead).toBeLessThan(LIMIT + 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
    expect(filesUnder(path.join(t.config.dataDir, 'media'))).toEqual(before);
  });

  it('answers 413 at once for a declared length over the limit', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/api/v1/media`, {
        method: 'POST',
        headers: { authorization: reporter, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(50 * LIMIT) },
      });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (d) => (body += String(d)));
        r.on('end', () => resolve({ status: r.statusCode!, body }));
      });
      req.on('error', reject);
      // Only the headers go out: the answer must not wait for the 50 MB.
      req.flushHeaders();
    });
    expect(res.status).toBe(413);
    expect(json(res).error.code).toBe('payload_too_large');
  });

  it('takes a file just under the limit', async () => {
    const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#456' } })
      .jpeg({ quality: 100 })
      .toBuffer();
    expect(jpeg.length).toBeLessThan(LIMIT);
    const body = await multipart({ field: 'file', data: jpeg, filename: 'ok.jpg', type: 'image/jpeg' });
    const res = await fetch(`${base}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: reporter, ...body.headers },
      body: new Uint8Array(body.payload),
    });
    expect(res.status).toBe(201);
  });
});

describe('security: media limits', () => {
  it('refuses an image thinner than a line but taller than any page before encoding it (422)', async () => {
    const t = await startTestApp('sqlite');
    try {
      const editor = (await t.user('editor')).auth;
      const strip = await sharp({ create: { width: 1, height: 20_000, channels: 3, background: '#336699' } })
        .png()
        .toBuffer();
      const form = await multipart({ field: 'file', filename: 'strip.png', type: 'image/png', data: strip });
      const started = Date.now();
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor, ...form.headers }, payload: form.payload });
      expect(res.statusCode).toBe(422);
      expect(json(res).error).toMatchObject({ code: 'too_many_pixels', field: 'file' });
      expect(json(res).error.message).toContain('16384');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await t.close();
    }
  });

  it("refuses with 422 an image whose variants together take longer than one upload's encoding budget, storing nothing", async () => {
    // A budget far below what this image's six variants take (decoding 6 MP of noise alone takes longer), each one
    // well under sharp's one-second step: only a budget for the whole upload stops it.
    const t = await startTestApp('sqlite', {}, { encodeBudgetMs: 50 });
    try {
      const editor = (await t.user('editor')).auth;
      const [width, height] = [3000, 2000];
      const noise = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer();
      const form = await multipart({ field: 'file', filename: 'noise.png', type: 'image/png', data: noise });
      const started = Date.now();
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor, ...form.headers }, payload: form.payload });
      expect(res.statusCode, res.body).toBe(422);
      expect(json(res).error).toMatchObject({ code: 'image_too_slow', field: 'file' });
      expect(json(res).error.message).toContain('0.05 s');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await t.ctx.store.media.count()).toBe(0);
      expect(filesUnder(path.join(t.config.dataDir, 'media'))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('removes what a killed process left in media/tmp when the app starts, and keeps other processes’ uploads', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-media-'));
    const tmp = path.join(dataDir, 'media', 'tmp');
    const dead = path.join(tmp, '4194303');
    mkdirSync(dead, { recursive: true });
    writeFileSync(path.join(dead, 'killed-mid-upload.part'), 'HALF');
    const alive = path.join(tmp, String(process.ppid));
    mkdirSync(alive, { recursive: true });
    writeFileSync(path.join(alive, 'uploading.part'), 'STILL COMING');
    const t = await startTestApp('sqlite', { INKSTONE_DATA_DIR: dataDir });
    try {
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(path.join(alive, 'uploading.part'))).toBe(true);
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
