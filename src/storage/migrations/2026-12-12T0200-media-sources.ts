import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * `media_sources`: which remote address gave which bytes (their sha256) when a pasted image was re-hosted. A fetch
 * whose bytes were already in the library reuses that upload, whose `source_url` is another address (or none), so
 * without this row every later save of the address fetched it again. Joined to `media` by the hash at lookup: once
 * no upload of those bytes is left, the address is fetched anew.
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('media_sources')
    .ifNotExists()
    .addColumn('url', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('fetched_at', bigint, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('media_sources').ifExists().execute();
}
