import { describe, expect, it } from 'vitest';
import { freshPostings, KeptPostings, type ReadPostings } from '../../src/domain/articles/kept-postings.ts';
import { POSTINGS } from '../../src/domain/articles/related-candidates.ts';
import type { Postings } from '../../src/domain/store.ts';

/**
 * A term's postings as the database has them (article → weight), read as related.ts reads them: heaviest first, ties
 * by id, the first `depth`.
 */
class Archive {
  readonly terms = new Map<string, Map<number, number>>();
  reads: [string, number][] = [];

  put(articleId: number, terms: readonly (readonly [string, number])[]): void {
    for (const postings of this.terms.values()) postings.delete(articleId);
    for (const [term, w] of terms) {
      let postings = this.terms.get(term);
      if (!postings) this.terms.set(term, (postings = new Map()));
      postings.set(articleId, w);
    }
  }

  top(term: string, depth: number): [number, number][] {
    return [...(this.terms.get(term) ?? [])].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, depth);
  }

  readonly read: ReadPostings = async (terms, allocate = freshPostings) => {
    this.reads.push(...terms.map(([t, d]) => [t, d] as [string, number]));
    const out = new Map<string, Postings>();
    for (const [term, depth] of terms) {
      const top = this.top(term, depth);
      if (top.length === 0) continue;
      const p = allocate(top.length);
      for (const [k, [id, w]] of top.entries()) {
        p.ids[k] = id;
        p.weights[k] = w;
      }
      out.set(term, p);
    }
    return out;
  };
}

const asPairs = (p: Postings | undefined) => Array.from(p?.ids ?? [], (id, i) => [id, p!.weights[i]!]);

/** A deterministic sequence in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('postings kept from read to read', () => {
  it('reads a term once and answers it again from what it kept, as deep as it was read', async () => {
    const archive = new Archive();
    for (let id = 1; id <= 50; id++)
      archive.put(id, [
        ['港口', id / 100],
        ['航线', 1 - id / 100],
      ]);
    const kept = new KeptPostings({ capacity: 1_000 });
    const first = await kept.read(
      archive.read,
      new Map([
        ['港口', 10],
        ['航线', 5],
      ]),
    );
    expect(asPairs(first.get('港口'))).toEqual(archive.top('港口', 10));
    expect(archive.reads).toEqual([
      ['港口', 10],
      ['航线', 5],
    ]);
    archive.reads = [];
    const again = await kept.read(
      archive.read,
      new Map([
        ['港口', 4],
        ['航线', 5],
      ]),
    );
    expect(asPairs(again.get('港口'))).toEqual(archive.top('港口', 4));
    expect(asPairs(again.get('航线'))).toEqual(archive.top('航线', 5));
    expect(archive.reads).toEqual([]);
    // Deeper than it was read: read again. A term with fewer postings than asked is known whole.
    await kept.read(
      archive.read,
      new Map([
        ['港口', 20],
        ['无人', 5],
      ]),
    );
    expect(archive.reads).toEqual([
      ['港口', 20],
      ['无人', 5],
    ]);
    archive.reads = [];
    archive.put(99, [['航线', 0.5]]);
    kept.add(99, [['航线', 0.5]]);
    expect(asPairs((await kept.read(archive.read, new Map([['港口', 20]]))).get('港口'))).toEqual(archive.top('港口', 20));
    expect(archive.reads).toEqual([]);
    expect(kept.counts).toEqual({ kept: 3, read: 4 });
  });

  it.each([
    ['new arrays each time', false],
    ['arrays let go used again', true],
  ])('gives what the database would give after analyses are added and made again, whatever their order (%s)', async (_, recycle) => {
    const rnd = random(7);
    const vocabulary = Array.from({ length: 30 }, (_, i) => `词${i}`);
    const analysis = (): [string, number][] => {
      const terms = new Map<string, number>();
      for (let k = 0; k < 6; k++) terms.set(vocabulary[Math.floor(rnd() * rnd() * vocabulary.length)]!, Math.round(rnd() * 40) / 40);
      return [...terms];
    };
    const archive = new Archive();
    for (let id = 1; id <= 400; id++) archive.put(id, analysis());
    // Small enough that terms are let go and read again, their arrays used again when recycling.
    const kept = new KeptPostings({ capacity: 600, recycle });
    let nextId = 401;
    const dropped = new Set<string>();
    for (let step = 0; step < 600; step++) {
      const r = rnd();
      if (r < 0.4) {
        // A new article, told once committed.
        const terms = analysis();
        archive.put(nextId, terms);
        kept.add(nextId++, terms, { replace: true });
      } else if (r < 0.55) {
        // An article analysed again (its text edited): its weights change, and a term it no longer has keeps its old
        // posting where it was kept until read again (a place on a shortlist wasted, no more); the rest must be exact.
        const id = 1 + Math.floor(rnd() * (nextId - 1));
        const terms = analysis();
        for (const [t, postings] of archive.terms) if (postings.has(id)) dropped.add(`${t}:${id}`);
        for (const [t] of terms) dropped.delete(`${t}:${id}`);
        archive.put(id, terms);
        kept.add(id, terms, { replace: true });
      } else {
        const depths = new Map<string, number>();
        for (let k = 0; k < 4; k++) depths.set(vocabulary[Math.floor(rnd() * vocabulary.length)]!, 1 + Math.floor(rnd() * 60));
        const got = await kept.read(archive.read, depths);
        for (const [term, depth] of depths) {
          const pairs = asPairs(got.get(term));
          const live = pairs.filter(([id]) => !dropped.has(`${term}:${id}`));
          const want = archive.top(term, Number.POSITIVE_INFINITY);
          expect(live, `${term} to ${depth} at step ${step}`).toEqual(want.slice(0, live.length));
          expect(live.length).toBeGreaterThanOrEqual(Math.min(depth, want.length) - (pairs.length - live.length));
        }
      }
    }
    // Both kinds of answer, many times over: kept, and read again after being let go.
    expect(kept.counts.kept).toBeGreaterThan(200);
    expect(kept.counts.read).toBeGreaterThan(200);
  });

  it('lets go of the terms read least recently past its capacity, and of all after their time', async () => {
    const archive = new Archive();
    for (let id = 1; id <= 100; id++)
      archive.put(id, [
        ['甲', id / 200],
        ['乙', id / 200],
        ['丙', id / 200],
      ]);
    let now = 0;
    const kept = new KeptPostings({ capacity: 250, ttlMs: 60_000, now: () => now });
    await kept.read(archive.read, new Map([['甲', 100]]));
    await kept.read(archive.read, new Map([['乙', 100]]));
    await kept.read(archive.read, new Map([['甲', 100]]));
    // 300 postings: 乙, read least recently, goes.
    await kept.read(archive.read, new Map([['丙', 100]]));
    archive.reads = [];
    await kept.read(
      archive.read,
      new Map([
        ['甲', 100],
        ['丙', 100],
        ['乙', 100],
      ]),
    );
    expect(archive.reads).toEqual([['乙', 100]]);
    archive.reads = [];
    now = 59_999;
    await kept.read(archive.read, new Map([['乙', 50]]));
    expect(archive.reads).toEqual([]);
    now = 60_000;
    // 丙 was read at 0 (kept since, and used again): too old now, it is read again, and an analysis this process was
    // never told of shows.
    archive.put(500, [['丙', 0.995]]);
    const got = await kept.read(archive.read, new Map([['丙', 3]]));
    expect(asPairs(got.get('丙'))[0]).toEqual([500, 0.995]);
    expect(archive.reads).toEqual([['丙', 3]]);
  });

  it('uses the arrays of terms let go again for the next ones read, when asked to', async () => {
    const archive = new Archive();
    for (let id = 1; id <= 400; id++)
      archive.put(id, [
        ['甲', id / 500],
        ['乙', id / 500],
        ['丙', id / 500],
      ]);
    const kept = new KeptPostings({ capacity: 600, recycle: true });
    const first = (await kept.read(archive.read, new Map([['甲', 100]]))).get('甲')!;
    await kept.read(archive.read, new Map([['乙', 200]]));
    // 650 postings, past the capacity: 甲, read least recently, goes, its arrays (room for 128) kept spare.
    await kept.read(archive.read, new Map([['丙', 350]]));
    archive.reads = [];
    const again = (await kept.read(archive.read, new Map([['甲', 90]]))).get('甲')!;
    expect(archive.reads).toEqual([['甲', 90]]);
    expect(again.ids.buffer).toBe(first.ids.buffer);
    expect(again.weights.buffer).toBe(first.weights.buffer);
    expect(asPairs(again)).toEqual(archive.top('甲', 90));
  });

  it('keeps no more of a term than any reader reads', async () => {
    const archive = new Archive();
    const n = POSTINGS.ceiling + 10;
    for (let id = 1; id <= n - 5; id++) archive.put(id, [['热词', id / n]]);
    const kept = new KeptPostings({ capacity: 1_000_000 });
    await kept.read(archive.read, new Map([['热词', POSTINGS.ceiling]]));
    for (let id = n - 4; id <= n; id++) {
      archive.put(id, [['热词', id / n]]);
      kept.add(id, [['热词', id / n]]);
    }
    archive.reads = [];
    const got = await kept.read(archive.read, new Map([['热词', POSTINGS.ceiling]]));
    expect(asPairs(got.get('热词'))).toEqual(archive.top('热词', POSTINGS.ceiling));
    expect(archive.reads).toEqual([]);
  });
});
