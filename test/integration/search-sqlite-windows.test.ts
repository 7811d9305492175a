import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_CAPS, type Term } from '../../src/domain/search/search-index.ts';
import { SqliteSearchIndex } from '../../src/storage/search/sqlite.ts';
import { insertPublished, seedChannelAndAuthor, wordsDocument } from '../support/search-docs.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * SQLite's FTS5 walks a doclist from one end whatever the date bounds (see fromNewerEnd in storage/search/sqlite.ts), so
 * a search reads its candidates and its total in one pass from the newest end, and a term's count of a date window reads
 * from the end of the index nearer the window. Whichever end is read, the answers must be the exact ones: the newest
 * matches of the window, and its matches counted up to the caps.
 */
describe.runIf(runsOn('sqlite'))('date windows on sqlite', () => {
  let t: TestDatabase;
  let index: SqliteSearchIndex;
  const DAY = 86_400_000;
  const START = Date.UTC(2023, 0, 1);
  /** One article a day for 1,400 days; 潮汐 in all of them, 砂岩 in every tenth. */
  const DAYS = 1_400;
  const at = (id: number) => START + (id - 1) * DAY + 3_600_000;
  const word = (token: string): Term => ({ kind: 'word', token });

  beforeAll(async () => {
    t = await openTestDatabase('sqlite');
    const db = t.database.db;
    const author = await seedChannelAndAuthor(db);
    const ids = Array.from({ length: DAYS }, (_, i) => i + 1);
    await insertPublished(
      db,
      author,
      ids.map((id) => ({ id, publishedAt: at(id) })),
    );
    index = new SqliteSearchIndex(db);
    await index.putMany(ids.map((id) => wordsDocument(id, at(id), id % 10 === 0 ? ['潮汐', '砂岩'] : ['潮汐'])));
  }, 120_000);
  afterAll(() => t?.cleanup());

  /** The window of days [first, last] (article ids), as a search's bounds. */
  const days = (first: number, last: number) => ({ from: START + (first - 1) * DAY, to: START + last * DAY });
  const newest = (first: number, last: number, n: number) =>
    Array.from({ length: last - first + 1 }, (_, i) => last - i)
      .slice(0, n)
      .sort((a, b) => a - b);

  it('gives the newest matches and the total of a window near either end, and of the whole index', async () => {
    for (const [first, last] of [
      [1, 700],
      [101, 800],
      [701, 1_400],
      [600, 1_300],
    ] as const) {
      const found = await index.search({ terms: [word('潮汐')], ...days(first, last) });
      expect(
        [...found.ids].sort((a, b) => a - b),
        `days ${first}–${last}`,
      ).toEqual(newest(first, last, SEARCH_CAPS.candidates));
      expect(found.total, `days ${first}–${last}`).toBe(last - first + 1);
    }
    const whole = await index.search({ terms: [word('潮汐')] });
    expect([...whole.ids].sort((a, b) => a - b)).toEqual(newest(1, DAYS, SEARCH_CAPS.candidates));
    expect(whole.total).toBe(SEARCH_CAPS.total);
    // Fewer than the candidates: every match, and the total is theirs.
    const few = await index.search({ terms: [word('潮汐')], ...days(1, 30) });
    expect(few.total).toBe(30);
    expect([...few.ids].sort((a, b) => a - b)).toEqual(newest(1, 30, 30));
  });

  it('counts a term’s matches in a window from either end', async () => {
    for (const [first, last] of [
      [1, 1_200],
      [201, 1_400],
      [1, 50],
    ] as const) {
      const [tide, sandstone] = await index.termMatches({ terms: [word('潮汐'), word('砂岩')], ...days(first, last) }, 3);
      expect(tide!.count, `days ${first}–${last}`).toBe(last - first + 1);
      expect(sandstone!.count, `days ${first}–${last}`).toBe(Math.floor(last / 10) - Math.floor((first - 1) / 10));
      expect(tide!.hits.map((h) => h.id)).toEqual([last, last - 1, last - 2]);
    }
  });
});
