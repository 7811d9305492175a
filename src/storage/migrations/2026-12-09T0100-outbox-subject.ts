import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * The outbox's rows by their work and subject: a run of an article's work takes with it the same work queued for the
 * same article before it began (OutboxRepository.absorb), and must find those rows without reading a backlog of
 * thousands (a bulk publish, a long outage of the work).
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createIndex('outbox_subject').ifNotExists().on('outbox').columns(['subject_id', 'topic']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_subject').ifExists().execute();
}
