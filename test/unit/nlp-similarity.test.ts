import { describe, expect, it } from 'vitest';
import { bodyText, sanitizeBody } from '../../src/domain/articles/html.ts';
import { analyseArticle, archiveDamping, relatedScore } from '../../src/domain/articles/related.ts';
import { bandKeys, decodeSignature, encodeSignature, fingerprint, MINHASH, similarity } from '../../src/domain/nlp/minhash.ts';
import { cosine, idfOf, termWeights } from '../../src/domain/nlp/tfidf.ts';
import type { Story } from '../support/newsroom-texts.ts';
import { batteries, birds, syndicatedTracking, unrelated } from '../support/newsroom-texts.ts';

const text = (html: string) => bodyText(sanitizeBody(html));
const vector = (s: Story) => new Map(analyseArticle({ title: s.title, subtitle: '', tags: s.tags, summary: '', bodyText: text(s.body) }).terms);

describe('TF-IDF', () => {
  it('uses jieba’s IDF: rare words weigh more, unknown words get the median, stop words nothing', () => {
    expect(idfOf('候鸟')).toBeCloseTo(9.42, 2);
    expect(idfOf('候鸟')).toBeGreaterThan(idfOf('发展'));
    expect(idfOf('砚湖科学城')).toBeCloseTo(11.95, 2);
    expect(idfOf('的')).toBe(0);
  });

  it('counts title words more than body words and only the parts of speech asked for', () => {
    const w = termWeights([
      { text: '候鸟', boost: 3 },
      { text: '湿地里的候鸟很多', boost: 1, tags: new Set(['n']) },
    ]);
    expect(w.get('候鸟')).toBeCloseTo(Math.log1p(4) * idfOf('候鸟'), 6);
    expect(w.has('很多')).toBe(false);
  });

  it('makes stories on one subject close and stories on different subjects far apart', () => {
    const [arrival, tracking, exhibition, plant, elevators] = [birds.arrival, birds.tracking, birds.exhibition, batteries.plant, unrelated.elevators].map(
      vector,
    );
    expect(cosine(arrival!, tracking!)).toBeGreaterThan(0.3);
    expect(cosine(arrival!, exhibition!)).toBeGreaterThan(0.2);
    expect(cosine(arrival!, plant!)).toBeLessThan(0.05);
    expect(cosine(arrival!, elevators!)).toBeLessThan(0.05);
    expect(cosine(arrival!, arrival!)).toBeCloseTo(1, 6);
  });
});

describe('related scores', () => {
  const sections = (id: number) => (id === 2 ? 1 : id);
  const at = Date.UTC(2026, 5, 1);
  const candidate = (channelId: number, daysAgo: number) => ({
    articleId: 9,
    similarity: 0.4,
    sharedTerms: 5,
    channelId,
    publishedAt: at - daysAgo * 86_400_000,
  });

  it('lifts the same channel, then the same section, then recent stories, never above what similarity allows', () => {
    const article = { channelId: 1, publishedAt: at };
    const same = relatedScore(article, candidate(1, 0), sections);
    const section = relatedScore(article, candidate(2, 0), sections);
    const other = relatedScore(article, candidate(3, 0), sections);
    const old = relatedScore(article, candidate(3, 365), sections);
    expect(same).toBeGreaterThan(section);
    expect(section).toBeGreaterThan(other);
    expect(other).toBeGreaterThan(old);
    expect(old).toBeGreaterThan(0.4 * 0.7 - 1e-9);
    expect(same).toBeLessThanOrEqual(0.4 * 1.15 + 1e-9);
  });

  it('damps words that are among the heaviest of many of our own articles, once the archive is big enough', () => {
    const corpus = {
      documents: 100,
      df: new Map([
        ['江城', 60],
        ['候鸟', 3],
        ['湿地', 10],
      ]),
    };
    expect(archiveDamping('候鸟', corpus)).toBe(1);
    expect(archiveDamping('湿地', corpus)).toBeLessThan(1);
    expect(archiveDamping('江城', corpus)).toBeLessThan(archiveDamping('湿地', corpus));
    expect(archiveDamping('江城', { documents: 10, df: new Map([['江城', 9]]) })).toBe(1);
  });
});

describe('MinHash near-duplicates', () => {
  const original = fingerprint(text(birds.tracking.body));

  it('finds a lightly edited syndicated copy and tells unrelated stories apart', () => {
    const copy = fingerprint(text(syndicatedTracking.body));
    expect(similarity(original.signature, copy.signature)).toBeGreaterThan(0.6);
    for (const other of [birds.arrival, birds.volunteers, batteries.lab, unrelated.marathon]) {
      expect(similarity(original.signature, fingerprint(text(other.body)).signature)).toBeLessThan(0.15);
    }
  });

  it('ignores traditional characters, full-width forms and punctuation', () => {
    const plain = fingerprint('砚湖湿地迎来首批越冬候鸟，监测站记录到三千只灰鹤。');
    const traditional = fingerprint('硯湖濕地迎來首批越冬候鳥 監測站記錄到三千隻灰鶴！');
    expect(similarity(plain.signature, traditional.signature)).toBeGreaterThan(0.8);
  });

  it('survives storage and yields one band key per band, shared by copies', () => {
    expect(decodeSignature(encodeSignature(original.signature))).toEqual(original.signature);
    const keys = bandKeys(original.signature);
    expect(keys).toHaveLength(MINHASH.bands);
    const copyKeys = new Set(bandKeys(fingerprint(text(syndicatedTracking.body)).signature));
    expect(keys.some((k) => copyKeys.has(k))).toBe(true);
  });
});

describe('MinHash fingerprints as stored', () => {
  // The first implementation, kept here as the reference: fingerprints stored by it must still match new ones.
  function referenceFingerprint(normalized: string): { signature: Uint32Array; shingles: number } {
    const mix = (x: number) => {
      x ^= x >>> 16;
      x = Math.imul(x, 0x85ebca6b);
      x ^= x >>> 13;
      x = Math.imul(x, 0xc2b2ae35);
      x ^= x >>> 16;
      return x >>> 0;
    };
    const seeds = Uint32Array.from({ length: MINHASH.bands * MINHASH.rows }, (_, i) => mix(0x9e3779b9 + i * 0x7f4a7c15));
    const points = Array.from(normalized.replace(/\s+/g, ''), (c) => c.codePointAt(0)!);
    const set = new Set<number>();
    const k = Math.min(MINHASH.shingle, points.length);
    for (let i = 0; k > 0 && i + k <= points.length; i++) {
      let h = 0x811c9dc5;
      for (let j = i; j < i + k; j++) h = Math.imul(h ^ points[j]!, 0x01000193);
      set.add(h >>> 0);
    }
    const signature = new Uint32Array(seeds.length).fill(0xffffffff);
    for (const h of set) for (let i = 0; i < seeds.length; i++) signature[i] = Math.min(signature[i]!, mix(h ^ seeds[i]!));
    return { signature, shingles: set.size };
  }

  it('are the same as the first implementation made them, whatever the text', () => {
    const texts = [
      ...[birds.tracking, birds.arrival, syndicatedTracking, batteries.lab, unrelated.marathon].map((a) => text(a.body)),
      '砚湖湿地迎来首批越冬候鸟，监测站记录到三千只灰鹤。'.repeat(40),
      '𠀀𠀁𠀂 astral 𪚥 characters 😀😀😀 and a tab\tand\u3000ideographic space\u00a0nbsp',
      'lone \ud800 high, lone \udc00 low, split \ud83d \ude00 pair, \ud83d\ude00 whole',
      'ab',
      '江',
      '',
      '   ',
    ];
    for (const t of texts) {
      const ours = fingerprint(t, { normalized: true });
      const reference = referenceFingerprint(t);
      expect(ours.shingles, t.slice(0, 30)).toBe(reference.shingles);
      expect([...ours.signature], t.slice(0, 30)).toEqual([...reference.signature]);
    }
  });
});
