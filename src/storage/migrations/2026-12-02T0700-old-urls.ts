import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Imported archives (`inkstone import`): which article each source item became, and the addresses it had on the old
 * site. `import_sources` makes a repeated import find its earlier articles (by the source's own id: a WordPress post id
 * on its site, a feed item's guid) and tells an article edited in the newsroom since (its revision moved past the one
 * the import wrote). `old_urls` answers the old addresses: a normalized path (`/2010/10/05/slug`) or `?p=123` → the
 * article; the reader site redirects them with 301 (410 when the article is not public).
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('import_sources')
    .ifNotExists()
    .addColumn('source_key', 'text', (c) => c.primaryKey())
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    // The revision the import left; a newer one means the newsroom edited it (kept unless --update).
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('imported_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('import_sources_article').ifNotExists().on('import_sources').column('article_id').execute();
  await db.schema
    .createTable('old_urls')
    .ifNotExists()
    .addColumn('path', 'text', (c) => c.primaryKey())
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('old_urls_article').ifNotExists().on('old_urls').column('article_id').execute();
}
