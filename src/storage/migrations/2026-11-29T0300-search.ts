import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * The search index of published articles (see storage/search/). It is derived data: `inkstone reindex`
 * rebuilds it, and the first start after this migration fills it from the articles already published.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'sqlite') {
    // doc orders by publication time (published_at * 1024 + id % 1024) and is the FTS rowid.
    await sql`create table if not exists search_docs (
      doc integer primary key,
      article_id integer not null unique references articles (id) on delete cascade,
      published_at integer not null)`.execute(db);
    // Contentless: the index keeps tokens only; titles and bodies for display come from articles. Column c holds
    // the channel as a token, so a channel filter is one more term of the match instead of a join per match.
    await sql`create virtual table if not exists search_fts using fts5(
      t, k, s, b, gt, gk, gs, gb, c, content = '', contentless_delete = 1, tokenize = 'ascii')`.execute(db);
    // However a doc row goes (an unpublish, a cascade), its tokens go with it.
    await sql`create trigger if not exists search_docs_unindex after delete on search_docs
      begin delete from search_fts where rowid = old.doc; end`.execute(db);
    return;
  }
  const { rows } = await sql<{ encoding: string }>`select pg_encoding_to_char(encoding) as encoding from pg_database
    where datname = current_database()`.execute(db);
  if (rows[0]?.encoding !== 'UTF8') {
    throw new Error(`Inkstone needs a UTF-8 database for Chinese search; this one is ${rows[0]?.encoding}. Create it with: createdb -E UTF8 -T template0 NAME`);
  }
  // lz4 (when the server has it) decompresses several times faster than pglz: ranking and phrase checks read
  // the tsvector of every candidate.
  const { rows: lz4 } = await sql<{ ok: boolean }>`select 'lz4' = any (enumvals) as ok from pg_settings
    where name = 'default_toast_compression'`.execute(db);
  const compression = sql.raw(lz4[0]?.ok ? 'compression lz4' : '');
  // Words (with the channel) and grams under one two-column GIN index, so a query on both is one index scan (see
  // storage/search/postgres.ts). No index on published_at on purpose: the planner, blind to the cost of reading
  // tsvectors, would pick it for date filters and test thousands of rows outside GIN.
  await sql`create table if not exists search_docs (
    article_id integer primary key references articles (id) on delete cascade,
    published_at bigint not null,
    words tsvector ${compression} not null,
    grams tsvector ${compression} not null)`.execute(db);
  await sql`create index if not exists search_docs_terms on search_docs using gin (words, grams)`.execute(db);
}
