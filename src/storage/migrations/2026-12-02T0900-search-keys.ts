import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * SQLite's search indexes get compact doc keys (publication minute × 16 instead of millisecond × 1024: every posting
 * stores the gap between keys, and the old gaps made the index twice the text) and bodies keep grams only where jieba
 * knows no word. Old keys cannot be mixed with new ones, so both indexes (public and drafts) start empty here and are
 * filled again in the background after the server starts listening (jobs/backlog.ts; `inkstone reindex` does it at
 * once): meanwhile search finds only what is already back in. Dropped and created again rather than emptied row by
 * row, which on a large archive would take the migration as long as a reindex. PostgreSQL keeps its index (no doc
 * keys there); its documents shrink as articles are indexed again.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  for (const [docs, fts] of [
    ['search_docs', 'search_fts'],
    ['draft_docs', 'draft_fts'],
  ] as const) {
    await sql.raw(`drop trigger if exists ${docs}_unindex`).execute(db);
    await sql.raw(`drop table if exists ${fts}`).execute(db);
    await sql.raw(`delete from ${docs}`).execute(db);
    await sql
      .raw(`create virtual table ${fts} using fts5(t, k, s, b, gt, gk, gs, gb, c, content = '', contentless_delete = 1, tokenize = 'ascii')`)
      .execute(db);
    await sql.raw(`create trigger ${docs}_unindex after delete on ${docs} begin delete from ${fts} where rowid = old.doc; end`).execute(db);
  }
}
