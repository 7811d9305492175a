import type { Kysely } from 'kysely';

/**
 * `idempotency_keys.made_id`: the id of what the key's request created, written in the creating transaction (see
 * web/idempotency.ts). A process that dies after that commit but before the answer is kept leaves a row that names
 * what was made, and the retry answers with it instead of creating it a second time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('made_id', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('made_id').execute();
}
