import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * The picture library: what an image shows (caption, alt text, credit) beside the upload, where a re-hosted image
 * came from, and which articles use which upload (`media_usage`), kept exact by every article write so an image in
 * use cannot be deleted. Existing articles' bodies and covers are read once here to fill `media_usage`.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('media')
    .addColumn('caption', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('media')
    .addColumn('alt', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('media')
    .addColumn('credit', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  // The remote address an image pasted from another site was fetched from: the next save of it reuses this row.
  await db.schema.alterTable('media').addColumn('source_url', 'text').execute();
  // The library lists newest first (by id) and filters by uploader.
  await db.schema.createIndex('media_account').ifNotExists().on('media').columns(['account_id', 'id']).execute();
  await db.schema.createIndex('media_created').ifNotExists().on('media').column('created_at').execute();
  await db.schema.createIndex('media_source_url').ifNotExists().on('media').column('source_url').execute();

  await db.schema
    .createTable('media_usage')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    // No cascade: deleting an upload an article uses fails in the database too (a delete racing a save).
    .addColumn('media_id', 'integer', (c) => c.notNull().references('media.id'))
    .addPrimaryKeyConstraint('media_usage_pk', ['article_id', 'media_id'])
    .execute();
  await db.schema.createIndex('media_usage_media').ifNotExists().on('media_usage').column('media_id').execute();

  await backfill(db);
}

// The same shape as domain/media/media.ts mediaKeyOf, frozen here: a migration never changes with later code.
const MEDIA_URL = /\/media\/(\d{4}\/\d{2}\/[A-Za-z0-9_-]{16})-\d{1,5}\.(?:jpg|png|webp|gif|avif)(?=["'\s>?#]|$)/g;

async function backfill(db: Kysely<unknown>): Promise<void> {
  const any = db as Kysely<any>;
  let after = 0;
  for (;;) {
    const rows: { id: number; body_html: string; cover: string }[] = await any
      .selectFrom('articles')
      .select(['id', 'body_html', 'cover'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(200)
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      const keys = new Set<string>();
      for (const text of [row.body_html, row.cover]) for (const m of text.matchAll(MEDIA_URL)) keys.add(m[1]!);
      if (keys.size === 0) continue;
      const media: { id: number }[] = await any
        .selectFrom('media')
        .select('id')
        .where('key', 'in', [...keys])
        .execute();
      if (media.length === 0) continue;
      await any
        .insertInto('media_usage')
        .values(media.map((m) => ({ article_id: row.id, media_id: m.id })))
        .onConflict((oc: any) => oc.doNothing())
        .execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}
