import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillSearchIndexes, rebuildSearchIndex, searchBacklog } from '../../src/domain/search/service.ts';
import { migrationContext } from '../../src/storage/migrations/index.ts';
import { up as bodyFirst } from '../../src/storage/migrations/2026-12-05T0100-search-body-first.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';

/**
 * The upgrade to SQLite's body-first FTS tables (migration 2026-12-05T0100) on an install whose indexes hold documents:
 * the old tables keep answering until the background fill has filled the new ones. SQLite only: PostgreSQL's index
 * has no column order, and the migration does nothing there.
 */
describe('search index upgrade on sqlite', () => {
  let t: TestApp;
  let editor: string;
  const ids: number[] = [];

  const search = async (q: string) => {
    const res = await t.app.inject({ url: `/api/v1/search?${new URLSearchParams({ q }).toString()}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: number }[]; total: number }>(res)
      .items.map((i) => i.id)
      .sort((a, b) => a - b);
  };
  const tables = async () =>
    (
      await sql<{
        name: string;
      }>`select name from sqlite_master where type in ('table', 'trigger') and name like '%legacy%' and name not glob '*_legacy_[cdi]*' order by name`.execute(
        t.db.database.db,
      )
    ).rows.map((r) => r.name);
  /**
   * The state the migration leaves on an install with documents: ours empty, the old ones renamed. A store that found
   * no legacy tables trusts that for a second (they appear only by a migration, before a process serves): waited out.
   */
  const upgrade = async () => {
    await t.settled();
    await bodyFirst(t.db.database.db as never, migrationContext('sqlite'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, (await t.user('admin')).auth);
    for (const title of ['光伏电站并网发电', '储能项目开工', '光伏组件出口增长']) {
      const { id } = await createArticle(t.app, editor, { title, summary: '', tags: [], body: `<p>${title}，砚岚芯表示进展顺利。</p>` });
      await publish(t.app, editor, id);
      ids.push(id);
    }
    await t.settled();
  });
  afterAll(() => t?.close());

  it('keeps answering from the old tables, with the newsroom changes, until the fill has filled the new ones', async () => {
    expect(await search('光伏')).toEqual([ids[0], ids[2]]);
    await upgrade();
    expect(await tables()).toEqual(['search_docs_legacy', 'search_docs_legacy_unindex', 'search_fts_legacy']);
    expect(Number((await sql<{ n: number }>`select count(*) as n from search_docs`.execute(t.db.database.db)).rows[0]!.n)).toBe(0);
    // Searches are answered in full meanwhile, exact text included.
    expect(await search('光伏')).toEqual([ids[0], ids[2]]);
    expect(await search('砚岚芯')).toEqual(ids);
    // A change lands in both: an unpublished article leaves the answers, an edited one is found by its new words.
    const api = (method: 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers: { authorization: editor }, payload });
    expect((await api('POST', `/api/v1/articles/${ids[2]}/unpublish`)).statusCode).toBe(200);
    expect((await api('PATCH', `/api/v1/articles/${ids[1]}`, { title: '储能与光伏项目开工' })).statusCode).toBe(200);
    await t.settled();
    expect(await search('光伏')).toEqual([ids[0], ids[1]]);
    // The edited article is whole in the new tables already, the other one is missing, and one more is counted while
    // the old tables remain (the fill that drops them is due).
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: 2 });

    // A fill stopped before it starts leaves the old tables answering; the next one fills the rest and drops them.
    const stopped = new AbortController();
    stopped.abort();
    await fillSearchIndexes(t.ctx, { signal: stopped.signal });
    expect(await tables()).toContain('search_fts_legacy');
    expect(await search('光伏')).toEqual([ids[0], ids[1]]);
    expect(await fillSearchIndexes(t.ctx)).toBeGreaterThanOrEqual(1);
    expect(await tables()).toEqual([]);
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: 0, unpublished: 0 });
    expect(await search('光伏')).toEqual([ids[0], ids[1]]);
    expect(await search('砚岚芯')).toEqual([ids[0], ids[1]]);
  });

  it('drops the old tables when the outbox alone has filled the new ones, and on a rebuild', async () => {
    await upgrade();
    // Every published article written again by the newsroom: the new tables are whole, the old ones still there.
    for (const id of [ids[0], ids[1]])
      await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: editor }, payload: { summary: '摘要' } });
    await t.settled();
    expect(await tables()).toContain('search_fts_legacy');
    expect((await searchBacklog(t.ctx)).published).toBeGreaterThan(0);
    await fillSearchIndexes(t.ctx);
    expect(await tables()).not.toContain('search_fts_legacy');
    expect(await search('光伏')).toEqual([ids[0], ids[1]]);

    await upgrade();
    await rebuildSearchIndex(t.ctx);
    expect(await tables()).not.toContain('search_fts_legacy');
    expect(await search('砚岚芯')).toEqual([ids[0], ids[1]]);
    // The draft index (the unpublished article) is filled in the background as ever.
    expect(await tables()).toContain('draft_fts_legacy');
    await fillSearchIndexes(t.ctx);
    expect(await tables()).toEqual([]);
  });

  it('creates the new tables directly on an install whose indexes are empty', async () => {
    await sql`delete from search_docs`.execute(t.db.database.db);
    await sql`delete from draft_docs`.execute(t.db.database.db);
    await upgrade();
    expect(await tables()).toEqual([]);
    const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where name = 'search_fts'`.execute(t.db.database.db);
    expect(rows[0]!.sql).toMatch(/fts5\(b, t, k, s, gt, gk, gs, gb, c,/);
  });
});
