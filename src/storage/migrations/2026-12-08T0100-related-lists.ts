import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Each article's 相关阅读 as its page shows it (`related_lists.items`, JSON `[[id, title, publishedAt, pinned], …]`),
 * kept per change instead of made per request: at a million articles the page's three reads for it (the computed
 * items, the editors' picks, then each listed article's title and status: 8 random seeks into a large index) were
 * the costliest part of an uncached article after its own row.
 *
 * Triggers keep it true in the same transaction as whatever changes it: a change to an article's related_items or
 * related_picks, or to the title, time, status or deletion of any article a list holds (computed or picked, shown or
 * not), sets the lists concerned to null and bumps their `stamp`. A null list is made again by the server in the
 * background (RelatedRepository.staleLists / keepLists, through the partial index), compare-and-set on the stamp, so
 * a list made from reads that a change overtook is never kept; the page reads the parts as before meanwhile. Every
 * article with items or picks gets a row (null) here, so the server makes each list once after this migration.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  // No foreign key: a cascade from a deleted article would fire the triggers below against the row it removes.
  await db.schema
    .createTable('related_lists')
    .ifNotExists()
    .addColumn('article_id', 'integer', (c) => c.primaryKey())
    .addColumn('items', 'text')
    .addColumn('stamp', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index if not exists related_lists_stale on related_lists (article_id) where items is null`.execute(db);
  // The article trigger finds the lists that pick an article.
  await db.schema.createIndex('related_picks_related').ifNotExists().on('related_picks').column('related_id').execute();

  if (dialect === 'sqlite') {
    // Lists of articles that no longer exist (a cascade from a deleted article) are not made. `where true`: SQLite's
    // parser needs a WHERE between an INSERT's SELECT and its ON CONFLICT.
    const stale = (ids: string) =>
      `insert into related_lists (article_id, items, stamp) select i.id, null, 1 from (${ids}) i join articles a on a.id = i.id where true
       on conflict (article_id) do update set items = null, stamp = related_lists.stamp + 1;`;
    for (const table of ['related_items', 'related_picks']) {
      await sql
        .raw(`create trigger if not exists ${table}_lists_insert after insert on ${table} begin ${stale('select new.article_id as id')} end`)
        .execute(db);
      await sql
        .raw(`create trigger if not exists ${table}_lists_delete after delete on ${table} begin ${stale('select old.article_id as id')} end`)
        .execute(db);
      await sql
        .raw(
          `create trigger if not exists ${table}_lists_update after update on ${table} begin ${stale('select old.article_id as id union select new.article_id')} end`,
        )
        .execute(db);
    }
    await sql
      .raw(
        `create trigger if not exists articles_related_lists after update of title, status, published_at, deleted_at on articles
         when old.title is not new.title or old.status is not new.status or old.published_at is not new.published_at
           or old.deleted_at is not new.deleted_at
         begin ${stale('select article_id as id from related_items where related_id = new.id union select article_id from related_picks where related_id = new.id')} end`,
      )
      .execute(db);
    await sql
      .raw('create trigger if not exists articles_related_lists_delete after delete on articles begin delete from related_lists where article_id = old.id; end')
      .execute(db);
  } else {
    // Statement triggers with transition tables: a bulk write of thousands of items marks their lists in one statement.
    // Lists of articles that no longer exist (a cascade from a deleted article) are not made.
    await sql
      .raw(`create or replace function related_lists_stale(ids integer[]) returns void language sql as $$
        insert into related_lists (article_id, items, stamp)
          select distinct a.id, null::text, 1 from unnest(ids) as i(id) join articles a on a.id = i.id
        on conflict (article_id) do update set items = null, stamp = related_lists.stamp + 1
      $$`)
      .execute(db);
    await sql
      .raw(`create or replace function related_lists_parts_changed() returns trigger language plpgsql as $$
        begin
          if tg_op = 'INSERT' then
            perform related_lists_stale(array(select article_id from new_rows));
          elsif tg_op = 'DELETE' then
            perform related_lists_stale(array(select article_id from old_rows));
          else
            perform related_lists_stale(array(select article_id from new_rows union select article_id from old_rows));
          end if;
          return null;
        end $$`)
      .execute(db);
    for (const table of ['related_items', 'related_picks']) {
      await sql.raw(`drop trigger if exists ${table}_lists_insert on ${table}`).execute(db);
      await sql
        .raw(
          `create trigger ${table}_lists_insert after insert on ${table} referencing new table as new_rows for each statement execute function related_lists_parts_changed()`,
        )
        .execute(db);
      await sql.raw(`drop trigger if exists ${table}_lists_delete on ${table}`).execute(db);
      await sql
        .raw(
          `create trigger ${table}_lists_delete after delete on ${table} referencing old table as old_rows for each statement execute function related_lists_parts_changed()`,
        )
        .execute(db);
      await sql.raw(`drop trigger if exists ${table}_lists_update on ${table}`).execute(db);
      await sql
        .raw(
          `create trigger ${table}_lists_update after update on ${table} referencing old table as old_rows new table as new_rows for each statement execute function related_lists_parts_changed()`,
        )
        .execute(db);
    }
    await sql
      .raw(`create or replace function articles_related_lists() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' then
            delete from related_lists where article_id = old.id;
          elsif old.title is distinct from new.title or old.status is distinct from new.status
            or old.published_at is distinct from new.published_at or old.deleted_at is distinct from new.deleted_at then
            perform related_lists_stale(array(select article_id from related_items where related_id = new.id
              union select article_id from related_picks where related_id = new.id));
          end if;
          return null;
        end $$`)
      .execute(db);
    await sql.raw('drop trigger if exists articles_related_lists on articles').execute(db);
    await sql
      .raw(
        'create trigger articles_related_lists after update of title, status, published_at, deleted_at or delete on articles for each row execute function articles_related_lists()',
      )
      .execute(db);
  }

  // Every article with a list to show gets its row, to be made by the server.
  await sql`insert into related_lists (article_id, items, stamp)
    select article_id, null, 0 from (select article_id from related_items union select article_id from related_picks) l where true
    on conflict (article_id) do nothing`.execute(db);
}
