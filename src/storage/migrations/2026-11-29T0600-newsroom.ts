import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/** The newsroom UI's needs: reusable sources, notes on revisions (return comments), throttling lookups by address and account. */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('sources')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  // Why a revision exists when the action alone does not say it: an editor's return comment, "restored from 3".
  await db.schema
    .alterTable('revisions')
    .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
    .execute();

  await db.schema.createIndex('login_failures_address').ifNotExists().on('login_failures').columns(['address', 'at']).execute();
  await db.schema.createIndex('login_failures_username').ifNotExists().on('login_failures').columns(['username', 'at']).execute();
  await db.schema.createIndex('api_tokens_account').ifNotExists().on('api_tokens').column('account_id').execute();
}
