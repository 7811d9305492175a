import { describe, expect, it } from 'vitest';
import { pageSurrogateKeys, utf8Bytes } from '../../src/web/page-cache.ts';

describe('a kept page’s surrogate keys', () => {
  // What the keys always meant: every `/a/` followed by 1 to 10 digits and no further digit.
  const byRegex = (routeKeys: string | undefined, html: string) => {
    const keys = new Set(routeKeys ? routeKeys.split(' ').filter(Boolean) : []);
    for (const m of html.matchAll(/\/a\/(\d{1,10})(?![\d])/g)) {
      keys.add(`a${Number(m[1])}`);
      if (keys.size >= 200) break;
    }
    return [...keys];
  };

  it('name the route’s keys and every article the page links to, once each', () => {
    const pages = [
      '<a href="/a/12">x</a><a href="/a/12#c">y</a><a href="http://x.test/a/7?full=1">z</a>',
      '/a/1234567890 /a/12345678901 /a/ /a/x /a//a/5 /a/0 /a/007 末尾/a/9',
      '<img src="/media/a/12/3.jpg"> /zh-hant/a/44 data-share-url="https://n.example/a/45"',
      '/a/١٢٣ /a/１２ /A/3 /a/4/a/5',
      '',
      '/a/',
      '/a/99',
    ];
    for (const html of pages) for (const route of [undefined, '', 'home a1 c-keji']) expect(pageSurrogateKeys(route, html)).toEqual(byRegex(route, html));
    expect(pageSurrogateKeys('home', '<a href="/a/3">甲</a><a href="/a/3">乙</a>')).toEqual(['home', 'a3']);
  });

  it('stop at 200 keys however many articles a page links to', () => {
    const html = Array.from({ length: 500 }, (_, i) => `<a href="/a/${i + 1}">${i}</a>`).join('');
    const keys = pageSurrogateKeys('home', html);
    expect(keys).toHaveLength(200);
    expect(keys).toEqual(byRegex('home', html));
  });
});

describe('a page’s bytes', () => {
  it('are its UTF-8, whatever characters it holds and however long it is', () => {
    const texts = [
      '',
      'ascii only <p>',
      '砚台新闻 · 简体 繁體',
      '表情 😀 与 𠀀 扩展汉字',
      'lone \uD800 high and \uDC00 low surrogates',
      '\u2028\u2029\u0000\uFFFD',
      '长'.repeat(90_000),
      `${'a'.repeat(87_381)}长`,
    ];
    for (const text of texts) expect(utf8Bytes(text).equals(Buffer.from(text))).toBe(true);
  });

  it('are each page’s own: a later page does not change an earlier one’s bytes', () => {
    const first = utf8Bytes('第一页');
    const copy = Buffer.from(first);
    utf8Bytes('第二页的内容更长一些');
    expect(first.equals(copy)).toBe(true);
  });
});
