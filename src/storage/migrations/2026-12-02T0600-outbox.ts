import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * The outbox: work an article change sets off after its commit (search index, related reading), written in the same
 * transaction as the change, so a crash between the commit and the work loses nothing. App processes claim rows with
 * a lease, do the work, and delete them; a failed row comes back after a back-off.
 */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('outbox')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'integer', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('available_at', bigint, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', bigint)
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('outbox_available').ifNotExists().on('outbox').columns(['available_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').ifExists().execute();
}
