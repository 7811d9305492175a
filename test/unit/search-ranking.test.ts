import { describe, expect, it } from 'vitest';
import { searchHead } from '../../src/domain/search/document.ts';
import { parseQuery } from '../../src/domain/search/query.ts';
import { headField, headScore } from '../../src/domain/search/ranking.ts';

const terms = (q: string) => parseQuery(q).terms;

describe('ranking by where the words are', () => {
  const head = searchHead('光伏組件出口增長，AI 芯片也在列', ['外贸', 'Solar']);

  it('keeps the title and each tag normalized as queries are, one per line', () => {
    expect(head).toBe('光伏组件出口增长 ai 芯片也在列\n外贸\nsolar');
    expect(searchHead('标题', [])).toBe('标题');
  });

  it('tells the title from a tag from the rest, for words, exact text and synonym groups', () => {
    const [pv, trade, chip, metro] = terms('光伏 外贸 芯片 地铁');
    expect(headField(head, pv!)).toBe(0);
    expect(headField(head, trade!)).toBe(1);
    expect(headField(head, chip!)).toBe(0);
    expect(headField(head, metro!)).toBe(3);
    // A synonym group: the best field of any of its words.
    const anyOf = (...tokens: string[]) => ({ kind: 'any' as const, of: tokens.map((token) => ({ kind: 'word' as const, token })) });
    expect(headField(head, anyOf('地铁', '外贸'))).toBe(1);
    expect(headField(head, anyOf('外贸', '组件'))).toBe(0);
  });

  it('matches a Latin word or number only whole', () => {
    expect(headField(head, { kind: 'word', token: 'ai' })).toBe(0);
    expect(headField(head, { kind: 'word', token: 'sol' })).toBe(3);
    expect(headField(head, { kind: 'word', token: 'solar' })).toBe(1);
    expect(headField('said 5g', { kind: 'word', token: 'ai' })).toBe(3);
    expect(headField('5g 网络', { kind: 'word', token: '5g' })).toBe(0);
  });

  it('scores the sum of the terms’ field weights; a document without a head as text only', () => {
    expect(headScore(head, terms('光伏 外贸'))).toBe(16);
    expect(headScore(head, terms('光伏 地铁'))).toBe(11);
    expect(headScore(null, terms('光伏 外贸'))).toBe(2);
  });
});
