import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { isTempPath } from '../../src/domain/media/files.ts';
import { cleanOriginalName, mediaKeyOf, type Media } from '../../src/domain/media/media.ts';
import { etagMatches, mediaEtag, parseRange, resolveRange } from '../../src/domain/media/media-store.ts';
import { imageSources, responsiveImage, withResponsiveImages } from '../../src/domain/media/responsive.ts';
import { variantFormats, variantWidths } from '../../src/domain/media/service.ts';

const KEY = '2026/11/AbCdEfGhIjKlMn_-';

function media(over: Partial<Media> = {}): Media {
  const v = (width: number, format: Media['variants'][number]['format'], ext: string) => ({
    path: `${KEY}-${width}.${ext}`,
    format,
    width,
    height: width / 2,
    bytes: width,
  });
  return {
    id: 1,
    accountId: 1,
    key: KEY,
    originalName: 'a.jpg',
    mime: 'image/jpeg',
    width: 2000,
    height: 1000,
    bytes: 1,
    sha256: '0'.repeat(64),
    variants: [v(480, 'jpeg', 'jpg'), v(480, 'webp', 'webp'), v(960, 'jpeg', 'jpg'), v(960, 'webp', 'webp'), v(1600, 'jpeg', 'jpg'), v(1600, 'webp', 'webp')],
    createdAt: 0,
    caption: '',
    alt: '',
    credit: '',
    sourceUrl: null,
    ...over,
  };
}

describe('media helpers', () => {
  it('chooses variant widths without ever scaling up, and formats by type', () => {
    expect(variantWidths(300)).toEqual([300]);
    expect(variantWidths(500)).toEqual([500]);
    expect(variantWidths(1000)).toEqual([480, 1000]);
    expect(variantWidths(1600)).toEqual([480, 960, 1600]);
    expect(variantWidths(1700)).toEqual([480, 960, 1600]);
    expect(variantWidths(6000)).toEqual([480, 960, 1600]);
    expect(variantFormats('image/jpeg')).toEqual(['jpeg', 'webp']);
    expect(variantFormats('image/webp')).toEqual(['webp']);
    expect(variantFormats('image/avif')).toEqual(['avif', 'webp']);
    expect(variantFormats('image/apng')).toEqual(['png', 'webp']);
  });

  it('recognises only our own upload URLs', () => {
    expect(mediaKeyOf(`/media/${KEY}-480.jpg`)).toBe(KEY);
    expect(mediaKeyOf(`/media/${KEY}-1600.avif`)).toBe(KEY);
    for (const url of [
      '/media/demo/harbour-cranes.jpg',
      `/media/${KEY}-480.svg`,
      `/media/2026/11/../../${KEY.slice(8)}-480.jpg`,
      `https://evil.example/media/${KEY}-480.jpg`,
      `/media/${KEY}-480.jpg?x=1`,
      `//media/${KEY}-480.jpg`,
    ]) {
      expect(mediaKeyOf(url), url).toBeUndefined();
    }
  });

  it('builds srcset from the stored variants, the modern format as a source', () => {
    const index = new Map([[KEY, media()]]);
    expect(responsiveImage(`/media/${KEY}-960.jpg`, index, '100vw')).toEqual({
      src: `/media/${KEY}-1600.jpg`,
      srcset: `/media/${KEY}-480.jpg 480w, /media/${KEY}-960.jpg 960w, /media/${KEY}-1600.jpg 1600w`,
      sizes: '100vw',
      width: 1600,
      height: 800,
      sources: [{ type: 'image/webp', srcset: `/media/${KEY}-480.webp 480w, /media/${KEY}-960.webp 960w, /media/${KEY}-1600.webp 1600w` }],
    });
    expect(responsiveImage('/media/demo/a.jpg', index)).toBeUndefined();
    expect(responsiveImage(`/media/2026/11/ZZZZZZZZZZZZZZZZ-480.jpg`, index)).toBeUndefined();
  });

  it('rewrites only the body images that are uploads, keeping their other attributes', () => {
    const index = new Map([[KEY, media()]]);
    const html = `<p>文</p><figure><img src="/media/${KEY}-1600.jpg" alt="&quot;引号&quot; &lt;b&gt;" width="1" height="1" loading="lazy" decoding="async" /></figure><img src="https://x.example/a.jpg" alt="外" />`;
    expect(imageSources(html)).toEqual([`/media/${KEY}-1600.jpg`, 'https://x.example/a.jpg']);
    const out = withResponsiveImages(html, index, '100vw');
    expect(out).toContain(
      `<figure><picture><source type="image/webp" srcset="/media/${KEY}-480.webp 480w, /media/${KEY}-960.webp 960w, /media/${KEY}-1600.webp 1600w" sizes="100vw" />`,
    );
    expect(out).toContain(`width="1600" height="800" alt="&quot;引号&quot; &lt;b&gt;" loading="lazy" decoding="async" /></picture></figure>`);
    expect(out).not.toContain('width="1"');
    expect(out).toContain('<img src="https://x.example/a.jpg" alt="外" />');
    expect(withResponsiveImages(html, new Map())).toBe(html);
  });

  it('keeps an uploaded file name as harmless metadata', () => {
    expect(cleanOriginalName('../../etc/passwd')).toBe('passwd');
    expect(cleanOriginalName('C:\\Users\\me\\照片 1.jpg')).toBe('照片 1.jpg');
    expect(cleanOriginalName('a\u0000b\u001b.jpg')).toBe('ab.jpg');
    expect(cleanOriginalName(undefined)).toBe('');
    expect(Array.from(cleanOriginalName('字'.repeat(500)))).toHaveLength(200);
    // A bidi override would show 'invoice\u202egpj.exe' as invoiceexe.jpg in the library and its search results.
    expect(cleanOriginalName('invoice\u202egpj.exe')).toBe('invoicegpj.exe');
    expect(cleanOriginalName('\u2067a\u202b.jpg\u2069')).toBe('a.jpg');
  });

  it('knows which request paths name the temporary folder', () => {
    for (const p of ['/tmp/x', '/tmp', '//tmp/x', '/./tmp/x', '/TMP/x', '/a/../tmp/x']) expect(isTempPath(p), p).toBe(true);
    for (const p of ['/2026/11/x-480.jpg', '/tmpfile.jpg', '/demo/tmp.jpg']) expect(isTempPath(p), p).toBe(false);
  });

  it('reads INKSTONE_MEDIA_MAX_BYTES, 20 MiB by default', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-config-'));
    expect(loadConfig({ INKSTONE_DATA_DIR: dataDir }).mediaMaxBytes).toBe(20 * 1024 * 1024);
    expect(loadConfig({ INKSTONE_DATA_DIR: dataDir, INKSTONE_MEDIA_MAX_BYTES: '5242880' }).mediaMaxBytes).toBe(5 * 1024 * 1024);
    for (const bad of ['20MB', '-1', '0', '1.5', String(2 * 1024 ** 3)]) {
      expect(() => loadConfig({ INKSTONE_DATA_DIR: dataDir, INKSTONE_MEDIA_MAX_BYTES: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe('Range headers of media requests', () => {
  it('reads one range of bytes and ignores everything else', () => {
    expect(parseRange('bytes=0-499')).toEqual({ start: 0, end: 499 });
    expect(parseRange('bytes=500-')).toEqual({ start: 500 });
    expect(parseRange('bytes=-500')).toEqual({ suffix: 500 });
    for (const other of [undefined, '', 'bytes=', 'bytes=-', 'bytes=-0', 'bytes=5-1', 'bytes=0-1,3-4', 'items=0-1', 'bytes=1e3-', `bytes=${'9'.repeat(16)}-`]) {
      expect(parseRange(other), String(other)).toBeUndefined();
    }
  });

  it('resolves a range against the file, and says when it misses it', () => {
    expect(resolveRange({ start: 0, end: 99 }, 50)).toEqual({ start: 0, end: 49 });
    expect(resolveRange({ suffix: 500 }, 50)).toEqual({ start: 0, end: 49 });
    expect(resolveRange({ start: 50 }, 50)).toBeUndefined();
    expect(resolveRange({ suffix: 1 }, 0)).toBeUndefined();
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    const tag = mediaEtag('2026/12/abc-480.jpg');
    expect(tag).not.toBe(mediaEtag('2026/12/abc-960.jpg'));
    expect(etagMatches(`"x", W/${tag}`, tag)).toBe(true);
    expect(etagMatches('*', tag)).toBe(true);
    expect(etagMatches('"x"', tag)).toBe(false);
    expect(etagMatches(undefined, tag)).toBe(false);
  });
});
