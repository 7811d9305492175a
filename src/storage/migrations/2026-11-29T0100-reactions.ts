import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Mood votes and reads. Votes are rows, one per (article, reader); the public counts and the hourly buckets the
 * rankings read are kept by triggers in the statement that writes the row, so no code path can make them drift.
 * Held votes (a burst from one address prefix, awaiting review) are rows that the counts leave out.
 */
export async function up(db: Kysely<unknown>, { dialect, bigint }: MigrationContext): Promise<void> {
  // Tables keyed by their natural key only: on SQLite they need no rowid.
  const withoutRowid = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('reaction_votes')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('mood', 'text', (c) => c.notNull())
    .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('prefix_hash', 'text', (c) => c.notNull())
    .addColumn('voted_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('reaction_votes_pk', ['article_id', 'reader_id'])
    .modifyEnd(withoutRowid)
    .execute();
  // The review queue reads only held votes, which are few.
  await sql`create index if not exists reaction_votes_held on reaction_votes (article_id, prefix_hash) where held = 1`.execute(db);

  await db.schema
    .createTable('reaction_counts')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('mood', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('reaction_counts_pk', ['article_id', 'mood'])
    .modifyEnd(withoutRowid)
    .execute();

  // Public votes by the hour they were cast: a ranking window sums whole hours instead of scanning votes.
  await db.schema
    .createTable('reaction_buckets')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('mood', 'text', (c) => c.notNull())
    .addColumn('hour', bigint, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('reaction_buckets_pk', ['article_id', 'mood', 'hour'])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema.createIndex('reaction_buckets_ranking').ifNotExists().on('reaction_buckets').columns(['mood', 'hour', 'article_id', 'count']).execute();

  await db.schema
    .createTable('view_buckets')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('hour', bigint, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('view_buckets_pk', ['article_id', 'hour'])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema.createIndex('view_buckets_ranking').ifNotExists().on('view_buckets').columns(['hour', 'article_id', 'count']).execute();

  if (dialect === 'sqlite') await sqliteTriggers(db);
  else await postgresTriggers(db);
}

const HOUR = 3_600_000;

async function sqliteTriggers(db: Kysely<unknown>): Promise<void> {
  const add = (row: 'new' | 'old') =>
    sql.raw(`
    insert into reaction_counts (article_id, mood, count) select ${row}.article_id, ${row}.mood, 1 where ${row}.held = 0
      on conflict (article_id, mood) do update set count = count + 1;
    insert into reaction_buckets (article_id, mood, hour, count)
      select ${row}.article_id, ${row}.mood, ${row}.voted_at - ${row}.voted_at % ${HOUR}, 1 where ${row}.held = 0
      on conflict (article_id, mood, hour) do update set count = count + 1;`);
  // Decrements only touch existing rows: a missing row is drift for the check to report, never a negative insert.
  const remove = (row: 'new' | 'old') =>
    sql.raw(`
    update reaction_counts set count = count - 1 where ${row}.held = 0 and article_id = ${row}.article_id and mood = ${row}.mood;
    update reaction_buckets set count = count - 1
      where ${row}.held = 0 and article_id = ${row}.article_id and mood = ${row}.mood and hour = ${row}.voted_at - ${row}.voted_at % ${HOUR};`);
  await sql`create trigger if not exists reaction_votes_counted_insert after insert on reaction_votes begin ${add('new')} end`.execute(db);
  await sql`create trigger if not exists reaction_votes_counted_update after update of mood, held, voted_at on reaction_votes
    begin ${remove('old')} ${add('new')} end`.execute(db);
  await sql`create trigger if not exists reaction_votes_counted_delete after delete on reaction_votes begin ${remove('old')} end`.execute(db);
}

async function postgresTriggers(db: Kysely<unknown>): Promise<void> {
  // Row locks are always taken in the order (mood, counts before bucket), so concurrent changes never deadlock.
  await sql
    .raw(
      `create or replace function reaction_tally(a integer, m text, at bigint, delta integer) returns void language plpgsql as $$
begin
  if delta > 0 then
    insert into reaction_counts (article_id, mood, count) values (a, m, delta)
      on conflict (article_id, mood) do update set count = reaction_counts.count + delta;
    insert into reaction_buckets (article_id, mood, hour, count) values (a, m, at - at % ${HOUR}, delta)
      on conflict (article_id, mood, hour) do update set count = reaction_buckets.count + delta;
  else
    update reaction_counts set count = count + delta where article_id = a and mood = m;
    update reaction_buckets set count = count + delta where article_id = a and mood = m and hour = at - at % ${HOUR};
  end if;
end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create or replace function reaction_votes_counted() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    if new.held = 0 then perform reaction_tally(new.article_id, new.mood, new.voted_at, 1); end if;
  elsif tg_op = 'DELETE' then
    if old.held = 0 then perform reaction_tally(old.article_id, old.mood, old.voted_at, -1); end if;
  elsif old.mood <= new.mood then
    if old.held = 0 then perform reaction_tally(old.article_id, old.mood, old.voted_at, -1); end if;
    if new.held = 0 then perform reaction_tally(new.article_id, new.mood, new.voted_at, 1); end if;
  else
    if new.held = 0 then perform reaction_tally(new.article_id, new.mood, new.voted_at, 1); end if;
    if old.held = 0 then perform reaction_tally(old.article_id, old.mood, old.voted_at, -1); end if;
  end if;
  return null;
end $$`,
    )
    .execute(db);
  await sql`drop trigger if exists reaction_votes_counted on reaction_votes`.execute(db);
  await sql`create trigger reaction_votes_counted after insert or delete or update of mood, held, voted_at on reaction_votes
    for each row execute function reaction_votes_counted()`.execute(db);
}
