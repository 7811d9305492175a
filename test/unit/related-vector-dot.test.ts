import { describe, expect, it } from 'vitest';
import { dotWithVector } from '../../src/storage/repositories/related.ts';

/** The same dot product by parsing the vector: what similarPublished scored before reading vectors in place. */
const byParsing = (json: string, weightOf: ReadonlyMap<string, number>) =>
  (JSON.parse(json) as [string, number][])
    .filter(([term]) => weightOf.has(term))
    .reduce((sum, [term, weight]) => ({ similarity: sum.similarity + weight * weightOf.get(term)!, shared: sum.shared + 1 }), { similarity: 0, shared: 0 });

describe('a kept term vector dotted with a query in place', () => {
  it('gives what parsing it gives, for every kind of term and weight a vector can hold', () => {
    const terms = ['江城', '地铁', 'ai', '5g', '新能源汽车', '𠮷野家', 'a]b', 'x,y', '引号"里', '反斜杠\\', '["', '],['];
    const weights = [0.5, 1e-7, 0.123456789, 3, 2.5e-12, 0];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const vector: [string, number][] = terms.filter(() => rnd() < 0.6).map((t) => [t, weights[Math.floor(rnd() * weights.length)]!]);
      const query = new Map(terms.filter(() => rnd() < 0.5).map((t) => [t, rnd()] as const));
      const json = JSON.stringify(vector);
      const got = dotWithVector(json, query);
      const want = byParsing(json, query);
      expect(got.shared).toBe(want.shared);
      expect(got.similarity).toBeCloseTo(want.similarity, 12);
    }
  });

  it('scores an empty vector, and one sharing nothing, as nothing shared', () => {
    expect(dotWithVector('[]', new Map([['江城', 1]]))).toEqual({ similarity: 0, shared: 0 });
    expect(dotWithVector('[["地铁",0.5]]', new Map([['江城', 1]]))).toEqual({ similarity: 0, shared: 0 });
    expect(dotWithVector('[["地铁",0.5],["江城",0.25]]', new Map([['江城', 2]]))).toEqual({ similarity: 0.5, shared: 1 });
  });
});
