import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Related reading and near-duplicate detection: each article's heaviest terms and MinHash fingerprint (with its
 * band keys), the related list computed at publish time, and the editors' pins and exclusions.
 */
export async function up(db: Kysely<unknown>, { dialect, bigint }: MigrationContext): Promise<void> {
  const withoutRowid = dialect === 'sqlite' ? sql`without rowid` : sql``;
  const float = dialect === 'sqlite' ? 'real' : 'double precision';

  // Keyed by term first: finding the articles that share a new article's terms is the hot query.
  await db.schema
    .createTable('related_terms')
    .ifNotExists()
    .addColumn('term', 'text', (c) => c.notNull())
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('weight', float, (c) => c.notNull())
    .addPrimaryKeyConstraint('related_terms_pk', ['term', 'article_id'])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema.createIndex('related_terms_article').ifNotExists().on('related_terms').column('article_id').execute();

  await db.schema
    .createTable('related_fingerprints')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.primaryKey().references('articles.id').onDelete('cascade'))
    .addColumn('source_hash', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('shingles', 'integer', (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('related_buckets')
    .ifNotExists()
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('related_buckets_pk', ['bucket', 'article_id'])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema.createIndex('related_buckets_article').ifNotExists().on('related_buckets').column('article_id').execute();

  await db.schema
    .createTable('related_items')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('related_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('score', float, (c) => c.notNull())
    .addPrimaryKeyConstraint('related_items_pk', ['article_id', 'related_id'])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema.createIndex('related_items_related').ifNotExists().on('related_items').column('related_id').execute();

  await db.schema
    .createTable('related_picks')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('related_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('related_picks_pk', ['article_id', 'related_id'])
    .modifyEnd(withoutRowid)
    .execute();
}
