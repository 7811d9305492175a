import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Lists of links read articles' titles by id (相关阅读 on every article page: `publishedTitles`), and sitemaps read
 * ranges of ids: on SQLite both now read one covering index, `articles_lists (status, id, deleted_at, published_at,
 * updated_at, cover, title)`, which replaces `articles_sitemap (status, id, updated_at, cover)`. A row's status and
 * times follow its body, which past a page SQLite keeps in overflow pages, so reading them from the table walked the
 * body: the related list's 8 titles were the dearest statement of an uncached article page (0.20 of 0.51 ms of SQL
 * at 20,000 articles, `bench/render.ts --sql`). PostgreSQL keeps large values out of line (TOAST), so its rows are
 * narrow and its id lookups need nothing more: the sitemap index stays as it is there.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`create index if not exists articles_lists on articles (status, id, deleted_at, published_at, updated_at, cover, title)`.execute(db);
  await sql`drop index if exists articles_sitemap`.execute(db);
}
