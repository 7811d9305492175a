import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * `Idempotency-Key` of the newsroom's creating POSTs (web/idempotency.ts): per account, the request's fingerprint
 * (method, path, body hash) and, once answered, the answer (status, headers, body), kept 24 hours. A retry with the
 * key gets the first answer again instead of creating a second article. A row is claimed by its insert (the primary
 * key settles two racing requests); `owner` and `locked_until` tell a request in flight from one whose process died.
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .ifNotExists()
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('idem_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    // A random token of the request that holds the key while it runs; null once answered.
    .addColumn('owner', 'text')
    .addColumn('locked_until', bigint, (c) => c.notNull())
    // The answer, once there is one (null while in flight).
    .addColumn('status', 'integer')
    .addColumn('headers', 'text')
    .addColumn('body', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['account_id', 'idem_key'])
    .execute();
  // Expired keys are deleted by their age.
  await db.schema.createIndex('idempotency_keys_created').ifNotExists().on('idempotency_keys').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').ifExists().execute();
}
