import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * 稿件库, the newsroom's archive: every article filtered and sorted, paged by keyset, and searched including drafts.
 *
 * - `articles.has_image` (0/1): a cover or an image in the body, kept by the repository on every write, so the filter
 *   reads an index instead of bodies.
 * - One index per sort time, led by the time and id (the keyset) and covering the filter columns, so a page is a seek
 *   into one index that never reads the wide rows (bodies) of articles it skips.
 * - The draft index: the same search documents as the public index (storage/search/), for the articles that are not
 *   published (most of an archive is), in tables of their own so the public index and its keys stay as they are. It is
 *   derived data: `inkstone reindex` rebuilds it, and the first start after this migration fills it.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const { rows: columns } =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from pragma_table_info('articles') where name = 'has_image'`.execute(db)
      : await sql<{ name: string }>`select column_name as name from information_schema.columns
          where table_schema = current_schema() and table_name = 'articles' and column_name = 'has_image'`.execute(db);
  if (columns.length === 0) {
    await sql`alter table articles add column has_image integer not null default 0`.execute(db);
    await sql`update articles set has_image = 1 where cover <> '' or body_html like '%<img%'`.execute(db);
  }

  const covering = ['status', 'author_id', 'channel_id', 'has_image'];
  for (const time of ['updated_at', 'published_at', 'created_at']) {
    // PostgreSQL sorts nulls first in a descending scan; the archive lists never-published articles last on both stores.
    const lead = dialect === 'postgres' && time === 'published_at' ? `${time} desc nulls last, id desc` : `${time}, id`;
    await sql`create index if not exists ${sql.raw(`articles_archive_${time.replace('_at', '')}`)} on articles
      (${sql.raw([lead, ...covering].join(', '))})`.execute(db);
  }
  // A status filter (待审, 定时发布: few among many) seeks within its status.
  await sql`create index if not exists articles_archive_status on articles (status, updated_at, id, author_id, channel_id, has_image)`.execute(db);
  // SQLite keeps bodies inline, before these columns: filtering a search's matches by id reads this index, not the rows.
  if (dialect === 'sqlite') {
    await sql`create index if not exists articles_archive_id on articles
      (id, status, author_id, channel_id, has_image, updated_at, published_at, created_at)`.execute(db);
  }

  if (dialect === 'sqlite') {
    await sql`create table if not exists draft_docs (
      doc integer primary key,
      article_id integer not null unique references articles (id) on delete cascade,
      published_at integer not null)`.execute(db);
    await sql`create virtual table if not exists draft_fts using fts5(
      t, k, s, b, gt, gk, gs, gb, c, content = '', contentless_delete = 1, tokenize = 'ascii')`.execute(db);
    await sql`create trigger if not exists draft_docs_unindex after delete on draft_docs
      begin delete from draft_fts where rowid = old.doc; end`.execute(db);
    return;
  }
  const { rows: lz4 } = await sql<{ ok: boolean }>`select 'lz4' = any (enumvals) as ok from pg_settings
    where name = 'default_toast_compression'`.execute(db);
  const compression = sql.raw(lz4[0]?.ok ? 'compression lz4' : '');
  await sql`create table if not exists draft_search_docs (
    article_id integer primary key references articles (id) on delete cascade,
    published_at bigint not null,
    words tsvector ${compression} not null,
    grams tsvector ${compression} not null)`.execute(db);
  await sql`create index if not exists draft_search_docs_terms on draft_search_docs using gin (words, grams)`.execute(db);
}
