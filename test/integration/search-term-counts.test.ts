import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchIndex, SearchRequest, Term } from '../../src/domain/search/search-index.ts';
import { partialMatches, TERM_COUNTS } from '../../src/domain/search/service.ts';
import { SqlStore } from '../../src/storage/store.ts';
import { insertPublished, wordsDocument, seedChannelAndAuthor } from '../support/search-docs.ts';
import { openTestDatabase, STORES, type TestDatabase } from '../support/stores.ts';

/**
 * Partial matches weigh each query word by its rarity, from its count of matches: a common word's count is the costly
 * part, so it is remembered for a few minutes per index and handed back to the index, which then does not count again.
 */
describe.each(STORES)('term counts for partial matches on %s', (kind) => {
  let t: TestDatabase;
  let index: SearchIndex;
  const seen: (readonly (number | undefined)[] | undefined)[] = [];
  const DAY = 86_400_000;
  const word = (token: string): Term => ({ kind: 'word', token });

  beforeAll(async () => {
    t = await openTestDatabase(kind);
    const now = Date.now();
    const author = await seedChannelAndAuthor(t.database.db);
    // 250 articles with 潮汐 alone, 260 with 砂岩 alone, 20 with both.
    const words = (id: number) => (id <= 250 ? ['潮汐'] : id <= 510 ? ['砂岩'] : ['潮汐', '砂岩']);
    const ids = Array.from({ length: 530 }, (_, i) => i + 1);
    const at = (id: number) => now - 30 * DAY + id * 60_000;
    await insertPublished(
      t.database.db,
      author,
      ids.map((id) => ({ id, publishedAt: at(id) })),
    );
    const store = SqlStore.of(t.database, 'test-secret');
    await store.search.putMany(ids.map((id) => wordsDocument(id, at(id), [...words(id), '报道'])));
    // The real index, with what partialMatches hands it noted.
    index = store.search;
    const termMatches = index.termMatches.bind(index);
    index.termMatches = (request, cap, known) => {
      seen.push(known);
      return termMatches(request, cap, known);
    };
  }, 120_000);
  afterAll(() => t?.cleanup());

  it('counts a common word once in a few minutes, and gives the same matches with the remembered count', async () => {
    const request: SearchRequest = { terms: [word('潮汐'), word('砂岩')] };
    const now = Date.now();
    const first = await partialMatches(index, request, new Set(), 50, now);
    const second = await partialMatches(index, request, new Set(), 50, now + 60_000);
    expect(second).toEqual(first);
    expect(first).toHaveLength(50);
    // Past 200 matches each (the matches read), both were counted the first time, and not the second.
    expect(seen).toEqual([
      [undefined, undefined],
      [270, 280],
    ]);
    // Counted again once the counts are too old; a filter is another count.
    await partialMatches(index, request, new Set(), 50, now + TERM_COUNTS.ttlMs + 1);
    expect(seen[2]).toEqual([undefined, undefined]);
    await partialMatches(index, { ...request, channelIds: [1] }, new Set(), 50, now + TERM_COUNTS.ttlMs + 2);
    expect(seen[3]).toEqual([undefined, undefined]);
  });

  it('answers each term of a long query with its own matches and count, in the order asked (PostgreSQL asks a few at once)', async () => {
    // Five terms, more than are asked at once: counts under and over the matches read, a word in no article, repeats.
    const terms = ['砂岩', '不存在的词', '潮汐', '报道', '砂岩'].map(word);
    const answers = await index.termMatches({ terms }, 200, [undefined, undefined, undefined, 999, undefined]);
    expect(answers.map((a) => a.count)).toEqual([280, 0, 270, 999, 280]);
    expect(answers.map((a) => a.hits.length)).toEqual([200, 0, 200, 200, 200]);
    // Newest first, and each term's own articles: 砂岩 is in 251–530, 潮汐 in 1–250 and 511–530.
    expect(answers[0]!.hits[0]!.id).toBe(530);
    expect(answers[0]!.hits.every((h) => h.id > 250)).toBe(true);
    expect(answers[2]!.hits.every((h) => h.id <= 250 || h.id > 510)).toBe(true);
    expect(answers[4]).toEqual(answers[0]);
  });
});
