import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * `article_creation_keys`: the Idempotency-Key of the POST that made an article, kept for good (idempotency_keys keeps
 * a key a day). The newsroom's browser copy of a new article keeps its creation's key and sends the request again on
 * 恢复, however late: the key still answers the article it made instead of making a second. The row holds the key's
 * HMAC under the install's lookup key (as idempotency_keys does, never the key), the request's fingerprint (the same
 * key with another body is refused) and the article's id without a foreign key: a purged article's key stays, so its
 * replay is told the article is gone rather than making it again.
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('article_creation_keys')
    .ifNotExists()
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('key_hmac', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('article_id', 'integer', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('article_creation_keys_pk', ['account_id', 'key_hmac'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('article_creation_keys').ifExists().execute();
}
