import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { multipart } from '../support/images.ts';
import { STORES } from '../support/stores.ts';

/** A stand-in for another site (WeChat's image host, say): photos, a page, and a count of requests per path. */
let server: http.Server;
let port: number;
const hits = new Map<string, number>();
let photo: Buffer;
/** Served at /same-*: the bytes of a photo the newsroom has uploaded itself too. */
let shared: Buffer;

beforeAll(async () => {
  photo = await sharp({ create: { width: 1000, height: 600, channels: 3, background: '#3a6ea5' } })
    .jpeg()
    .toBuffer();
  shared = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#a53a6e' } })
    .jpeg()
    .toBuffer();
  server = http.createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    if (req.url!.startsWith('/photo')) return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    if (req.url!.startsWith('/same-')) return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(shared);
    // A photo of its own colour (its own bytes) per address: /tint-<0..255>.jpg.
    const tint = /^\/tint-(\d+)\.jpg$/.exec(req.url!);
    if (tint) {
      void sharp({ create: { width: 200, height: 100, channels: 3, background: { r: Number(tint[1]), g: 80, b: 40 } } })
        .jpeg()
        .toBuffer()
        .then((b) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(b));
      return;
    }
    if (req.url!.startsWith('/page')) return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const remote = (p: string) => `http://127.0.0.1:${port}${p}`;

describe.each(STORES)('re-hosting pasted images on %s', (kind) => {
  let t: TestApp;
  let plain: TestApp;
  let reporter: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind, {}, { remoteImages: { unsafeAllow: [{ address: '127.0.0.1', port }] } });
    const admin = await t.user('admin');
    reporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const read = async (id: number) => json(await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: reporter.auth } }));

  it('fetches remote images of a saved body and cover through the media pipeline and points them at ours', async () => {
    const body = `<p>正文</p><figure><img src="${remote('/photo-a.jpg?x=1&amp;y=2')}" alt="远处的渡轮"><figcaption>图说</figcaption></figure>`;
    const a = await createArticle(t.app, reporter.auth, { body, cover: remote('/photo-cover.jpg') });
    const saved = await read(a.id);
    const src = /<img src="([^"]+)"/.exec(saved.body)![1]!;
    expect(src).toMatch(/^\/media\/\d{4}\/\d{2}\/[\w-]{16}-1000\.jpg$/);
    expect(saved.body).toContain('alt="远处的渡轮"');
    expect(saved.cover).toMatch(/^\/media\//);
    const served = await t.app.inject({ url: src });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    // In the library, with where it came from and the pasted alt text, used by the article.
    const library = json(await t.app.inject({ url: '/api/v1/media?limit=5', headers: { authorization: reporter.auth } }));
    const item = library.items.find((i: { url: string }) => i.url === src);
    expect(item).toMatchObject({ sourceUrl: remote('/photo-a.jpg?x=1&y=2'), alt: '远处的渡轮', usedBy: 1 });

    // Saving the same address again reuses the upload without fetching it again.
    const before = hits.get('/photo-a.jpg?x=1&y=2');
    const again = await createArticle(t.app, reporter.auth, { body });
    expect((await read(again.id)).body).toContain(src);
    expect(hits.get('/photo-a.jpg?x=1&y=2')).toBe(before);
  });

  it('does not fetch again, save after save, an address whose bytes were already in the library, until that image is deleted', async () => {
    const editor = await t.user('editor');
    const form = await multipart({ field: 'file', data: shared, filename: '自己上传的.jpg', type: 'image/jpeg' });
    const uploaded = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      headers: { authorization: reporter.auth, ...form.headers },
      payload: form.payload,
    });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const mine = json<{ id: number; url: string }>(uploaded);
    const pasted = `/same-${kind}-a.jpg?from=wechat`;
    const body = (url: string, more = '') => `<p>正文</p><p><img src="${url}"></p>${more}`;
    const patch = (id: number, payload: object) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: reporter.auth }, payload });

    const a = await createArticle(t.app, reporter.auth, { body: body(remote(pasted)) });
    expect((await read(a.id)).body).toContain(`src="${mine.url}"`);
    expect(hits.get(pasted)).toBe(1);
    // The editor's autosaves and a colleague pasting the same address reuse it without asking the other site again.
    for (let i = 0; i < 3; i++) expect((await patch(a.id, { body: body(remote(pasted), `<p>第${i}次自动保存</p>`) })).statusCode).toBe(200);
    const b = await createArticle(t.app, reporter.auth, { body: body(remote(pasted)), cover: remote(pasted) });
    const second = await read(b.id);
    expect(second.body).toContain(`src="${mine.url}"`);
    expect(second.cover).toBe(mine.url);
    expect(hits.get(pasted)).toBe(1);
    // Another address is another image until its bytes are seen.
    const other = `/same-${kind}-b.jpg`;
    const c = await createArticle(t.app, reporter.auth, { body: body(remote(other)) });
    expect((await read(c.id)).body).toContain(`src="${mine.url}"`);
    expect(hits.get(other)).toBe(1);

    // Once the image is deleted from the library, the address is fetched (and re-hosted) again.
    for (const id of [a.id, b.id, c.id]) expect((await patch(id, { body: '<p>图撤下了</p>', cover: '' })).statusCode).toBe(200);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${mine.id}`, headers: { authorization: editor.auth } });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const d = await createArticle(t.app, reporter.auth, { body: body(remote(pasted)) });
    const src = /<img src="([^"]+)"/.exec((await read(d.id)).body)![1]!;
    expect(src).toMatch(/^\/media\//);
    expect(src).not.toBe(mine.url);
    expect((await t.app.inject({ url: src })).statusCode).toBe(200);
    expect(hits.get(pasted)).toBe(2);
    expect((await patch(d.id, { body: body(remote(pasted), '<p>再存一次</p>') })).statusCode).toBe(200);
    expect(hits.get(pasted)).toBe(2);
  });

  it('re-hosts an image whose address holds a percent sign that escapes nothing (50%off.jpg) or half a character', async () => {
    const odd = [remote('/photo-50%off.jpg'), remote('/photo-%E6%B1.jpg')];
    const a = await createArticle(t.app, reporter.auth, { body: `<p>正文</p>${odd.map((u) => `<p><img src="${u}"></p>`).join('')}` });
    const saved = await read(a.id);
    for (const u of odd) expect(saved.body).not.toContain(u);
    expect(saved.body.match(/<img src="\/media\//g)).toHaveLength(2);
  });

  it("re-hosts a topic's remote cover when the topic is made or changed, so its page shows it under the CSP", async () => {
    const editor = await t.user('editor');
    const call = (method: 'POST' | 'PATCH', url: string, payload: object) => t.app.inject({ method, url, headers: { authorization: editor.auth }, payload });
    const made = await call('POST', '/api/v1/topics', { slug: `cover-${kind}`, title: '外链封面专题', cover: remote('/photo-topic.jpg') });
    expect(made.statusCode, made.body).toBe(201);
    const topic = json<{ id: number; cover: string }>(made);
    expect(topic.cover).toMatch(/^\/media\/\d{4}\/\d{2}\/[\w-]{16}-\d+\.jpg$/);
    expect((await t.app.inject({ url: `/t/cover-${kind}` })).body).toContain(`src="${topic.cover}"`);
    expect((await t.app.inject({ url: topic.cover })).statusCode).toBe(200);

    const changed = await call('PATCH', `/api/v1/topics/${topic.id}`, { cover: remote('/photo-topic-2.jpg?v=2') });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(json<{ cover: string }>(changed).cover).toMatch(/^\/media\//);
    // One that cannot be fetched keeps its address, as an article's cover does.
    const missing = await call('PATCH', `/api/v1/topics/${topic.id}`, { cover: remote('/missing-cover.jpg') });
    expect(json<{ cover: string }>(missing).cover).toBe(remote('/missing-cover.jpg'));
  });

  it("keeps a pasted image's alt text in the library as the library keeps alt text: one line, at most 300 characters", async () => {
    const alt = `第一行\n第二行\t${'长'.repeat(400)}`;
    const a = await createArticle(t.app, reporter.auth, {
      body: `<p>正文</p><p><img src="${remote(`/tint-${kind === 'sqlite' ? 7 : 8}.jpg`)}" alt="${alt}"></p>`,
    });
    const src = /<img src="([^"]+)"/.exec((await read(a.id)).body)![1]!;
    expect(src).toMatch(/^\/media\//);
    const library = json(await t.app.inject({ url: '/api/v1/media?limit=5', headers: { authorization: reporter.auth } }));
    const item = library.items.find((i: { url: string }) => i.url === src);
    expect(item.alt).toBe(`第一行 第二行 ${'长'.repeat(300 - 8)}`);
  });

  it('leaves what is not an image, or not reachable, as it was, and never serves it on our pages', async () => {
    const body = `<p>正文</p><p><img src="${remote('/page.html')}"></p><p><img src="${remote('/missing.jpg')}"></p>`;
    const a = await createArticle(t.app, reporter.auth, { body });
    const saved = await read(a.id);
    expect(saved.body).toContain(remote('/page.html'));
    expect(saved.body).toContain(remote('/missing.jpg'));
    expect(await t.ctx.store.media.findBySourceUrl(remote('/page.html'))).toBeUndefined();
    // The reader pages' CSP loads images from us only.
    const page = await t.app.inject({ url: '/' });
    expect(String(page.headers['content-security-policy'])).toMatch(/img-src 'self' data:(;|$)/);
    // A failed address is not fetched again by the next autosave.
    const tries = hits.get('/page.html');
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/articles/${a.id}`,
          headers: { authorization: reporter.auth },
          payload: { body: `${body}<p>又改</p>` },
        })
      ).statusCode,
    ).toBe(200);
    expect(hits.get('/page.html')).toBe(tries);
  });

  it('re-hosts at most 12 images per save; the rest stay remote for a later save', async () => {
    const body = Array.from({ length: 15 }, (_, i) => `<p><img src="${remote(`/photo-many-${i}.jpg`)}"></p>`).join('');
    const a = await createArticle(t.app, reporter.auth, { body });
    const saved = (await read(a.id)).body as string;
    expect(saved.match(/src="\/media\//g)?.length).toBe(12);
    expect(saved.match(/src="http:\/\/127\.0\.0\.1/g)?.length).toBe(3);
  });

  it('refuses the same local server without the test allow-list', async () => {
    plain = await startTestApp(kind);
    try {
      const admin = await plain.user('admin');
      await createChannels(plain.app, admin.auth);
      const before = hits.get('/photo-guarded.jpg') ?? 0;
      const a = await createArticle(plain.app, admin.auth, {
        body: `<p>x</p><p><img src="${remote('/photo-guarded.jpg')}"></p>`,
        cover: 'http://169.254.169.254/latest/meta-data/',
      });
      const saved = json(await plain.app.inject({ url: `/api/v1/articles/${a.id}`, headers: { authorization: admin.auth } }));
      expect(saved.body).toContain(remote('/photo-guarded.jpg'));
      expect(saved.cover).toBe('http://169.254.169.254/latest/meta-data/');
      expect(hits.get('/photo-guarded.jpg') ?? 0).toBe(before);
      expect(await plain.ctx.store.media.count()).toBe(0);
    } finally {
      await plain.close();
    }
  });
});
