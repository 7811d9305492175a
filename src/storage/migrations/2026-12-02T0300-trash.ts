import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * 回收站: a deleted article keeps its row (and everything hanging off it) with the time and the person who deleted it,
 * out of every list and page, until it is restored or purged 30 days later (domain/articles/trash.ts).
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema.alterTable('articles').addColumn('deleted_at', bigint).execute();
  await db.schema
    .alterTable('articles')
    .addColumn('deleted_by', 'integer', (c) => c.references('accounts.id'))
    .execute();
  // Partial: only the trash is indexed, for its listing (newest deleted first) and the purge (oldest first).
  await sql`create index if not exists articles_trash on articles (deleted_at, id) where deleted_at is not null`.execute(db);
}
