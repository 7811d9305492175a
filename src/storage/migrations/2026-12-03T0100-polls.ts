import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Reader polls (云投). A poll has 2–10 options; each reader casts one ballot per poll (its choices are rows of
 * poll_choices). The public counts (poll_options.votes, polls.voters) are written in the ballot's own transaction,
 * which on PostgreSQL holds the poll's advisory lock: ballots are inserted once and never changed, so a count moves only
 * when a ballot is counted (new and not held, or released from review).
 */
export async function up(db: Kysely<unknown>, { dialect, id, pk, bigint }: MigrationContext): Promise<void> {
  const withoutRowid = dialect === 'sqlite' ? sql`without rowid` : sql``;
  await db.schema
    .createTable('polls')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('question', 'text', (c) => c.notNull())
    // 'single' or 'multiple'
    .addColumn('choice', 'text', (c) => c.notNull())
    // 'always' (before voting) or 'after_vote'
    .addColumn('results', 'text', (c) => c.notNull())
    .addColumn('closes_at', bigint)
    .addColumn('closed_at', bigint)
    .addColumn('article_id', 'integer', (c) => c.references('articles.id').onDelete('set null'))
    .addColumn('topic_id', 'integer', (c) => c.references('topics.id').onDelete('set null'))
    .addColumn('voters', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('accounts.id'))
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('polls_topic').ifNotExists().on('polls').columns(['topic_id', 'id']).execute();
  await db.schema.createIndex('polls_article').ifNotExists().on('polls').columns(['article_id', 'id']).execute();

  await db.schema
    .createTable('poll_options')
    .ifNotExists()
    .addColumn('poll_id', 'integer', (c) => c.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('votes', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('poll_options_pk', ['poll_id', 'position'])
    .modifyEnd(withoutRowid)
    .execute();

  await db.schema
    .createTable('poll_ballots')
    .ifNotExists()
    .addColumn('poll_id', 'integer', (c) => c.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('prefix_hash', 'text', (c) => c.notNull())
    .addColumn('voted_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('poll_ballots_pk', ['poll_id', 'reader_id'])
    .modifyEnd(withoutRowid)
    .execute();
  // Results over time and the CSV read a poll's ballots in time order; the review queue reads held ones only.
  await db.schema.createIndex('poll_ballots_time').ifNotExists().on('poll_ballots').columns(['poll_id', 'voted_at']).execute();
  await sql`create index if not exists poll_ballots_held on poll_ballots (poll_id, prefix_hash) where held = 1`.execute(db);

  await db.schema
    .createTable('poll_choices')
    .ifNotExists()
    .addColumn('poll_id', 'integer', (c) => c.notNull())
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('poll_choices_pk', ['poll_id', 'reader_id', 'position'])
    .addForeignKeyConstraint('poll_choices_ballot', ['poll_id', 'reader_id'], 'poll_ballots', ['poll_id', 'reader_id'], (c) => c.onDelete('cascade'))
    .modifyEnd(withoutRowid)
    .execute();
}
