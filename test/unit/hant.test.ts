import { describe, expect, it } from 'vitest';
import { isMirrored, traditionalPage } from '../../src/web/public/hant.tsx';

const SITE = 'https://news.example.test';

describe('traditional page conversion', () => {
  it('converts text and readable attributes, never URLs, classes, scripts, comments or JSON-LD keys', () => {
    const html =
      '<!doctype html><html lang="zh-CN"><head><title>发展与后来</title>' +
      '<link rel="canonical" href="https://news.example.test/c/difang"/>' +
      '<script type="application/ld+json">{"@type":"NewsArticle","headline":"头发","url":"https://news.example.test/search?q=头发","发布":"后台"}</script>' +
      '<script>var 后 = "后";</script><!-- 后台 --></head>' +
      '<body><a class="后台 nav" href="/search?q=头发&amp;channel=后台" title="后来">后来 &amp; 发展</a>' +
      '<img src="/media/头发.jpg" alt="头发" data-note="后台"><a href="https://other.example/后台">外链</a>' +
      '<a href="/a/7/poster.png">海报</a><form action="/a/7/mood" method="post"></form></body></html>';
    expect(traditionalPage(html, SITE)).toBe(
      '<!doctype html><html lang="zh-Hant"><head><title>發展與後來</title>' +
        '<link rel="canonical" href="https://news.example.test/zh-hant/c/difang" />' +
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"頭髮","url":"https://news.example.test/search?q=头发","发布":"後臺"}</script>' +
        '<script>var 后 = "后";</script><!-- 后台 --></head>' +
        '<body><a class="后台 nav" href="/zh-hant/search?q=头发&amp;channel=后台" title="後來">後來 &amp; 發展</a>' +
        '<img src="/media/头发.jpg" alt="頭髮" data-note="后台"><a href="https://other.example/后台">外鏈</a>' +
        '<a href="/a/7/poster.png">海報</a><form action="/a/7/mood" method="post"></form></body></html>',
    );
  });

  it('mirrors reader pages only', () => {
    for (const path of ['/', '/a/12', '/c/difang/yaowen', '/c/difang/', '/t/kexuecheng', '/search']) expect(isMirrored(path), path).toBe(true);
    for (const path of ['/a/12/qr.svg', '/api/v1/feed', '/feed.xml', '/admin', '/zh-hant/', '/media/x.jpg']) expect(isMirrored(path), path).toBe(false);
  });
});
