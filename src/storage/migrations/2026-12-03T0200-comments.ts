import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Readers' comments (留言, #15) and the newsroom's sensitive-word list (敏感词). Comments wait in a queue (`pending`)
 * unless their channel is post-moderated; a moderator's decision is a compare-and-set on `status`, so of two acting
 * at once one decides. `dedupe_key` makes a retried post the same comment (the key is cleared once the retry window
 * has passed). Likes are one row per reader (`comment_likes`' primary key) and `likes` counts them in the same
 * transaction. Readers are kept as their cookie's random id and addresses only as HMACs (like the mood votes).
 */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('moderation_words')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('word', 'text', (c) => c.notNull())
    // The word folded as texts are (NFKC, simplified, lower case, no separators): one entry per key.
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('comment_settings')
    .ifNotExists()
    .addColumn('channel_id', 'integer', (c) => c.primaryKey().references('channels.id').onDelete('cascade'))
    // 'pre' (先审后发, the default without a row) or 'post' (shown at once, removed after review).
    .addColumn('moderation', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('comments')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('nickname', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    // pending | approved | rejected
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('address_hash', 'text', (c) => c.notNull())
    // HMAC of the address's /24 (IPv4) or /48 (IPv6): what a prefix ban names.
    .addColumn('prefix_hash', 'text', (c) => c.notNull())
    // Review words found in it, a JSON array ('[]' for none): why it waits even in a post-moderated channel.
    .addColumn('flags', 'text', (c) => c.notNull())
    .addColumn('likes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('decided_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('decided_at', bigint)
    .addColumn('reply', 'text')
    .addColumn('reply_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('reply_at', bigint)
    .execute();
  // An article's approved comments, newest first; the queue by status, oldest first.
  await db.schema.createIndex('comments_article').ifNotExists().on('comments').columns(['article_id', 'status', 'id']).execute();
  await db.schema.createIndex('comments_status').ifNotExists().on('comments').columns(['status', 'id']).execute();

  await db.schema
    .createTable('comment_likes')
    .ifNotExists()
    .addColumn('comment_id', 'integer', (c) => c.notNull().references('comments.id').onDelete('cascade'))
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('comment_likes_pk', ['comment_id', 'reader_id'])
    .execute();

  await db.schema
    .createTable('comment_bans')
    .ifNotExists()
    .addColumn('id', id, pk)
    // 'reader' (value: the cookie's reader id) or 'prefix' (value: the prefix HMAC).
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    // What the moderator sees: the comment it was made from (nickname, time) or the prefix as typed.
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('comment_id', 'integer', (c) => c.references('comments.id').onDelete('set null'))
    .addColumn('created_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addUniqueConstraint('comment_bans_value', ['kind', 'value'])
    .execute();
}
