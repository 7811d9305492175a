import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

interface Row {
  account_id: number;
  idem_key: string;
}

/**
 * Idempotency-Keys kept as their SHA-256 (`idem_key` from now on holds the digest, base64url) and answers kept sealed
 * with a key derived from the client's Idempotency-Key (storage/repositories/idempotency.ts): a database reader can
 * neither read a kept answer (a new API token's secret) nor derive the key that opens it. `sealed_answer` holds the
 * sealed headers and body (the clear columns stay null); `sealed_made` a value sealed in the creating transaction that
 * the retry after a crash needs to answer (the token's secret). Keys kept before this migration are turned into their
 * digests so that their retries still find them; their answers (never a secret: tokens were not keyed) stay clear and
 * go within a day.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('sealed_answer', 'text').execute();
  await db.schema.alterTable('idempotency_keys').addColumn('sealed_made', 'text').execute();
  const k = db as unknown as Kysely<{ idempotency_keys: Row }>;
  for (const row of await k.selectFrom('idempotency_keys').select(['account_id', 'idem_key']).execute()) {
    await k
      .updateTable('idempotency_keys')
      .set({ idem_key: createHash('sha256').update(row.idem_key).digest('base64url') })
      .where('account_id', '=', row.account_id)
      .where('idem_key', '=', row.idem_key)
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The keys' digests cannot be turned back: the rows go (they are kept a day anyway).
  await db.deleteFrom('idempotency_keys' as never).execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('sealed_made').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('sealed_answer').execute();
}
