import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/** Editor-curated places on the home page: the visual-focus carousel and the headlines. */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('slot_items')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('expires_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addUniqueConstraint('slot_items_slot_article', ['slot', 'article_id'])
    .execute();
  await db.schema.createIndex('slot_items_slot').ifNotExists().on('slot_items').columns(['slot', 'position']).execute();
}
