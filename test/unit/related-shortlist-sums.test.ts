import { describe, expect, it } from 'vitest';
import { kthLargestInPlace, kthLargestOf } from '../../src/domain/articles/related-candidates.ts';
import { ShortlistSums } from '../../src/storage/repositories/related.ts';

/** What the shortlist's SQL did before (GROUP BY article_id ORDER BY sum desc, article_id desc LIMIT n), in plain JS. */
function byGrouping(postings: readonly (readonly [id: number, s: number])[], limit: number): number[] {
  const sums = new Map<number, number>();
  for (const [id, s] of postings) sums.set(id, (sums.get(id) ?? 0) + s);
  return [...sums]
    .sort((a, b) => b[1] - a[1] || b[0] - a[0])
    .slice(0, limit)
    .map(([id]) => id);
}

function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

describe('the shortlist of a publish’s related candidates (summed postings)', () => {
  it('keeps the best sums, best first, as the grouped SQL did', () => {
    const rnd = random(7);
    const sums = new ShortlistSums();
    for (let round = 0; round < 5; round++) {
      // Forty terms' cut lists over a few thousand articles: most articles reached by one term, some by many.
      const postings: [number, number][] = [];
      for (let term = 0; term < 40; term++) {
        const w = 0.05 + rnd() * 0.3;
        for (let k = 0; k < 300; k++) postings.push([1 + Math.floor(rnd() ** 2 * 5_000), (Math.round(rnd() * 1000) / 1000) * w]);
      }
      for (const [id, s] of postings) sums.add(id, s);
      const expected = byGrouping(postings, 400);
      const found = sums.best(400);
      // Float32 sums: the same set, ordered the same wherever two sums are not within float32's rounding of each other.
      expect(new Set(found)).toEqual(new Set(expected));
      expect(found).toHaveLength(400);
    }
  });

  it('breaks ties by the newer article, counts a sum of 0 as a candidate, and starts clean after each shortlist', () => {
    const sums = new ShortlistSums();
    sums.add(10, 0.5);
    sums.add(30, 0.25);
    sums.add(20, 0.5);
    sums.add(30, 0.25);
    sums.add(40, 0);
    expect(sums.best(10)).toEqual([30, 20, 10, 40]);
    expect(sums.best(3)).toEqual([]);
    sums.add(10, 0.1);
    sums.add(40, 0.2);
    expect(sums.best(1)).toEqual([40]);
    // Ties at the cut: the newer id is kept.
    for (const id of [5, 6, 7]) sums.add(id, 1);
    expect(sums.best(2)).toEqual([7, 6]);
  });

  it('grows for ids past any seen before and for more articles than its first arrays hold', () => {
    const sums = new ShortlistSums();
    sums.add(3_000_000, 2);
    for (let id = 1; id <= 100_000; id++) sums.add(id, id / 1e6);
    expect(sums.best(3)).toEqual([3_000_000, 100_000, 99_999]);
    expect(sums.best(3)).toEqual([]);
  });

  it('finds the k-th largest sum (the shortlist’s cut) as a sort would, duplicates and both ends included', () => {
    const rnd = random(11);
    for (const n of [1, 2, 3, 17, 400, 5_000]) {
      // Few distinct values (many ties) in half the rounds.
      for (const distinct of [n, 3]) {
        const values = Float64Array.from({ length: n }, () => Math.floor(rnd() * distinct) / distinct);
        const sorted = [...values].sort((a, b) => b - a);
        for (const k of new Set([1, Math.ceil(n / 2), n])) expect(kthLargestInPlace(Float64Array.from(values), k)).toBe(sorted[k - 1]);
      }
    }
  });
});

describe('the k-th largest of many sums (a shortlist’s threshold)', () => {
  it('is the k-th of the sorted values, whether the sample’s cut falls below the answer or not', () => {
    const rnd = random(11);
    const shapes: ((i: number) => number)[] = [
      () => rnd(),
      // Few distinct values: many ties at the answer.
      () => Math.floor(rnd() * 20) / 20,
      // A long tail of tiny sums under a few large ones, as postings give.
      () => rnd() ** 8,
      // Ascending and descending runs: a strided sample sees only part of the order.
      (i) => i,
      (i) => -i,
      // Large values only where the strided sample looks: its cut lands above the answer, and all values are selected.
      (i) => (i % 16 === 0 ? 2 + rnd() : rnd()),
      // And only where it does not look.
      (i) => (i % 16 === 0 ? 0 : 1 + rnd()),
      () => 0.5,
    ];
    for (const shape of shapes)
      for (const n of [1, 399, 400, 401, 6_399, 6_400, 10_000, 40_000])
        for (const k of [1, 40, 400]) {
          if (k > n) continue;
          const values = Float64Array.from({ length: n }, (_, i) => shape(i));
          const sorted = Float64Array.from(values).sort().reverse();
          expect(kthLargestOf(Float64Array.from(values), k), `${shape} n=${n} k=${k}`).toBe(sorted[k - 1]);
          expect(kthLargestInPlace(Float64Array.from(values), k)).toBe(sorted[k - 1]);
        }
  });
});
