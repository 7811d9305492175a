import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/** The content model, accounts and the newsroom's history. */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('channels')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'integer', (c) => c.references('channels.id'))
    .addColumn('path', 'text', (c) => c.notNull().unique())
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('accounts')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('disabled_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('last_seen_at', bigint, (c) => c.notNull())
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_account').ifNotExists().on('sessions').column('account_id').execute();

  await db.schema
    .createTable('api_tokens')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('last_used_at', bigint)
    .addColumn('revoked_at', bigint)
    .execute();

  await db.schema
    .createTable('articles')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('subtitle', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id'))
    .addColumn('source', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('byline', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('editor', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('cover', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('published_at', bigint)
    .addColumn('scheduled_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .addColumn('author_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  // The public feed walks (published_at, id) backwards; channel pages do the same within a channel.
  await db.schema.createIndex('articles_feed').ifNotExists().on('articles').columns(['status', 'published_at', 'id']).execute();
  await db.schema.createIndex('articles_channel_feed').ifNotExists().on('articles').columns(['channel_id', 'status', 'published_at', 'id']).execute();
  await db.schema.createIndex('articles_scheduled').ifNotExists().on('articles').columns(['status', 'scheduled_at']).execute();
  await db.schema.createIndex('articles_author').ifNotExists().on('articles').columns(['author_id', 'updated_at']).execute();

  await db.schema
    .createTable('tags')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable('article_tags')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('tag_id', 'integer', (c) => c.notNull().references('tags.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('article_tags_pk', ['article_id', 'tag_id'])
    .execute();
  await db.schema.createIndex('article_tags_tag').ifNotExists().on('article_tags').column('tag_id').execute();

  await db.schema
    .createTable('topics')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('cover', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('topic_articles')
    .ifNotExists()
    .addColumn('topic_id', 'integer', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('topic_articles_pk', ['topic_id', 'article_id'])
    .execute();

  await db.schema
    .createTable('revisions')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addUniqueConstraint('revisions_article_number', ['article_id', 'number'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('at', bigint, (c) => c.notNull())
    .addColumn('actor_id', 'integer', (c) => c.references('accounts.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('audit_events_at').ifNotExists().on('audit_events').column('at').execute();

  await db.schema
    .createTable('login_failures')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_failures_key').ifNotExists().on('login_failures').columns(['username', 'address', 'at']).execute();
}
