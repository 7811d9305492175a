import { describe, expect, it } from 'vitest';
import { termDocuments } from '../../src/storage/repositories/related.ts';

/**
 * A publish damps a term by its share of the archive. A common term's share is estimated from how densely its newest
 * 400 postings fill the analysed ids; the archive's range may be one remembered minutes ago.
 */
describe("a term's documents, estimated from its newest postings", () => {
  const range = { documents: 10_000, first: 1, last: 10_000 };

  it('counts a term with fewer postings than the cap exactly', () => {
    expect(termDocuments(37, 500, 9_000, range)).toBe(37);
  });

  it('spreads a common term’s density over the whole range', () => {
    // 400 postings over the newest 2,000 ids: one article in five.
    expect(termDocuments(400, 8_001, 10_000, range)).toBe(2_000);
    // Never more than the archive holds.
    expect(termDocuments(400, 9_601, 10_000, range)).toBe(10_000);
  });

  it('reads a remembered range as reaching postings newer than its end (articles imported since)', () => {
    // 400 postings in ids 10,001-12,000, past the range remembered: one article in five there, not every article.
    // Read against the range as it ends, the density came out as 400 articles in one id, capped at every article.
    expect(termDocuments(400, 10_001, 12_000, range)).toBe(2_400);
    expect(termDocuments(400, 10_001, 10_400, { ...range, documents: 1_000_000 })).toBe(10_400);
  });
});
