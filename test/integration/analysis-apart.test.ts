import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyPool, closeBodyPool } from '../../src/domain/articles/body-pool.ts';
import { bodyWorkerFree, prepareRelatedBatch } from '../../src/domain/articles/body.ts';
import { ANALYSIS_APART_FROM } from '../../src/domain/articles/indexing.ts';
import { analyseArticle } from '../../src/domain/articles/related.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { batteries, birds } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';

/**
 * An article's analyses after a save (its search fields, its related-reading terms) are a few milliseconds of jieba
 * each. On a large site they are made in the body worker, at the lowest CPU priority, so the readers the event loop
 * serves get the cores first; a small site makes them inline and starts no thread for them. Either way the article is
 * found and related by the same terms.
 */
describe.each(STORES)('article analyses off the event loop on %s', (kind) => {
  let t: TestApp;
  let editor: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
  });
  afterAll(async () => {
    await t.close();
    await closeBodyPool();
  });

  const threads = () => bodyPool().threads.length;
  /** The next article gets this id: the site looks as large as an archive of that many. */
  const nextIdsFrom = async (n: number) => {
    const db = t.db.database.db;
    if (kind === 'sqlite') {
      await sql`delete from sqlite_sequence where name = 'articles'`.execute(db);
      await sql`insert into sqlite_sequence (name, seq) values ('articles', ${n})`.execute(db);
    } else await sql`select setval(pg_get_serial_sequence('articles', 'id'), ${n})`.execute(db);
  };
  /** Its stored terms are the analysis of its text as it is, and a search for its title's words finds it. */
  const expectAnalysed = async (id: number, query: string) => {
    const article = (await t.ctx.store.articles.findById(id))!;
    expect(new Map(await t.ctx.store.related.terms(id))).toEqual(new Map(analyseArticle(article).terms));
    const found = await t.app.inject({ method: 'GET', url: `/api/v1/search?q=${encodeURIComponent(query)}` });
    expect(json<{ items: { id: number }[] }>(found).items.map((i) => i.id)).toContain(id);
  };

  it('analyses a short story inline on a small site, with no thread started for it', async () => {
    await closeBodyPool();
    const a = await createArticle(t.app, editor, birds.arrival);
    await publish(t.app, editor, a.id);
    await t.settled();
    expect(threads()).toBe(0);
    await expectAnalysed(a.id, '越冬候鸟');
  });

  it('on a large site analyses a short story in the body worker, to the same terms and search entry', async () => {
    await closeBodyPool();
    await nextIdsFrom(ANALYSIS_APART_FROM);
    const a = await createArticle(t.app, editor, batteries.plant);
    expect(a.id).toBeGreaterThan(ANALYSIS_APART_FROM);
    await publish(t.app, editor, a.id);
    await t.settled();
    expect(threads()).toBeGreaterThan(0);
    await expectAnalysed(a.id, batteries.plant.title.slice(0, 4));
  });

  it('analyses inline while the worker is busy with a backlog’s batches, rather than wait behind them', async () => {
    await nextIdsFrom(2 * ANALYSIS_APART_FROM);
    // Batches as a backlog hands the worker: thousands of analyses, seconds of work on every thread.
    const texts = Array.from({ length: 4_000 }, (_, i) => ({
      title: birds.tracking.title,
      subtitle: '',
      summary: '',
      tags: [],
      bodyText: `${i} ${birds.tracking.body}`,
    }));
    const backlog = prepareRelatedBatch(texts);
    expect(bodyWorkerFree()).toBe(false);
    const a = await createArticle(t.app, editor, batteries.lab);
    await publish(t.app, editor, a.id);
    await t.settled();
    // Found and related before the worker is free again: its analyses did not queue behind the batches.
    expect(bodyWorkerFree()).toBe(false);
    await expectAnalysed(a.id, batteries.lab.title.slice(0, 3));
    expect(await backlog).toHaveLength(texts.length);
    expect(bodyWorkerFree()).toBe(true);
  });
});
