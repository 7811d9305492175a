import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/** The FTS5 table of SQLite's search indexes with the body's words first (see storage/search/sqlite.ts). */
export const BODY_FIRST_COLUMNS = 'b, t, k, s, gt, gk, gs, gb, c';

/**
 * SQLite's search indexes get the body's words as their first FTS5 column: a posting in any other column carries two
 * bytes to say which, and body words are most of the postings (an index 18% smaller). FTS5 columns cannot be
 * reordered, so the tokens must be written again, which takes segmenting every article (minutes at a large archive):
 * not in a migration. An index holding documents is renamed `*_legacy` (docs and FTS table, its trigger following) and
 * keeps answering searches, and taking the newsroom's changes and removals, while new empty tables are filled in the
 * background (jobs/backlog.ts; `inkstone reindex` at once); the fill drops the legacy tables once nothing is missing,
 * and an interrupted fill resumes from what the new tables hold. An empty index (a new install) is simply recreated.
 * PostgreSQL has no column order to change.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  for (const [docs, fts] of [
    ['search_docs', 'search_fts'],
    ['draft_docs', 'draft_fts'],
  ] as const) {
    const { rows: held } = await sql.raw(`select 1 from ${docs} limit 1`).execute(db);
    const { rows: indexes } = await sql<{ name: string; sql: string }>`select name, sql from sqlite_master
      where type = 'index' and tbl_name = ${docs} and sql is not null`.execute(db);
    if (held.length > 0) {
      const { rows: table } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = ${docs}`.execute(db);
      // Index names are the schema's: the legacy table's go, the new table gets them (the legacy one needs none).
      for (const i of indexes) await sql.raw(`drop index ${i.name}`).execute(db);
      await sql.raw(`drop trigger if exists ${docs}_unindex`).execute(db);
      await sql.raw(`alter table ${docs} rename to ${docs}_legacy`).execute(db);
      await sql.raw(`alter table ${fts} rename to ${fts}_legacy`).execute(db);
      // However a legacy docs row goes (an unpublish, a cascade), its tokens go with it.
      await sql
        .raw(`create trigger ${docs}_legacy_unindex after delete on ${docs}_legacy begin delete from ${fts}_legacy where rowid = old.doc; end`)
        .execute(db);
      await sql.raw(table[0]!.sql).execute(db);
      for (const i of indexes) await sql.raw(i.sql).execute(db);
    } else {
      await sql.raw(`drop trigger if exists ${docs}_unindex`).execute(db);
      await sql.raw(`drop table ${fts}`).execute(db);
    }
    await sql.raw(`create virtual table ${fts} using fts5(${BODY_FIRST_COLUMNS}, content = '', contentless_delete = 1, tokenize = 'ascii')`).execute(db);
    await sql.raw(`create trigger ${docs}_unindex after delete on ${docs} begin delete from ${fts} where rowid = old.doc; end`).execute(db);
  }
}
