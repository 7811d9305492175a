import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAFT_QUIET_MS } from '../../src/domain/articles/outbox-topics.ts';
import { analyseArticle, findCandidates, RELATED, refreshRelated } from '../../src/domain/articles/related.ts';
import { ArticleRepository } from '../../src/storage/repositories/articles.ts';
import type { Kysely } from 'kysely';
import { RelatedRepository, type RelatedTables } from '../../src/storage/repositories/related.ts';
import { SqliteSearchIndex } from '../../src/storage/search/sqlite.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { batteries, birds, unrelated, type Story } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The outbox reads an article's related candidates outside its write transaction (SQLite: in a reader thread with its
 * own connection, so the event loop keeps answering readers); what it finds must be what the transaction itself would
 * have found, and a candidate taken down in between must not enter the list.
 */
describe.each(STORES)('related candidates read apart on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    const stories: [string, Story][] = [
      ['arrival', birds.arrival],
      ['plant', batteries.plant],
      ['tracking', birds.tracking],
      ['elevators', unrelated.elevators],
      ['exhibition', birds.exhibition],
      ['lab', batteries.lab],
    ];
    for (const [key, story] of stories) {
      t.clock.advance(3_600_000);
      const a = await createArticle(t.app, editor, { ...story, summary: '' });
      await publish(t.app, editor, a.id);
      ids[key] = a.id;
    }
    await t.settled();
  });
  afterAll(() => t.close());

  it('finds the same candidates as the transaction would, from the reader thread', async () => {
    const id = ids.exhibition!;
    const terms = await t.ctx.store.related.terms(id);
    const here = await findCandidates(t.ctx.store.related, id, terms, RELATED.candidates);
    expect(here.map((c) => c.articleId)).toEqual(expect.arrayContaining([ids.arrival, ids.tracking]));
    // A repository that reads apart whatever the archive's size; the reader thread (with its own connection to
    // PostgreSQL) answers once it has started.
    const file = t.db.database.sqlite?.name;
    const apart =
      kind === 'sqlite'
        ? new RelatedRepository(t.db.database.db, 'sqlite', { apart: file ? { file } : undefined, apartFrom: 0 })
        : new RelatedRepository(t.db.database.db, 'postgres', { apart: t.db.databaseUrl ? { url: t.db.databaseUrl } : undefined, apartFrom: 0 });
    const found = await waitFor(async () => apart.candidatesApart(id, terms, RELATED.candidates), { timeout: 30_000, message: 'the reader thread answers' });
    expect(found).toEqual(here);
    // A candidate taken down is still found apart the moment its commit is made (the thread reads what is committed).
    await t.db.database.db.updateTable('articles').set({ status: 'draft' }).where('id', '=', ids.tracking!).execute();
    try {
      const after = await apart.candidatesApart(id, terms, RELATED.candidates);
      expect(after?.map((c) => c.articleId)).not.toContain(ids.tracking);
    } finally {
      await t.db.database.db.updateTable('articles').set({ status: 'published' }).where('id', '=', ids.tracking!).execute();
    }
    // Inside a transaction there is nothing to read apart: the caller reads itself.
    expect(await t.ctx.store.transaction((store) => store.related.candidatesApart(id, terms, RELATED.candidates))).toBeUndefined();
  });

  it('keeps the postings it read in the reader thread, and finds an article published since as a fresh read does', async () => {
    const file = t.db.database.sqlite?.name;
    const apart =
      kind === 'sqlite'
        ? new RelatedRepository(t.db.database.db, 'sqlite', { apart: file ? { file } : undefined, apartFrom: 0 })
        : new RelatedRepository(t.db.database.db, 'postgres', { apart: t.db.databaseUrl ? { url: t.db.databaseUrl } : undefined, apartFrom: 0 });
    const id = ids.arrival!;
    const terms = await t.ctx.store.related.terms(id);
    // Read (and kept) by the thread before the next article exists.
    const before = await waitFor(async () => apart.candidatesApart(id, terms, RELATED.candidates), { timeout: 30_000, message: 'the reader thread answers' });
    expect(before.map((c) => c.articleId)).not.toContain(ids.volunteers);
    t.clock.advance(3_600_000);
    const next = await createArticle(t.app, editor, { ...birds.volunteers, summary: '' });
    await publish(t.app, editor, next.id);
    await t.settled();
    ids.volunteers = next.id;
    // The new article's candidates found in the thread: its analysis is now among the postings kept there.
    const nextTerms = await t.ctx.store.related.terms(next.id);
    expect(await apart.candidatesApart(next.id, nextTerms, RELATED.candidates)).toEqual(
      await findCandidates(t.ctx.store.related, next.id, nextTerms, RELATED.candidates),
    );
    const here = await findCandidates(t.ctx.store.related, id, terms, RELATED.candidates);
    expect(here.map((c) => c.articleId)).toContain(next.id);
    expect(await apart.candidatesApart(id, terms, RELATED.candidates)).toEqual(here);
  });

  it('leaves out a candidate taken down after the candidates were read', async () => {
    const id = ids.exhibition!;
    const terms = await t.ctx.store.related.terms(id);
    const candidates = await findCandidates(t.ctx.store.related, id, terms, RELATED.candidates);
    expect(candidates.map((c) => c.articleId)).toContain(ids.arrival);
    const down = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${ids.arrival}/unpublish`, headers: { authorization: editor } });
    expect(down.statusCode, down.body).toBe(200);
    await t.settled();
    const article = (await t.ctx.store.articles.findById(id))!;
    await t.ctx.store.transaction((store) => refreshRelated(store, article, t.clock.now(), { found: { terms, candidates } }));
    const res = await t.app.inject({ url: `/api/v1/articles/${id}/related` });
    const listed = json<{ items: { id: number }[] }>(res).items.map((i) => i.id);
    expect(listed).toContain(ids.tracking);
    expect(listed).not.toContain(ids.arrival);
    const items = (await t.ctx.store.related.items(id)).map((i) => i.id);
    expect(items).not.toContain(ids.arrival);
  });

  it('uses what was read apart when the terms are still the same, in whatever order, and reads again when they are not', async () => {
    const id = ids.lab!;
    const article = (await t.ctx.store.articles.findById(id))!;
    // The analysis lists terms heaviest first; a store may give them back in its own order (SQLite: by term).
    const terms = analyseArticle(article).terms.reverse();
    const stored = await t.ctx.store.related.terms(id);
    const only = (await findCandidates(t.ctx.store.related, id, stored, RELATED.candidates)).filter((c) => c.articleId === ids.plant);
    expect(only).toHaveLength(1);
    await t.ctx.store.transaction((store) => refreshRelated(store, article, t.clock.now(), { found: { terms, candidates: only } }));
    expect((await t.ctx.store.related.items(id)).map((i) => i.id)).toEqual([ids.plant]);
    // Candidates read for other terms (the text changed in between) are not used: the transaction reads its own.
    const stale: [string, number][] = terms.map(([term, w]) => [term, w / 2]);
    await t.ctx.store.transaction((store) => refreshRelated(store, article, t.clock.now(), { found: { terms: stale, candidates: [] } }));
    expect((await t.ctx.store.related.items(id)).map((i) => i.id)).toContain(ids.plant);
  });

  it("reads the start's scans apart (SQLite: in the reader thread) and finds what reading here finds", async () => {
    if (kind !== 'sqlite') return;
    const file = t.db.database.sqlite?.name;
    const db = t.db.database.db;
    const related = new RelatedRepository(db, 'sqlite', { apart: file ? { file } : undefined, apartFrom: 0 });
    const articles = new ArticleRepository(db, 'sqlite', file, 0);
    const inline = new RelatedRepository(db, 'sqlite');
    const counted = new ArticleRepository(db, 'sqlite');
    // An article whose analysis was never saved: the backlog's walk finds it, from either thread.
    const plain = await createArticle(t.app, editor, { ...unrelated.elevators, title: '未分析的稿件', summary: '' });
    // Its analysis (the outbox's, after the commit) done first: else it could land between the two reads below.
    await t.settled();
    await (db as unknown as Kysely<RelatedTables>).deleteFrom('related_fingerprints').where('article_id', '=', plain.id).execute();
    const here = await inline.unanalysedIds(0, 100);
    expect(here).toContain(plain.id);
    expect(await related.unanalysedIds(0, 100)).toEqual(here);
    expect(await related.unanalysedIds(ids.plant!, 2, plain.id)).toEqual(await inline.unanalysedIds(ids.plant!, 2, plain.id));
    for (const status of ['published', 'draft'] as const) {
      expect(await articles.countByStatus(status)).toBe(await counted.countByStatus(status));
    }
    // The search backlog's counts of whole documents, both indexes.
    for (const scope of ['published', 'unpublished'] as const) {
      const apart = new SqliteSearchIndex(db, scope, file, 0);
      expect(await apart.count()).toBe(await new SqliteSearchIndex(db, scope).count());
    }
    // A count read apart sees a change the moment it has committed.
    const before = await articles.countByStatus('draft');
    const drafts = new SqliteSearchIndex(db, 'unpublished', file, 0);
    const draftDocs = await drafts.count();
    await createArticle(t.app, editor, { ...birds.arrival, title: '又一篇草稿', summary: '' });
    expect(await articles.countByStatus('draft')).toBe(before + 1);
    // The draft's search document is written after the commit (the outbox), once the draft has been quiet for a moment;
    // the count read apart sees it then.
    t.clock.advance(DRAFT_QUIET_MS);
    await waitFor(async () => (await drafts.count()) === draftDocs + 1, { message: 'the draft index counts the new draft' });
  });
});
