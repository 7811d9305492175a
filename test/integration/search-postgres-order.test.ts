import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchDocument } from '../../src/domain/search/document.ts';
import { SEARCH_CAPS, type SearchDocument, type SearchRequest, type Term } from '../../src/domain/search/search-index.ts';
import { newestMatches, PostgresSearchIndex, queryConditions, rangeMonths, tsqueryLiterals } from '../../src/storage/search/postgres.ts';
import { insertPublished, seedChannelAndAuthor } from '../support/search-docs.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * PostgreSQL's index answers lexemes in order (exact text, words at their distances) by asking GIN for the loose
 * matches newest first, a window at a time, and checking the order on each window only (newestMatches). These
 * documents are written by hand, so which are loose and which exact matches is known: the windows must give exactly
 * what one query checking every match gives, however small they are.
 */
describe.runIf(runsOn('postgres'))('ordered lexemes on postgres', () => {
  let t: TestDatabase;
  let index: PostgresSearchIndex;
  const DAY = 86_400_000;
  const START = Date.UTC(2026, 0, 1);
  /** Article ids whose body holds the grams 砚岚 岚芯 芯 in a row; every other one holds them apart. */
  const exact: number[] = [];
  const COUNT = 60;
  /** The documents as written by hand (a rebuild below replaces them with ones made of the articles). */
  const written: SearchDocument[] = [];

  const field = (words: string[], grams: string[] = []) => ({ words, grams });
  const doc = (id: number, grams: string[], words: string[]): SearchDocument => ({
    articleId: id,
    channelId: 1,
    publishedAt: START + id * DAY,
    fields: { title: field([`标题${id}`]), tags: field([]), summary: field([]), body: field(words, grams) },
    head: `标题${id}`,
  });
  let author = 0;
  /** Published articles with these ids, a day apart (search_docs rows need their articles). */
  const insertArticles = (ids: number[]) =>
    insertPublished(
      t.database.db,
      author,
      ids.map((id) => ({ id, publishedAt: START + id * DAY })),
    );
  const name: Term = { kind: 'text', text: '砚岚芯', phrase: { grams: ['砚岚', '岚芯', '芯'], prefix: false } };
  const phraseOfWords: Term = {
    kind: 'text',
    text: '云岭县',
    phrase: { grams: ['云岭', '岭县', '县'], prefix: false },
    words: [
      { token: '云岭', gap: 0 },
      { token: '县', gap: 1 },
    ],
  };

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    const db = t.database.db;
    author = await seedChannelAndAuthor(db);
    await insertArticles(Array.from({ length: COUNT }, (_, i) => i + 1));
    index = new PostgresSearchIndex(db);
    const docs = written;
    for (let id = 1; id <= COUNT; id++) {
      // One in seven in order, unevenly spread: the first windows hold few exact matches.
      const inOrder = id % 7 === 3 || id === 1 || id === 2;
      if (inOrder) exact.push(id);
      docs.push(inOrder ? doc(id, ['砚岚', '岚芯', '芯'], ['云岭', '县', '的']) : doc(id, ['砚岚', '其', '岚芯', '芯', '其'], ['云岭', '的', '县']));
    }
    await index.putMany(docs);
  });
  afterAll(() => t?.cleanup());

  const newestFirst = (ids: number[]) => [...ids].sort((a, b) => b - a);

  it.each([1, 2, 3, 50, 1000])('gives the newest exact matches with a first window of %i', async (window) => {
    for (const term of [name, phraseOfWords]) {
      const request: SearchRequest = { terms: [term] };
      const q = tsqueryLiterals(request.terms);
      expect(q.ordered).toBe(true);
      for (const cap of [1, 4, exact.length, exact.length + 5]) {
        const found = await t.database.db.transaction().execute((tx) => newestMatches(tx, sql.table('search_docs'), q, request, cap, undefined, window));
        expect(found.map((m) => m.id)).toEqual(newestFirst(exact).slice(0, cap));
      }
    }
  });

  it('searches by the order and counts loosely past the candidates', async () => {
    const { ids, total } = await index.search({ terms: [name] });
    expect(ids.sort((a, b) => a - b)).toEqual(exact);
    // Fewer than the candidates: the exact count.
    expect(total).toBe(exact.length);
    const [matches] = await index.termMatches({ terms: [phraseOfWords] }, 3);
    expect(matches!.hits.map((h) => h.id)).toEqual(newestFirst(exact).slice(0, 3));
    // Past the cap, counted loosely: every document holds the words, in order or not.
    expect(matches!.count).toBe(COUNT);
    const { ids: archive, capped } = await index.matching({ terms: [name], from: START + 30 * DAY }, 2);
    expect(archive).toEqual(newestFirst(exact.filter((id) => id >= 30)).slice(0, 2));
    expect(capped).toBe(true);
  });

  it('asks the index alone for the loose matches of several terms of words or text, reading no tsvector', async () => {
    // 云岭 then 的: in order in the documents that hold the grams apart, and apart in the others.
    const second: Term = {
      kind: 'text',
      text: '云岭的',
      phrase: { grams: ['云岭', '岭的', '的'], prefix: false },
      words: [
        { token: '云岭', gap: 0 },
        { token: '的', gap: 1 },
      ],
    };
    const db = t.database.db;
    await sql`analyze search_docs`.execute(db);
    for (const terms of [
      [phraseOfWords, second],
      [second, phraseOfWords, name],
    ]) {
      const request: SearchRequest = { terms };
      const q = tsqueryLiterals(terms);
      expect(q.mixed.length).toBe(2);
      // As the searches run it (withIndexPlans): the planner may still test a condition on each row the others find,
      // reading that row's tsvectors, unless every condition is one the index answers.
      const plan = await db.transaction().execute(async (tx) => {
        await sql`select set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)`.execute(tx);
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain select article_id from search_docs where ${queryConditions(q, request, true)}`.execute(tx);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('Bitmap Index Scan');
      expect(plan).not.toMatch(/Filter: .*@@/);
      // The same matches as the conditions written one by one, read row by row.
      const spread = await sql<{ id: number }>`select article_id as id from search_docs where ${queryConditions(q, request, true)}`.execute(db);
      const { rows: all } = await sql<{ id: number; words: string; grams: string }>`select article_id as id from search_docs
        where ${sql.join(
          [
            ...(q.gramsLoose ? [sql`grams @@ ${q.gramsLoose}::tsquery`] : []),
            ...q.mixed.map((m) => sql`(words @@ ${m.wordsLoose}::tsquery or grams @@ ${m.gramsLoose}::tsquery)`),
          ],
          sql` and `,
        )}`.execute(db);
      expect(spread.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(all.map((r) => r.id).sort((a, b) => a - b));
      expect(all.length).toBeGreaterThan(0);
    }
  });

  it('asks the index for the months of a date range, and checks the bounds on the dates', async () => {
    expect(rangeMonths(Date.UTC(2026, 0, 31), Date.UTC(2026, 2, 1))).toBe("('m:2026-01' | 'm:2026-02')");
    expect(rangeMonths(Date.UTC(2026, 0, 31), undefined)).toBeUndefined();
    expect(rangeMonths(Date.UTC(2020, 0, 1), Date.UTC(2026, 0, 1))).toBeUndefined();
    // Published January 31 to February 2: two months, bounds inside days.
    const range = { from: START + 29.5 * DAY, to: START + 33 * DAY };
    for (const terms of [[{ kind: 'word', token: '云岭' }], [name], [{ kind: 'word', token: '县' }, name]] as Term[][]) {
      const { ids } = await index.matching({ terms, ...range }, 100);
      const expected = terms.some((x) => x.kind === 'text') ? exact.filter((id) => id >= 30 && id <= 32) : [30, 31, 32];
      expect(ids).toEqual(newestFirst(expected));
    }
    const { ids } = await index.search({ terms: [{ kind: 'word', token: '云岭' }], ...range });
    expect(ids).toEqual([32, 31, 30]);
  });

  it('leaves no pending GIN entries for readers to scan after a rebuild', async () => {
    await index.rebuild((a) => searchDocument(a));
    // gin_clean_pending_list tells how many pending pages it merged: none are left once the rebuild has settled.
    const { rows } = await sql<{ n: number }>`select gin_clean_pending_list('search_docs_terms'::regclass) as n`.execute(t.database.db);
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await index.count()).toBe(COUNT);
  });

  it('tells a hint whether text is in any article, and gives up past a thousand loose matches', async () => {
    const reversed: Term = { kind: 'text', text: '岚芯砚岚', phrase: { grams: ['岚芯', '芯砚', '砚岚'], prefix: false } };
    const backwards: Term = { kind: 'text', text: '岚芯砚', phrase: { grams: ['岚芯', '砚岚'], prefix: false } };
    await index.putMany(written);
    expect(await index.anyMatch({ terms: [name] })).toBe(true);
    expect(await index.anyMatch({ terms: [phraseOfWords] })).toBe(true);
    expect(await index.anyMatch({ terms: [{ kind: 'word', token: '云岭' }] })).toBe(true);
    expect(await index.anyMatch({ terms: [{ kind: 'word', token: '克苏鲁' }] })).toBe(false);
    // Every document holds both grams, none in this order: all 60 loose matches are checked, so the answer is no.
    expect(await index.anyMatch({ terms: [backwards] })).toBe(false);
    expect(await index.anyMatch({ terms: [reversed] })).toBe(false);
    // Within dates: no exact match was published on days 4–9; one was on day 10.
    expect(await index.anyMatch({ terms: [name], from: START + 4 * DAY, to: START + 10 * DAY })).toBe(false);
    expect(await index.anyMatch({ terms: [name], from: START + 4 * DAY, to: START + 11 * DAY })).toBe(true);

    // A thousand more articles holding the grams apart: a no would now take every one of them read; it is not known.
    const more = Array.from({ length: 1000 }, (_, i) => COUNT + 1 + i);
    await insertArticles(more);
    await index.putMany(more.map((id) => doc(id, ['砚岚', '其', '岚芯', '芯', '其'], ['云岭', '的', '县'])));
    expect(await index.anyMatch({ terms: [backwards] })).toBeUndefined();
    // A match is still a yes, wherever the heap has it.
    expect(await index.anyMatch({ terms: [name] })).toBe(true);
  });
});

/**
 * A search's total is counted up to SEARCH_CAPS.total, first in the months its candidates came from (cheaper for GIN),
 * over the whole archive when those months hold fewer: a word in many recent and some older articles must be counted
 * whole, never as its recent months alone.
 */
describe.runIf(runsOn('postgres'))('counting a common word’s matches on postgres', () => {
  let t: TestDatabase;
  let index: PostgresSearchIndex;
  const DAY = 86_400_000;
  let nextId = 1;

  let author = 0;

  /** `n` published articles holding `word`, `daysAgo` days before now (a minute apart), and their index documents. */
  async function articlesWith(word: string, n: number, daysAgo: number): Promise<void> {
    const at = Date.now() - daysAgo * DAY;
    const ids = Array.from({ length: n }, () => nextId++);
    await insertPublished(
      t.database.db,
      author,
      ids.map((id, i) => ({ id, publishedAt: at - i * 60_000 })),
    );
    await index.putMany(
      ids.map((id, i) => ({
        articleId: id,
        channelId: 1,
        publishedAt: at - i * 60_000,
        fields: {
          title: { words: [`标题${id}`], grams: [] },
          tags: { words: [], grams: [] },
          summary: { words: [], grams: [] },
          body: { words: [word, '报道'], grams: [] },
        },
        head: `标题${id}`,
      })),
    );
  }

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    const db = t.database.db;
    author = await seedChannelAndAuthor(db);
    index = new PostgresSearchIndex(db);
    // 潮汐: more than the cap in the last days, more before. 砂岩: past the candidates lately, under the cap with the older ones.
    await articlesWith('潮汐', 1_100, 2);
    await articlesWith('潮汐', 300, 700);
    await articlesWith('砂岩', 520, 3);
    await articlesWith('砂岩', 200, 800);
  }, 120_000);
  afterAll(() => t?.cleanup());

  it('counts to the cap in the recent months, and the whole archive when they hold fewer', async () => {
    const word = (token: string): Term => ({ kind: 'word', token });
    const common = await index.search({ terms: [word('潮汐')] });
    expect(common.ids).toHaveLength(SEARCH_CAPS.candidates);
    expect(common.total).toBe(SEARCH_CAPS.total);
    const mid = await index.search({ terms: [word('砂岩')] });
    expect(mid.ids).toHaveLength(SEARCH_CAPS.candidates);
    expect(mid.total).toBe(720);
    // A term's count for its rarity goes further than a search's total.
    const [tide, sandstone] = await index.termMatches({ terms: [word('潮汐'), word('砂岩')] }, 3);
    expect(tide!.count).toBe(1_400);
    expect(sandstone!.count).toBe(720);
  });
});
