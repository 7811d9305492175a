import { describe, expect, it } from 'vitest';
import articlesA from '../../src/demo/articles-a.json' with { type: 'json' };
import articlesB from '../../src/demo/articles-b.json' with { type: 'json' };
import { openCC } from '../../src/domain/nlp/libraries.ts';
import { fastConverter } from '../../src/domain/nlp/opencc.ts';

/** Plain text of a demo body (tags out), as the index sees it. */
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').normalize('NFKC');

describe('OpenCC through the fast walk', () => {
  const library = openCC().Converter({ from: 'twp', to: 'cn' });
  const fast = fastConverter('twp', 'cn');
  const demo: string[] = [...articlesA, ...articlesB].flatMap((a: { title: string; summary?: string; body: string }) => [
    a.title,
    a.summary ?? '',
    text(a.body),
  ]);
  const toTaiwan = openCC().Converter({ from: 'cn', to: 'twp' });
  const toHongKong = openCC().Converter({ from: 'cn', to: 'hk' });

  it('gives what opencc-js gives for mainland, Taiwan and Hong Kong text', () => {
    const texts: string[] = [...demo, ...demo.map((t) => toTaiwan(t)), ...demo.map((t) => toHongKong(t))];
    expect(texts.length).toBeGreaterThan(100);
    let converted = 0;
    for (const t of texts) {
      const want = library(t);
      expect(fast(t), t.slice(0, 40)).toBe(want);
      if (want !== t) converted++;
    }
    // Not a comparison of texts that nothing changes: most of the Taiwan and Hong Kong ones are converted.
    expect(converted).toBeGreaterThan(demo.length);
  });

  it('converts vocabulary and characters, and leaves edge cases as opencc-js does', () => {
    expect(fast('軟體與網路資訊，滑鼠與雷射印表機')).toBe('软件与网络信息，鼠标与激光打印机');
    expect(fast('計程車司機看影片、寫部落格')).toBe(library('計程車司機看影片、寫部落格'));
    for (const t of [
      '',
      'abc 123',
      '⿰氵工 江河 ⿱艹化 乾隆',
      '𠮷野家的麵，𩸽魚',
      '乾隆皇帝著作等身，頭髮乾了',
      '\uD800 lone \uDC00 surrogates 後',
      '\uF900\uF901\uF902\uF903 \uF907 \uFA0C', // CJK compatibility ideographs: the normalization pass
      '一目瞭然 萬里長城 台灣 臺灣',
    ])
      expect(fast(t), t).toBe(library(t));
  });
});

describe('OpenCC mainland → Taiwan characters (the 繁 pages), through the fast walk', () => {
  it('gives what opencc-js gives', () => {
    const library = openCC().Converter({ from: 'cn', to: 'tw' });
    const fast = fastConverter('cn', 'tw');
    const texts: string[] = [...articlesA, ...articlesB].flatMap((a: { title: string; summary?: string; body: string }) => [a.title, a.summary ?? '', a.body]);
    let converted = 0;
    for (const t of [...texts, '', '⿰氵工 头发', '\uF900 后台 𠮷', '\uD800 发展']) {
      const want = library(t);
      expect(fast(t), t.slice(0, 40)).toBe(want);
      if (want !== t) converted++;
    }
    expect(converted).toBeGreaterThan(texts.length / 2);
    expect(fast('发展与后来，头发')).toBe('發展與後來，頭髮');
  });
});
