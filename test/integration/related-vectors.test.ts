import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCandidates, RELATED } from '../../src/domain/articles/related.ts';
import type { Candidate } from '../../src/domain/articles/related-reading.ts';
import { startBacklog } from '../../src/jobs/backlog.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { batteries, birds, unrelated, type Story } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';

/**
 * A publish scores its best candidates exactly from their term vectors, kept beside their fingerprints. An archive
 * analysed before they were kept there (an upgrade) has none: its candidates are scored from related_terms until the
 * server's background fill has kept them, and either way a publish finds the same related articles.
 */
describe.each(STORES)('related term vectors on %s', (kind) => {
  let t: TestApp;
  const ids: number[] = [];
  const quiet = { info: () => {}, error: () => {} };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    const editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    const stories: Story[] = [birds.arrival, batteries.plant, birds.tracking, unrelated.elevators, birds.exhibition, batteries.lab];
    for (const story of stories) {
      t.clock.advance(3_600_000);
      const a = await createArticle(t.app, editor, { ...story, summary: '' });
      await publish(t.app, editor, a.id);
      ids.push(a.id);
    }
    await t.settled();
  });
  afterAll(() => t.close());

  const db = () => t.db.database.db;
  const unvectored = async () =>
    Number((await sql<{ n: number }>`select count(*) as n from related_fingerprints where terms is null`.execute(db())).rows[0]!.n);
  const candidatesOfAll = async () => {
    const out = new Map<number, Candidate[]>();
    for (const id of ids) out.set(id, await findCandidates(t.ctx.store.related, id, await t.ctx.store.related.terms(id), RELATED.candidates));
    return out;
  };
  const expectSame = (a: Map<number, Candidate[]>, b: Map<number, Candidate[]>) => {
    for (const [id, list] of a) {
      const other = b.get(id)!;
      expect(other.map((c) => [c.articleId, c.sharedTerms, c.channelId, c.publishedAt])).toEqual(
        list.map((c) => [c.articleId, c.sharedTerms, c.channelId, c.publishedAt]),
      );
      for (const [i, c] of other.entries()) expect(c.similarity).toBeCloseTo(list[i]!.similarity, 9);
    }
  };

  it('counts a publish’s terms against the archive’s range as remembered, without counting the archive again', async () => {
    const related = t.ctx.store.related;
    const terms = (await related.terms(ids[0]!)).map(([term]) => term);
    const fresh = await related.documentFrequencies(terms);
    expect(fresh.range).toEqual({ documents: ids.length, first: Math.min(...ids), last: Math.max(...ids) });
    expect(fresh.df.get(terms[0]!)).toBeGreaterThan(0);
    // The same counts against the range given back, and a term's share is never more than the documents given.
    expect(await related.documentFrequencies(terms, fresh.range)).toEqual(fresh);
    const smaller = await related.documentFrequencies(terms, { ...fresh.range!, documents: 1 });
    expect(smaller.documents).toBe(1);
    expect(Math.max(...smaller.df.values())).toBe(1);
  });

  it('keeps every analysed article vector as it publishes', async () => {
    expect(await unvectored()).toBe(0);
    const stored = await sql<{ terms: string }>`select terms from related_fingerprints where article_id = ${ids[0]}`.execute(db());
    const fromPostings = await t.ctx.store.related.terms(ids[0]!);
    expect(new Map(JSON.parse(stored.rows[0]!.terms) as [string, number][])).toEqual(new Map(fromPostings));
  });

  it('finds the same candidates for an archive analysed before vectors were kept, before and after the fill', async () => {
    const withVectors = await candidatesOfAll();
    // The birds' stories find each other (not the lab's battery story): the comparison below compares real lists.
    expect(withVectors.get(ids[4]!)!.map((c) => c.articleId)).toEqual(expect.arrayContaining([ids[0], ids[2]]));
    expect(withVectors.get(ids[4]!)!.map((c) => c.articleId)).not.toContain(ids[5]);
    await sql`update related_fingerprints set terms = null`.execute(db());
    expect(await unvectored()).toBe(ids.length);
    expectSame(withVectors, await candidatesOfAll());
    // Half filled: both ways at once in one publish's scoring.
    expect(await t.ctx.store.related.fillVectors(3)).toBe(3);
    expect(await unvectored()).toBe(ids.length - 3);
    expectSame(withVectors, await candidatesOfAll());
    // The server's background work fills the rest, and stops once none is left.
    const backlog = startBacklog(t.ctx, quiet);
    await backlog.done;
    expect(await unvectored()).toBe(0);
    expect(await t.ctx.store.related.fillVectors(100)).toBe(0);
    expectSame(withVectors, await candidatesOfAll());
  });
});
