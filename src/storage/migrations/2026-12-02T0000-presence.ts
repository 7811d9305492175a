import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Who has an article open in the newsroom editor right now (王编辑正在编辑): one row per article and account, its
 * last heartbeat. Kept in the database so every app process sees every editor; old rows are pruned by the heartbeats.
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('article_presence')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('seen_at', bigint, (c) => c.notNull())
    // When this stretch of heartbeats began: kept while they keep coming, restarted after a gap.
    .addColumn('since', bigint, (c) => c.notNull())
    // 0 or 1: with unsaved changes or typing in the body, not only looking.
    .addColumn('editing', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('article_presence_pk', ['article_id', 'account_id'])
    .execute();
  await db.schema.createIndex('article_presence_seen').ifNotExists().on('article_presence').column('seen_at').execute();
}
