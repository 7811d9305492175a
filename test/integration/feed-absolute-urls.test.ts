import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { multipart } from '../support/images.ts';
import { STORES } from '../support/stores.ts';

/**
 * RSS readers and aggregators do not resolve /media/… or /a/12 against the feed: every image and link in /feed.xml
 * and /feed.json is absolute, on the configured site URL (or the media host when one is configured).
 */
describe.each(STORES)('absolute addresses in feeds on %s', (kind) => {
  for (const mediaHost of [undefined, 'https://img.example-cdn.test/news']) {
    describe(mediaHost ? 'with a media host' : 'media on the site', () => {
      let t: TestApp;
      let image: string;
      let linked: number;

      beforeAll(async () => {
        t = await startTestApp(kind, mediaHost ? { INKSTONE_MEDIA_PUBLIC_URL: mediaHost } : {});
        const admin = await t.user('admin');
        await createChannels(t.app, admin.auth);
        const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 90, g: 90, b: 200 } } })
          .png()
          .toBuffer();
        const form = await multipart({ field: 'file', data: png, filename: 'x.png', type: 'image/png' });
        image = json(
          await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: admin.auth, ...form.headers }, payload: form.payload }),
        ).url;
        const first = await createArticle(t.app, admin.auth, { title: '被链接的稿件' });
        await publish(t.app, admin.auth, first.id);
        linked = first.id;
        const a = await createArticle(t.app, admin.auth, {
          title: '带图和站内链接的稿件',
          cover: image,
          body: `<p>见<a href="/a/${linked}">上一篇</a>与<a href="https://other.example/x">外站</a>。</p><figure><img src="${image}" alt="图"></figure>`,
        });
        await publish(t.app, admin.auth, a.id);
      });
      afterAll(() => t.close());

      const site = 'http://news.example.test';
      const mediaBase = () => (mediaHost ? `${mediaHost}/` : `${site}/media/`);

      it('/feed.xml has no site-relative src or href in its content', async () => {
        const res = await t.app.inject({ url: '/feed.xml' });
        expect(res.statusCode).toBe(200);
        const content = res.body.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
        expect(content).not.toMatch(/\s(src|href)="\/(?!\/)/);
        expect(content).toContain(`src="${mediaBase()}${image.replace('/media/', '')}"`);
        expect(content).toContain(`href="${site}/a/${linked}"`);
        expect(content).toContain('href="https://other.example/x"');
      });

      it('/feed.json has no site-relative src or href in content_html, and an absolute image', async () => {
        const feed = json(await t.app.inject({ url: '/feed.json' }));
        const item = feed.items.find((i: { title: string }) => i.title === '带图和站内链接的稿件');
        expect(item.content_html).not.toMatch(/\s(src|href)="\/(?!\/)/);
        expect(item.content_html).toContain(`src="${mediaBase()}${image.replace('/media/', '')}"`);
        expect(item.content_html).toContain(`href="${site}/a/${linked}"`);
        expect(item.image).toBe(`${mediaBase()}${image.replace('/media/', '')}`);
      });
    });
  }
});
