import type { Kysely } from 'kysely';

/**
 * Article sitemaps are ranges of ids: counting a range's published articles, dating its latest change and listing
 * them read this index alone, never the rows with their bodies (which, past a page in size, SQLite keeps in
 * overflow pages that a scan of the table would have to walk).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('articles_sitemap').ifNotExists().on('articles').columns(['status', 'id', 'updated_at', 'cover']).execute();
}
