import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { searchDocument } from '../../src/domain/search/document.ts';
import type { IndexableArticle } from '../../src/domain/search/search-index.ts';
import { PostgresSearchIndex } from '../../src/storage/search/postgres.ts';
import { insertPublished, seedChannelAndAuthor } from '../support/search-docs.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * A rebuild on PostgreSQL writes a new table beside the index and swaps it in at the end (postgres-rebuild.ts).
 * Readers search the old one meanwhile; what the newsroom writes meanwhile (an edit's new document, an unpublished
 * article's removal, a deleted article) must be in the new one, whenever in the run it happens.
 */
describe.runIf(runsOn('postgres'))('a rebuild on postgres', () => {
  let t: TestDatabase;
  let index: PostgresSearchIndex;
  const COUNT = 30;
  const START = Date.UTC(2026, 0, 1);
  const make = (a: IndexableArticle) => searchDocument(a);

  const db = () => t.database.db;
  const article = async (id: number): Promise<IndexableArticle> => {
    const row = await db()
      .selectFrom('articles')
      .select(['id', 'title', 'subtitle', 'summary', 'body_text', 'channel_id', 'published_at', 'updated_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return {
      id: row.id,
      title: row.title,
      subtitle: row.subtitle,
      summary: row.summary,
      bodyText: row.body_text,
      tags: [],
      channelId: row.channel_id,
      publishedAt: row.published_at,
      updatedAt: row.updated_at,
    } as IndexableArticle;
  };
  /** An edit as the newsroom makes it: the article's new text, then the outbox's put of its document. */
  const edit = async (id: number, title: string) => {
    await db().updateTable('articles').set({ title, updated_at: Date.now() }).where('id', '=', id).execute();
    await index.put(await make(await article(id)));
  };
  const unpublish = async (id: number) => {
    await db().updateTable('articles').set({ status: 'unpublished' }).where('id', '=', id).execute();
    await index.remove(id);
  };
  /** What the index holds: each document's article and head (its title, normalized). */
  const held = async () =>
    (await sql<{ id: number; head: string }>`select article_id as id, head from search_docs order by article_id`.execute(db())).rows.map(
      (r) => `${r.id}:${r.head}`,
    );
  const expected = (except: number[], titles: Record<number, string> = {}) =>
    Array.from({ length: COUNT }, (_, i) => i + 1)
      .filter((id) => !except.includes(id))
      .map((id) => `${id}:${titles[id] ?? `标题${id}`}`);
  const relation = async (name: string) => (await sql<{ r: string | null }>`select to_regclass(${name})::text as r`.execute(db())).rows[0]!.r;
  const finds = async (word: string) => (await index.search({ terms: [{ kind: 'word', token: word }] })).ids;

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    index = new PostgresSearchIndex(db());
  });
  afterAll(() => t?.cleanup());

  beforeEach(async () => {
    await sql`delete from articles`.execute(db());
    await sql`delete from channels`.execute(db());
    await sql`delete from accounts`.execute(db());
    const author = await seedChannelAndAuthor(db());
    await insertPublished(
      db(),
      author,
      Array.from({ length: COUNT }, (_, i) => ({ id: i + 1, publishedAt: START + i * 3_600_000 })),
    );
    index.rebuildBatch = 500;
    expect(await index.rebuild(make)).toEqual({ indexed: COUNT, removed: 0 });
    index.rebuildBatch = 10;
  });

  it('answers searches from the old table meanwhile, and keeps every write made during the run', async () => {
    let batches = 0;
    const report = await index.rebuild(make, async () => {
      if (++batches !== 1) return;
      // Articles 1-10 are in the new table now; 11-30 are not read yet.
      expect(await relation('search_docs_next')).not.toBeNull();
      expect(await finds('候鸟')).toEqual([]);
      await edit(3, '砾洲湾迎来候鸟');
      await edit(25, '滨江新区开园');
      await unpublish(4);
      // Deleted outright: its document goes by the foreign key, from the old table only.
      await sql`delete from articles where id in (2, 26)`.execute(db());
      // Readers are answered by the old table, with the writes made so far.
      expect(await finds('候鸟')).toEqual([3]);
    });
    expect(batches).toBeGreaterThan(1);
    expect(report.indexed).toBe(COUNT - 1);
    expect(await held()).toEqual(expected([2, 4, 26], { 3: '砾洲湾迎来候鸟', 25: '滨江新区开园' }));
    expect(await finds('候鸟')).toEqual([3]);
    expect(await finds('滨江')).toEqual([25]);

    // Nothing of the run is left, and the new table is the index as a migration made it: its names, its foreign key.
    for (const name of ['search_docs_next', 'search_docs_next_log']) expect(await relation(name)).toBeNull();
    const { rows: triggers } = await sql`select tgname from pg_trigger where tgrelid = 'search_docs'::regclass and not tgisinternal`.execute(db());
    expect(triggers).toEqual([]);
    for (const name of ['search_docs_pkey', 'search_docs_terms', 'search_docs_headless']) expect(await relation(name)).toBe(name);
    const { rows: pending } = await sql<{ n: number }>`select gin_clean_pending_list('search_docs_terms'::regclass) as n`.execute(db());
    expect(Number(pending[0]!.n)).toBe(0);
    const { rows: keys } = await sql<{ name: string; valid: boolean }>`select conname as name, convalidated as valid from pg_constraint
      where conrelid = 'search_docs'::regclass and contype = 'f'`.execute(db());
    expect(keys).toEqual([{ name: 'search_docs_article_id_fkey', valid: true }]);
    await sql`delete from articles where id = 30`.execute(db());
    expect(await held()).toEqual(expected([2, 4, 26, 30], { 3: '砾洲湾迎来候鸟', 25: '滨江新区开园' }));
    // Writes go on as before.
    await edit(5, '云岭县修路');
    expect(await finds('修路')).toEqual([5]);
  });

  it('goes on after a run that stopped from the last article its table holds, whatever the checkpoint says', async () => {
    let made = 0;
    const failing = (a: IndexableArticle) => {
      if (++made > 15) throw new Error('document failed');
      return make(a);
    };
    await expect(index.rebuild(failing)).rejects.toThrow('document failed');
    // The old index is whole and answers; the stopped run's table holds its first batch.
    expect(await held()).toEqual(expected([]));
    expect(Number((await sql<{ n: number }>`select count(*) as n from search_docs_next`.execute(db())).rows[0]!.n)).toBe(10);
    // Written while nobody rebuilds: still noted for the run that goes on.
    await edit(5, '砾洲湾迎来候鸟');
    await unpublish(6);
    const resumed = await index.rebuild(make, undefined, { afterId: 25 });
    expect(resumed).toEqual({ indexed: COUNT - 10, removed: 0 });
    expect(await held()).toEqual(expected([6], { 5: '砾洲湾迎来候鸟' }));
    expect(await finds('候鸟')).toEqual([5]);
    // Without a checkpoint, a run begins again.
    expect(await index.rebuild(make)).toEqual({ indexed: COUNT - 1, removed: 0 });
  });

  it('carries over an index a later migration (or an operator) added to the index table, under its name', async () => {
    await sql`create index search_docs_by_time on search_docs (published_at desc)`.execute(db());
    try {
      expect(await index.rebuild(make)).toEqual({ indexed: COUNT, removed: 0 });
      const { rows } = await sql<{ def: string }>`select pg_get_indexdef('search_docs_by_time'::regclass) as def`.execute(db());
      expect(rows[0]!.def).toMatch(/ON public\.search_docs USING btree \(published_at DESC\)$/);
    } finally {
      await sql`drop index if exists search_docs_by_time`.execute(db());
    }
  });

  it("leaves the index with its owner and grants when another role rebuilds it (an operator as the database's superuser)", async () => {
    await sql`drop role if exists inkstone_app_test`.execute(db());
    await sql`drop role if exists inkstone_reader_test`.execute(db());
    await sql`create role inkstone_app_test`.execute(db());
    await sql`create role inkstone_reader_test`.execute(db());
    try {
      await sql`alter table search_docs owner to inkstone_app_test`.execute(db());
      await sql`grant select on search_docs to inkstone_reader_test`.execute(db());
      let noted = false;
      await index.rebuild(make, async () => {
        if (noted) return;
        noted = true;
        // The server, as the index's owner, writes meanwhile: its trigger writes the log, which it must be allowed to.
        await db()
          .connection()
          .execute(async (as) => {
            await sql`set role inkstone_app_test`.execute(as);
            await sql`delete from search_docs where article_id = 7`.execute(as);
            await sql`reset role`.execute(as);
          });
      });
      const { rows } = await sql<{ owner: string; reads: boolean }>`select pg_get_userbyid(relowner) as owner,
        has_table_privilege('inkstone_reader_test', 'search_docs', 'select') as reads from pg_class where oid = 'search_docs'::regclass`.execute(db());
      expect(rows).toEqual([{ owner: 'inkstone_app_test', reads: true }]);
      // The article left the old table during the run: the swap took its absence.
      expect(await held()).toEqual(expected([7]));
    } finally {
      await sql`alter table search_docs owner to current_user`.execute(db());
      await sql`drop owned by inkstone_reader_test`.execute(db());
      await sql`drop role inkstone_app_test`.execute(db());
      await sql`drop role inkstone_reader_test`.execute(db());
    }
  });

  it("merges the index's pending list when settled; a role that does not own the index leaves it to autovacuum, without an error, and asks no more", async () => {
    /** Merges the pending list now and says how many pages held entries. */
    const pending = async () => Number((await sql<{ n: number }>`select gin_clean_pending_list('search_docs_terms'::regclass) as n`.execute(db())).rows[0]!.n);
    await edit(3, '砾洲湾迎来候鸟');
    expect(await pending()).toBeGreaterThan(0);
    await edit(4, '滨江新区开园');
    await index.settle();
    expect(await pending()).toBe(0);
    expect(await finds('候鸟')).toEqual([3]);
    await edit(5, '云岭县修路');
    await sql`drop role if exists inkstone_settle_test`.execute(db());
    await sql`create role inkstone_settle_test`.execute(db());
    try {
      await db()
        .connection()
        .execute(async (as) => {
          await sql`set role inkstone_settle_test`.execute(as);
          const theirs = new PostgresSearchIndex(as);
          await theirs.settle();
          await sql`reset role`.execute(as);
          // Refused once, it does not ask again (as the owner now, it would have merged the list).
          await theirs.settle();
        });
      expect(await pending()).toBeGreaterThan(0);
    } finally {
      await sql`drop role inkstone_settle_test`.execute(db());
    }
  });

  it('refuses a second rebuild of the same index while one runs, and leaves the first to finish', async () => {
    let second: unknown;
    const report = await index.rebuild(make, async () => {
      if (second === undefined) second = await index.rebuild(make).catch((err: unknown) => err);
    });
    expect(second).toMatchObject({ kind: 'conflict', code: 'reindex_running' });
    expect(report.indexed).toBe(COUNT);
    expect(await held()).toEqual(expected([]));
  });
});
