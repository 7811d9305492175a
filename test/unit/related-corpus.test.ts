import { describe, expect, it } from 'vitest';
import { CorpusStatistics } from '../../src/domain/articles/related-candidates.ts';
import type { AnalysedRange } from '../../src/domain/store.ts';

/**
 * A publish's related reading damps the archive's beat words by their share of the archive (archiveDamping). Past ten
 * thousand articles those shares are remembered for a few minutes instead of counted on every publish; below that,
 * where each article moves them, they are counted every time.
 */
describe('the archive statistics a publish reads', () => {
  /** A repository whose counts change between calls, recording what it was asked and how often it counted the archive. */
  function archive(documents: number) {
    const asked: string[][] = [];
    const counted = { archive: 0 };
    let bump = 0;
    return {
      asked,
      counted,
      grow: () => bump++,
      related: {
        async documentFrequencies(terms: readonly string[], known?: AnalysedRange) {
          asked.push([...terms]);
          if (!known) counted.archive++;
          const range = known ?? { documents: documents + bump, first: 1, last: documents + bump };
          return { documents: range.documents, df: new Map(terms.filter((t) => t !== '无此词').map((t) => [t, t.length * 100 + bump])), range };
        },
      },
    };
  }
  const clock = (start = 0) => {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };
  const options = { from: 10_000, ttlMs: 300_000, maxTerms: 100 };

  it('counts a small archive afresh for every publish', async () => {
    const a = archive(500);
    const stats = new CorpusStatistics(options, clock().now);
    expect(await stats.of(a.related, ['江城', '候鸟'])).toEqual({
      documents: 500,
      df: new Map([
        ['江城', 200],
        ['候鸟', 200],
      ]),
    });
    a.grow();
    expect(await stats.of(a.related, ['江城', '候鸟'])).toEqual({
      documents: 501,
      df: new Map([
        ['江城', 201],
        ['候鸟', 201],
      ]),
    });
    expect(a.asked).toHaveLength(2);
    expect(a.counted.archive).toBe(2);
  });

  it('remembers a large archive’s counts for minutes, counting only the terms it has not seen', async () => {
    const a = archive(300_000);
    const c = clock();
    const stats = new CorpusStatistics(options, c.now);
    const first = await stats.of(a.related, ['江城', '新能源汽车', '无此词']);
    expect(first).toEqual({
      documents: 300_000,
      df: new Map([
        ['江城', 200],
        ['新能源汽车', 500],
      ]),
    });
    a.grow();
    c.advance(60_000);
    // The same terms and one new: only the new one is counted, against the archive as remembered (not counted again);
    // the others as remembered, a term without postings at 0.
    expect(await stats.of(a.related, ['江城', '无此词', '湿地'])).toEqual({
      documents: 300_000,
      df: new Map([
        ['江城', 200],
        ['无此词', 0],
        ['湿地', 201],
      ]),
    });
    expect(a.asked).toEqual([['江城', '新能源汽车', '无此词'], ['湿地']]);
    expect(a.counted.archive).toBe(1);
    expect(await stats.of(a.related, ['江城'])).toEqual({ documents: 300_000, df: new Map([['江城', 200]]) });
    expect(a.asked).toHaveLength(2);
    // Past the time, the archive and the term are counted again.
    c.advance(300_000);
    expect(await stats.of(a.related, ['江城'])).toEqual({ documents: 300_001, df: new Map([['江城', 201]]) });
    expect(a.asked).toHaveLength(3);
    expect(a.counted.archive).toBe(2);
  });

  it('keeps a bounded number of terms', async () => {
    const a = archive(300_000);
    const stats = new CorpusStatistics({ ...options, maxTerms: 3 }, clock().now);
    await stats.of(a.related, ['甲', '乙', '丙']);
    await stats.of(a.related, ['丁', '戊']);
    // The first three were let go to make room: asked again.
    await stats.of(a.related, ['甲']);
    expect(a.asked).toEqual([['甲', '乙', '丙'], ['丁', '戊'], ['甲']]);
  });
});
