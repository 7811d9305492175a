import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Uploaded images. The files are re-encoded variants under <dataDir>/media/<key>-<width>.<ext>; the row keeps
 * what they were made from and the variant list (JSON), so reader pages can build srcset without touching disk.
 */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('media')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('original_name', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('bytes', bigint, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('variants', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  // Pages look images up by the key in their URL; uploads look for identical bytes by hash.
  await db.schema.createIndex('media_key').ifNotExists().on('media').column('key').execute();
  await db.schema.createIndex('media_sha256').ifNotExists().on('media').column('sha256').execute();
}
