import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskHits, WordMatcher } from '../../src/domain/moderation/matcher.ts';
import { foldText, foldWord } from '../../src/domain/moderation/normalize.ts';
import { parseWordList } from '../../src/domain/moderation/service.ts';
import type { WordAction } from '../../src/domain/moderation/word.ts';

const list = (entries: [string, WordAction][]) => new WordMatcher(entries.map(([word, action]) => ({ word, key: foldWord(word), action })));

describe('sensitive-word matching', () => {
  it('folds width, traditional characters and case, and drops separators, keeping a map to the original', () => {
    expect(foldWord('敏＊感')).toBe('敏感');
    expect(foldWord('ＡＢＣ abc')).toBe('abcabc');
    expect(foldWord('臺灣 國語')).toBe('台湾国语');
    const f = foldText('a ＢC');
    expect(f.text).toBe('abc');
    expect([...f.starts]).toEqual([0, 2, 3]);
    expect([...f.ends]).toEqual([1, 3, 4]);
  });

  it('finds words across separators, emoji and surrogate pairs, and masks exactly their characters', () => {
    const m = list([
      ['敏感', 'mask'],
      ['违禁', 'block'],
    ]);
    const text = '𠮷敏😀感𠮷，违、禁';
    const s = m.screen(text);
    expect(s.verdict).toBe('block');
    expect(maskHits(text, s.hits)).toBe('𠮷＊😀＊𠮷，违、禁');
    expect(m.screen('敏锐的感觉').hits).toEqual([]);
  });

  it('finds overlapping words, words with characters beyond the BMP, and every word that folds to the same key', () => {
    const m = list([
      ['敏感', 'review'],
      ['感词', 'mask'],
      ['𠮷野家', 'mask'],
      ['臺灣', 'review'],
      ['台湾', 'mask'],
    ]);
    const overlapping = m.screen('这是敏感词。');
    expect(overlapping.hits.map((h) => [h.word, h.start, h.end])).toEqual([
      ['敏感', 2, 4],
      ['感词', 3, 5],
    ]);
    const astral = '去𠮷 野 家吃饭';
    const hit = m.screen(astral).hits;
    expect(hit).toEqual([{ word: '𠮷野家', action: 'mask', start: 1, end: 7 }]);
    expect(maskHits(astral, hit)).toBe('去＊ ＊ ＊吃饭');
    // A key's surrogate pair never matches half of another character's pair.
    expect(list([['\u{20BB7}', 'block']]).screen('\u{20BB8}\u{21BB7}').hits).toEqual([]);
    const same = m.screen('台灣');
    expect(same.hits.map((h) => h.word).sort()).toEqual(['台湾', '臺灣']);
    expect(same.verdict).toBe('review');
  });

  it('gives the strongest action of all hits', () => {
    const m = list([
      ['甲', 'mask'],
      ['乙', 'review'],
      ['丙', 'block'],
    ]);
    expect(m.screen('甲').verdict).toBe('mask');
    expect(m.screen('甲乙').verdict).toBe('review');
    expect(m.screen('丙甲乙').verdict).toBe('block');
    expect(m.screen('丁').verdict).toBe(null);
  });

  it('finds a word whatever separators are put between its characters, and masking keeps every other character', () => {
    const separators = [' ', '＊', '*', '-', '·', '\u200b', '、', '　', '!', '😀'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('敏', '感', '词', 'Ａ', 'b', '國'), { minLength: 2, maxLength: 5 }),
        fc.array(fc.constantFrom(...separators), { minLength: 0, maxLength: 6 }),
        fc.string({ maxLength: 20 }),
        (chars, seps, around) => {
          const word = chars.join('');
          const m = list([[word, 'mask']]);
          const spread = chars.map((c, i) => c + (i < chars.length - 1 ? (seps[i] ?? '') : '')).join('');
          const text = `${around}${spread}${around}`;
          const s = m.screen(text);
          expect(s.hits.length).toBeGreaterThan(0);
          const masked = maskHits(text, s.hits);
          expect([...masked].length).toBe([...text].length);
          expect(m.screen(masked).hits).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a pasted list: actions in either language after a tab, comma or space; comment lines skipped', () => {
    expect(parseWordList('# 注释\n甲乙\t屏蔽\n丙丁,打码\n戊己 review\n庚辛', 'mask')).toEqual([
      { word: '甲乙', key: '甲乙', action: 'block' },
      { word: '丙丁', key: '丙丁', action: 'mask' },
      { word: '戊己', key: '戊己', action: 'review' },
      { word: '庚辛', key: '庚辛', action: 'mask' },
    ]);
    // A phrase with a space whose last part is no action keeps the space (it folds away for matching).
    expect(parseWordList('hello world', 'block')).toEqual([{ word: 'hello world', key: 'helloworld', action: 'block' }]);
    expect(() => parseWordList('\n\n', 'block')).toThrow(/no words/);
  });
});
