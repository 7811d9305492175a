import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Two guards for live entries (issue #15). `live_entry_keys`: the `Idempotency-Key` a client sent with the POST that
 * made an entry, per account, written in the entry's transaction; a retry with the same key answers that entry
 * instead of posting a second one (a fingerprint of the request tells a retry from another post reusing the key).
 * `live_entry_media`: which library images each entry shows, kept by every entry write, so an image a live uses
 * cannot be deleted (the same rule and the same foreign key without cascade as `media_usage` for articles).
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('live_entry_keys')
    .ifNotExists()
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('idem_key', 'text', (c) => c.notNull())
    // The article posted to and a hash of the entry as sent: the same key with another request is refused.
    .addColumn('article_id', 'integer', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'integer', (c) => c.notNull().references('live_entries.id').onDelete('cascade'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('live_entry_keys_pk', ['account_id', 'idem_key'])
    .execute();
  await db.schema.createIndex('live_entry_keys_entry').ifNotExists().on('live_entry_keys').column('entry_id').execute();

  await db.schema
    .createTable('live_entry_media')
    .ifNotExists()
    .addColumn('entry_id', 'integer', (c) => c.notNull().references('live_entries.id').onDelete('cascade'))
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    // No cascade: deleting an image a live entry shows fails in the database too (a delete racing a post).
    .addColumn('media_id', 'integer', (c) => c.notNull().references('media.id'))
    .addPrimaryKeyConstraint('live_entry_media_pk', ['entry_id', 'media_id'])
    .execute();
  await db.schema.createIndex('live_entry_media_media').ifNotExists().on('live_entry_media').columns(['media_id', 'article_id']).execute();

  await backfill(db);
}

/** The images of the entries already posted (deleted ones show none), from their JSON copies; gone images skipped. */
async function backfill(db: Kysely<unknown>): Promise<void> {
  const any = db as Kysely<any>;
  let after = 0;
  for (;;) {
    const rows: { id: number; article_id: number; images: string }[] = await any
      .selectFrom('live_entries')
      .select(['id', 'article_id', 'images'])
      .where('id', '>', after)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      let ids: number[] = [];
      try {
        const images = JSON.parse(row.images) as { mediaId?: unknown }[];
        ids = [...new Set(images.map((i) => i.mediaId).filter((id): id is number => Number.isInteger(id)))];
      } catch {
        continue;
      }
      if (ids.length === 0) continue;
      const media: { id: number }[] = await any.selectFrom('media').select('id').where('id', 'in', ids).execute();
      if (media.length === 0) continue;
      await any
        .insertInto('live_entry_media')
        .values(media.map((m) => ({ entry_id: row.id, article_id: row.article_id, media_id: m.id })))
        .onConflict((oc: any) => oc.doNothing())
        .execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}
