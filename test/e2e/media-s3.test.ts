import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/domain/accounts/service.ts';
import { startS3Emulator, type S3Emulator } from '../support/media-stores.ts';
import { settled, shot, useNewsroom } from './browser.ts';

/**
 * The demo site with its media in a bucket (the in-process S3 emulator, see test/support/media-stores.ts) and reader
 * pages pointing at another origin for images, as a CDN would be: here the emulator's own path-style object URLs,
 * which answer anonymous GETs like a public-read bucket. Chromium must load every image from there, with the CSP
 * allowing exactly that origin, and the newsroom's picture library must show its thumbnails from there too.
 */
let emulator: S3Emulator;
let publicUrl: string;

beforeAll(async () => {
  emulator = await startS3Emulator();
  // localhost, not 127.0.0.1: another origin than the site's for the browser.
  publicUrl = `${emulator.endpoint.replace('127.0.0.1', 'localhost')}/${emulator.bucket}/e2e`;
});

// Registered after the emulator's hooks: the site starts once the emulator is up, and is closed before it.
afterAll(() => emulator?.close());

const site = useNewsroom(() => ({ people: { tupian: ['图片编辑', 'editor'] }, env: { ...emulator.env('e2e'), INKSTONE_MEDIA_PUBLIC_URL: publicUrl } }), {
  timeout: 180_000,
});

describe('media in a bucket behind another origin', () => {
  it('reader pages load every image from the public media host, and the CSP allows it', async () => {
    const { base } = site;
    const fromSite: string[] = [];
    const { page, errors, inFlight, response } = await site.open('/', {
      viewport: { width: 1280, height: 900 },
      beforeLoad: (p) =>
        p.on('request', (r) => {
          if (r.resourceType() === 'image' && new URL(r.url()).pathname.startsWith('/media/') && r.url().startsWith(base)) fromSite.push(r.url());
        }),
    });
    expect(response?.headers()['content-security-policy']).toContain(`img-src 'self' data: ${new URL(publicUrl).origin}`);
    // The newest article: the demo's have covers and figures from demo/images, put into the bucket at start.
    const href = await page.locator('a[href^="/a/"]').first().getAttribute('href');
    for (const url of [`${base}/`, `${base}${href}`]) {
      await page.goto(url);
      await page.evaluate(() => Promise.all([...document.images].map((img) => (img.loading = 'eager') && img.decode().catch(() => undefined))));
      await settled(page, inFlight);
      const images = await page.evaluate(() =>
        [...document.images].map((img) => ({ src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0 })),
      );
      const ours = images.filter((i) => i.src.includes('/demo/') || i.src.includes('/media/'));
      expect(ours.length, url).toBeGreaterThan(0);
      for (const i of ours) {
        expect(i.src.startsWith(`${publicUrl}/`), i.src).toBe(true);
        expect(i.ok, i.src).toBe(true);
      }
    }
    await shot(page, 'media-s3-article', { fullPage: false });
    expect(fromSite).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the newsroom shows the picture library from the public media host', async () => {
    const { token } = await createApiToken(site.ctx, null, { username: 'tupian' });
    const jpeg = await sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 20, g: 120, b: 200 } } })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), '蓝天.jpg');
    const up = await fetch(`${site.base}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(up.status).toBe(201);

    const { page, errors, inFlight } = await site.signIn('tupian', { width: 1280, height: 900 });
    await page.click('.topbar nav a:has-text("图片库")');
    const thumb = page.locator('.media-card img').first();
    await thumb.waitFor();
    await settled(page, inFlight);
    expect(await thumb.getAttribute('src')).toMatch(new RegExp(`^${publicUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/\\d{4}/`));
    expect(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await shot(page, 'media-s3-library', { fullPage: false });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
