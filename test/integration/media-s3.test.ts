import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMediaStore } from '../../src/config.ts';
import { S3MediaStore } from '../../src/storage/media/s3.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { filesUnder, multipart } from '../support/images.ts';
import { startS3Emulator, type S3Emulator } from '../support/media-stores.ts';
import { STORES } from '../support/stores.ts';

interface Uploaded {
  id: number;
  url: string;
  variants: { url: string; mime: string }[];
}

const CDN = 'https://img.example.cn/media';

/**
 * The app with its media in a bucket (the S3 emulator of test/support/media-stores.ts, in this process) and a CDN
 * in front: uploads land in the bucket and nowhere on disk, /media/ answers from the bucket, reader pages and feeds
 * point at the CDN and the CSP lets them, posters read the cover from the bucket, and deleting removes the objects.
 */
describe.each(STORES)('media in an S3 bucket on %s', (kind) => {
  let emulator: S3Emulator;
  let t: TestApp;
  let editor: string;
  let bucket: S3MediaStore;

  beforeAll(async () => {
    emulator = await startS3Emulator();
    const env = { ...emulator.env(`site-${kind}`), INKSTONE_MEDIA_PUBLIC_URL: CDN };
    t = await startTestApp(kind, env);
    const admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin);
    // A second client of the same bucket, as another app machine would be.
    const config = parseMediaStore(env);
    if (config.kind !== 's3') throw new Error('expected s3');
    bucket = new S3MediaStore(config);
  });
  let emulatorRunning = true;
  afterAll(async () => {
    bucket.close();
    await t.close();
    if (emulatorRunning) await emulator.close();
  });

  const solid = (r: number, g: number, b: number) =>
    sharp({ create: { width: 1200, height: 800, channels: 3, background: { r, g, b } } })
      .jpeg()
      .toBuffer();
  const upload = async (data: Buffer): Promise<Uploaded> => {
    const body = await multipart({ field: 'file', data, filename: '照片.jpg', type: 'image/jpeg' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor, ...body.headers }, payload: body.payload });
    expect(res.statusCode, res.body).toBe(201);
    return json<Uploaded>(res);
  };
  const inBucket = (url: string) => bucket.exists(url.replace(/^\/media\//, ''));

  it('stores the variants in the bucket only, and serves them from it with the immutable headers', async () => {
    const media = await upload(await solid(200, 30, 40));
    expect(media.variants.length).toBeGreaterThanOrEqual(4);
    expect(await Promise.all(media.variants.map((v) => inBucket(v.url)))).toEqual(media.variants.map(() => true));
    // Nothing on this machine: only the (empty) temporary folder.
    expect(filesUnder(path.join(t.config.dataDir, 'media')).filter((f) => !f.startsWith('tmp'))).toEqual([]);

    const res = await t.app.inject({ url: media.url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const stored = await bucket.open(media.url.slice('/media/'.length));
    const bytes = Buffer.concat(await stored!.body.toArray());
    expect(res.rawPayload.equals(bytes)).toBe(true);
    expect(Number(res.headers['content-length'])).toBe(bytes.length);
    const webp = media.variants.find((v) => v.mime === 'image/webp')!;
    expect((await t.app.inject({ url: webp.url })).headers['content-type']).toBe('image/webp');
    const head = await t.app.inject({ method: 'HEAD', url: media.url });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers a byte range with 206 (video seeking, resumed downloads), a range past the end with 416, and a revalidation with 304', async () => {
    const media = await upload(await solid(200, 60, 90));
    const whole = await t.app.inject({ url: media.url });
    const bytes = whole.rawPayload;
    expect(whole.headers['accept-ranges']).toBe('bytes');
    const etag = String(whole.headers.etag);
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, bytes.length - 1],
      ['bytes=-50', bytes.length - 50, bytes.length - 1],
      [`bytes=10-${bytes.length + 1000}`, 10, bytes.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await t.app.inject({ url: media.url, headers: { range } });
      expect(res.statusCode, range).toBe(206);
      expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(Number(res.headers['content-length']), range).toBe(end - start + 1);
      expect(res.rawPayload.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
    const past = await t.app.inject({ url: media.url, headers: { range: `bytes=${bytes.length}-` } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${bytes.length}`);
    // Several ranges, other units, nonsense: the whole file, as if no range was asked.
    for (const range of ['bytes=0-1,5-9', 'items=0-1', 'bytes=9-1', 'bytes=abc']) {
      const res = await t.app.inject({ url: media.url, headers: { range } });
      expect(res.statusCode, range).toBe(200);
      expect(res.rawPayload.equals(bytes), range).toBe(true);
    }
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await t.app.inject({ url: media.url, headers: { 'if-none-match': tag } });
      expect(res.statusCode, tag).toBe(304);
      expect(res.body).toBe('');
    }
    expect((await t.app.inject({ url: media.url, headers: { 'if-none-match': '"other"' } })).statusCode).toBe(200);
    // A tag says nothing for a path that holds nothing.
    expect((await t.app.inject({ url: '/media/2026/01/AAAAAAAAAAAAAAAA-480.jpg', headers: { 'if-none-match': '*' } })).statusCode).toBe(404);
  });

  it('answers 404 (never 5xx, never the temporary folder) for anything else under /media/', async () => {
    for (const url of [
      '/media/2026/01/AAAAAAAAAAAAAAAA-480.jpg',
      '/media/tmp/1/x.part',
      '/media/TMP/x.jpg',
      '/media/..%2f..%2fsecret',
      '/media/%2e%2e/%2e%2e/etc/passwd',
      `/media/${'a/'.repeat(50)}x.jpg`,
      '/media/',
    ]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
    }
    // A NUL character in an address is bad input anywhere (bad-input.test.ts): 400, not a lookup.
    expect((await t.app.inject({ url: '/media/a%00b.jpg' })).statusCode).toBe(400);
  });

  it('reuses the objects of an identical upload (the dedupe asks the bucket)', async () => {
    const data = await solid(10, 200, 30);
    const first = await upload(data);
    const second = await upload(data);
    expect(second.id).not.toBe(first.id);
    expect(second.url).toBe(first.url);
  });

  it('points reader pages and feeds at INKSTONE_MEDIA_PUBLIC_URL, lets the CSP load it, and renders the poster from the bucket', async () => {
    const media = await upload(await solid(220, 20, 20));
    const article = await createArticle(t.app, editor, {
      body: `<p>江城地铁开通。</p><figure><img src="${media.url}" alt="站台" /></figure>`,
      cover: media.url,
    });
    await publish(t.app, editor, article.id);

    const page = await t.app.inject({ url: `/a/${article.id}` });
    expect(page.statusCode).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toMatch(/img-src 'self' data: https:\/\/img\.example\.cn(;|$)/);
    const key = media.url.replace(/^\/media\//, '').replace(/-\d+\.jpg$/, '');
    // Every mention of the upload (src, srcset, <source>, og:image, JSON-LD) is on the CDN, none on this site.
    expect(page.body).toContain(`src="${CDN}/${key}-`);
    expect(page.body).toMatch(new RegExp(`srcset="${CDN}/${key}-480\\.jpg 480w, ${CDN}/${key}-960\\.jpg 960w`));
    expect(page.body).toContain(`<meta property="og:image" content="${CDN}/${key}`);
    expect(page.body).not.toContain(`/media/${key}`.replace('/media/', '"/media/'));
    expect(page.body).not.toContain(`${t.config.siteUrl}/media/`);
    expect(page.body.split(`${CDN}/${key}`).length).toBeGreaterThan(8);

    for (const url of ['/feed.xml', '/feed.json']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain(`${CDN}/${key}`);
      expect(res.body, url).not.toMatch(new RegExp(`(["\\s,]|&quot;)/media/${key}`));
    }

    // The poster's cover comes from the bucket: the red of the upload shows where the cover goes.
    const poster = await t.app.inject({ url: `/a/${article.id}/poster.png` });
    expect(poster.statusCode).toBe(200);
    expect(poster.headers['content-type']).toBe('image/png');
    const { data, info } = await sharp(poster.rawPayload).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
    const [r, g, b] = at(375, 340);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it('deletes the objects with the image, and a second delete is a 404', async () => {
    const media = await upload(await solid(30, 30, 200));
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${media.id}`, headers: { authorization: editor } });
    expect(del.statusCode, del.body).toBe(204);
    expect(await Promise.all(media.variants.map((v) => inBucket(v.url)))).toEqual(media.variants.map(() => false));
    expect((await t.app.inject({ url: media.url })).statusCode).toBe(404);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${media.id}`, headers: { authorization: editor } });
    expect(again.statusCode).toBe(404);
  });

  // Last: it stops the emulator.
  it('while the bucket does not answer, a delete still happens (204) and an upload fails without a row', async () => {
    const media = await upload(await solid(90, 90, 90));
    const rows = await t.ctx.store.media.count();
    await emulator.close();
    emulatorRunning = false;
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${media.id}`, headers: { authorization: editor } });
    expect(del.statusCode, del.body).toBe(204);
    expect(await t.ctx.store.media.count()).toBe(rows - 1);
    const body = await multipart({ field: 'file', data: await solid(91, 91, 91), filename: 'x.jpg', type: 'image/jpeg' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor, ...body.headers }, payload: body.payload });
    expect(res.statusCode).toBe(500);
    expect(await t.ctx.store.media.count()).toBe(rows - 1);
    expect(filesUnder(path.join(t.config.dataDir, 'media'))).toEqual([]);
  });
});
