import type { Kysely } from 'kysely';

/**
 * The audit log is filtered by who, what and which article, each newest first by id (keyset paging): one index per
 * filter, ending in the id, so a page of one person's or one article's events is read from the index in order.
 * The date range uses the existing index on `at`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_actor').ifNotExists().on('audit_events').columns(['actor_id', 'id']).execute();
  await db.schema.createIndex('audit_events_action').ifNotExists().on('audit_events').columns(['action', 'id']).execute();
  await db.schema.createIndex('audit_events_subject').ifNotExists().on('audit_events').columns(['subject_type', 'subject_id', 'id']).execute();
}
