import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * The newsroom's search synonyms (北大 ↔ 北京大学, 发改委 ↔ 国家发展和改革委员会): one row per group of words that
 * mean the same, applied at query time (domain/search/synonyms.ts), so changing them needs no reindex. Each word,
 * normalized as search normalizes text, belongs to one group at most: its primary key keeps two admins adding the
 * same word at once from both succeeding. The list starts empty; docs/API.md has an example.
 */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('search_synonyms')
    .ifNotExists()
    .addColumn('id', id, pk)
    // The words as the admin typed them, a JSON array of strings, in their order.
    .addColumn('words', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('search_synonym_words')
    .ifNotExists()
    .addColumn('word', 'text', (c) => c.primaryKey())
    .addColumn('synonym_id', 'integer', (c) => c.notNull().references('search_synonyms.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('search_synonym_words_group').ifNotExists().on('search_synonym_words').column('synonym_id').execute();
}
