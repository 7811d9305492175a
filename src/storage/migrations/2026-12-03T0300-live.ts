import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Live coverage (图文直播, issue #15): an article that is a live has one `live_streams` row (直播中 / 已结束) and its
 * timestamped entries in `live_entries`. Every change to a live (an entry posted, edited, pinned, deleted; the live
 * opened or closed) takes the next number of the live's own sequence (`live_streams.seq`, bumped in the change's
 * transaction, whose row lock orders writers of one live), stored on the entry it changed: readers resume from the
 * highest number they have seen (the SSE cursor), and `seq > cursor` is exactly what changed since, without gaps
 * or duplicates. A deleted entry stays as a tombstone (deleted_at set, text emptied) so a resuming reader learns of
 * the delete.
 */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('live_streams')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.primaryKey().references('articles.id').onDelete('cascade'))
    // 'live' (直播中) or 'ended' (已结束).
    .addColumn('status', 'text', (c) => c.notNull())
    // The last number of the live's change sequence handed out.
    .addColumn('seq', bigint, (c) => c.notNull().defaultTo(0))
    // The number of the last opening or closing, so a resuming reader hears of it.
    .addColumn('status_seq', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('opened_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('opened_at', bigint, (c) => c.notNull())
    .addColumn('closed_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('closed_at', bigint)
    .execute();
  await db.schema
    .createTable('live_entries')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('seq', bigint, (c) => c.notNull())
    .addColumn('author_id', 'integer', (c) => c.references('accounts.id'))
    // Plain text, paragraphs separated by line breaks; escaped at render.
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('quote_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('quote_source', 'text', (c) => c.notNull().defaultTo(''))
    // JSON array of the library images shown: [{mediaId, src, width, height, alt, caption}] (copies, like an article's).
    .addColumn('images', 'text', (c) => c.notNull().defaultTo('[]'))
    // 0 or 1: 置顶, shown above the others.
    .addColumn('pinned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('deleted_at', bigint)
    .addColumn('deleted_by', 'integer', (c) => c.references('accounts.id'))
    .execute();
  // What changed after a cursor: a seek on (article, seq); one number is one change.
  await db.schema.createIndex('live_entries_seq').ifNotExists().unique().on('live_entries').columns(['article_id', 'seq']).execute();
  await db.schema.createIndex('live_entries_time').ifNotExists().on('live_entries').columns(['article_id', 'created_at', 'id']).execute();
}
