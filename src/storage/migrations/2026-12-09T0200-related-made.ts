import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * The revision of an article its own related list was last made from (RelatedRepository.markItems): the outbox's
 * related reading for a revision already done is skipped (a create and its publish moments apart each queue one, the
 * second after the first began). Null until made again, and once the list is withdrawn. No default: instant on a
 * table of a million rows, on both stores.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('related_fingerprints').addColumn('items_revision', 'integer').execute();
}
