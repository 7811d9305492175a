import { describe, expect, it } from 'vitest';
import { IdfTable } from '../../src/domain/nlp/idf.ts';
import { jiebaDictionary, jiebaIdf, jiebaLibrary } from '../../src/domain/nlp/libraries.ts';
import { segmenter } from '../../src/domain/nlp/segment.ts';
import { idfOf } from '../../src/domain/nlp/tfidf.ts';

describe('the IDF table', () => {
  it('finds each word of its lines, the last line of a word winning, and gives the median for none', () => {
    const table = new IdfTable(Buffer.from('江城 9.5\n地铁 7.25\r\nabc 11\n江城 8.5\n坏行\n空 \n中 1e3\n', 'utf8'));
    expect(table.get('江城')).toBe(8.5);
    expect(table.get('地铁')).toBe(7.25);
    expect(table.get('abc')).toBe(11);
    expect(table.get('ab')).toBeUndefined();
    expect(table.get('abcd')).toBeUndefined();
    expect(table.get('坏行')).toBeUndefined();
    expect(table.get('中')).toBe(1000);
    // Values 9.5, 7.25, 11, 8.5, 1000 (9.5 replaced but still counted): sorted, the middle one.
    expect(table.median).toBe(9.5);
  });

  it('reads decimals exactly as Number() does', () => {
    const values = ['13.900677652', '0.1', '2.0', '12.345678901234', '7', '0.30000000000000004'];
    const table = new IdfTable(Buffer.from(values.map((v, i) => `词${i} ${v}`).join('\n'), 'utf8'));
    expect(values.map((_, i) => table.get(`词${i}`))).toEqual(values.map(Number));
  });
});

describe('idfOf', () => {
  it("weighs words as jieba's own TF-IDF extractor does (a sample of its dictionary and IDF table, and edge cases)", () => {
    const extractor = jiebaLibrary().TfIdf.withDict(jiebaIdf());
    const theirs = (w: string) => {
      const [hit] = extractor.extractKeywords(segmenter(), w, 1);
      return hit && hit.keyword === w ? hit.weight : 0;
    };
    const words = new Set(['the', 'The', 'OR', 'iphone', 'AI', '人工智能', '江城', '砚湖湿地', '中', '2026年', 'covid-19', '𠀋𠀋', '']);
    const lines = [...jiebaIdf().toString('utf8').split('\n'), ...jiebaDictionary().toString('utf8').split('\n')];
    for (let i = 0; i < lines.length; i += 11) words.add(lines[i]!.split(' ')[0]!);
    const differ = [...words].filter((w) => Math.abs(idfOf(w) - theirs(w)) > 1e-9);
    expect(words.size).toBeGreaterThan(50_000);
    expect(differ).toEqual([]);
  });
});
