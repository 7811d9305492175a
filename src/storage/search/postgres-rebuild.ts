import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../schema.ts';

/**
 * A PostgreSQL rebuild writes a new table beside the index and puts it in the index's place at the end, instead of
 * rewriting the index's rows in place. In place, every row was updated under the GIN index: each document left a dead
 * row and its old postings behind (a rebuild of 300,000 articles took the index from 3.2 to 5.6 GB until a vacuum,
 * and GIN's posting lists stay swollen), every insert went through GIN's pending list and a foreign-key check, and
 * what PostgreSQL spent on a document was more than the app spent making it. The new table takes plain inserts with
 * no GIN index; the index is built at the end by CREATE INDEX (sorted in memory, smaller than one grown by inserts),
 * and the foreign key is validated in one pass.
 *
 * Searches use the old table until the swap. Every write to it meanwhile (the outbox's puts and removes, the
 * background fill, an import) is noted by a trigger in a log table, by article id; the swap, holding the old table
 * exclusively, copies those articles' rows from it (or their absence) into the new one. The old table is then the
 * authority for them: a write still pending at the swap lands in the new table afterwards, as any write does. A run
 * that stops leaves the new table, its log and the trigger in place, so a resumed run goes on from its last article.
 */

export interface Shadow {
  /** The index's table, and the new one being written. */
  live: string;
  next: string;
}

export const shadowOf = (table: string): Shadow => ({ live: table, next: `${table}_next` });

const ident = (name: string) => sql.id(name);

/** Whether both tables exist. */
async function bothExist(db: Kysely<DB>, a: string, b: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select to_regclass(${a}) is not null and to_regclass(${b}) is not null as ok`.execute(db);
  return rows[0]?.ok === true;
}

/** What the rebuild copies onto the new table from the index's own (so from its migrations): name and definition. */
interface Copied {
  name: string;
  definition: string;
}

/** The new table's name for one of the index's indexes or constraints until the swap: search_docs_terms → search_docs_next_terms. */
const interim = ({ live, next }: Shadow, name: string) => (name.startsWith(live) ? `${next}${name.slice(live.length)}` : `${next}_${name}`);

/** The index table's secondary indexes (not its primary key's) with their definitions, and its foreign keys. */
async function definitions(db: Kysely<DB>, live: string): Promise<{ indexes: Copied[]; keys: Copied[] }> {
  const { rows: indexes } = await sql<Copied>`select i.relname as name, pg_get_indexdef(x.indexrelid) as definition
    from pg_index x join pg_class i on i.oid = x.indexrelid
    where x.indrelid = ${live}::regclass and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)
    order by i.relname`.execute(db);
  const { rows: keys } = await sql<Copied>`select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
    where conrelid = ${live}::regclass and contype = 'f' order by conname`.execute(db);
  return { indexes, keys };
}

/**
 * Makes the new table (or, resuming, finds the one a stopped run left): the index's columns, compression and storage,
 * its primary key, no other index and no foreign key yet; and the trigger noting writes to the index's table.
 * Returns the article id to go on after: the last one the kept table holds (only the rebuild writes it, in id order,
 * so that is where the stopped run got to, whatever a checkpoint says), or 0 for a new table.
 */
export async function openShadow(db: Kysely<DB>, { live, next }: Shadow, resume: boolean): Promise<number> {
  if (resume && (await bothExist(db, next, `${next}_log`))) {
    const { rows } = await sql<{ last: number | null }>`select max(article_id) as last from ${ident(next)}`.execute(db);
    return Number(rows[0]?.last ?? 0);
  }
  await db.transaction().execute(async (tx) => {
    await sql`drop table if exists ${ident(next)}, ${ident(`${next}_log`)}`.execute(tx);
    await sql`create table ${ident(next)} (like ${ident(live)} including all excluding indexes)`.execute(tx);
    await sql`alter table ${ident(next)} add constraint ${ident(`${next}_pkey`)} primary key (article_id)`.execute(tx);
    await sql`create table ${ident(`${next}_log`)} (article_id integer not null)`.execute(tx);
    await sql
      .raw(
        `create or replace function ${next}_note() returns trigger language plpgsql as $$
        begin
          insert into ${next}_log (article_id) values (coalesce(new.article_id, old.article_id));
          return null;
        end $$`,
      )
      .execute(tx);
    await sameOwnerAndGrants(tx, live, next);
    await sql`drop trigger if exists ${ident(`${next}_note`)} on ${ident(live)}`.execute(tx);
    await sql.raw(`create trigger ${next}_note after insert or update or delete on ${live} for each row execute function ${next}_note()`).execute(tx);
  });
  return 0;
}

/**
 * Gives the new table the index's own indexes and foreign keys, leaves out what is no longer in the index's scope,
 * and swaps it in. Returns how many documents of the old table the new one does not hold (stale entries removed).
 */
export async function closeShadow(db: Kysely<DB>, shadow: Shadow, inScope: (alias: string) => RawBuilder<unknown>): Promise<number> {
  const { live, next } = shadow;
  const log = `${next}_log`;
  // The index's own indexes and foreign keys, as its migrations made them, built on the new table now that it is full.
  const { indexes, keys } = await definitions(db, live);
  for (const i of indexes) {
    // A failed CREATE INDEX of a stopped run left nothing; one that finished is made again, the same.
    await sql`drop index if exists ${ident(interim(shadow, i.name))}`.execute(db);
    await db.transaction().execute(async (tx) => {
      // GIN builds in memory and writes sorted posting lists; a larger budget means fewer, longer runs.
      await sql`select set_config('maintenance_work_mem', '256MB', true) where pg_size_bytes(current_setting('maintenance_work_mem')) < 268435456`.execute(tx);
      await sql.raw(indexOn(i, interim(shadow, i.name), next)).execute(tx);
    });
  }
  // From here an article's deletion reaches the new table by the foreign key; what went before it is checked next.
  for (const k of keys) {
    await sql`alter table ${ident(next)} drop constraint if exists ${ident(interim(shadow, k.name))}`.execute(db);
    await sql.raw(`alter table ${next} add constraint ${interim(shadow, k.name)} ${k.definition} not valid`).execute(db);
  }
  await sql`delete from ${ident(next)} d where not exists (select 1 from articles a where a.id = d.article_id and ${inScope('a')})`.execute(db);
  for (const k of keys) await sql`alter table ${ident(next)} validate constraint ${ident(interim(shadow, k.name))}`.execute(db);
  await sql`vacuum (analyze) ${ident(next)}`.execute(db);
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${ident(live)} d
    where not exists (select 1 from ${ident(next)} n where n.article_id = d.article_id)`.execute(db);
  await swapping(() =>
    db.transaction().execute(async (tx) => {
      // Searches finish first; the ones that come meanwhile wait, then read the new table. Both tables at once: an
      // article's deletion writes both (by their foreign keys), and the swap would otherwise wait for it on one while
      // holding the other.
      await sql`select set_config('lock_timeout', '10s', true)`.execute(tx);
      await sql`lock table ${ident(live)}, ${ident(next)} in access exclusive mode`.execute(tx);
      await sql`insert into ${ident(next)} (article_id, published_at, words, grams, head)
      select d.article_id, d.published_at, d.words, d.grams, d.head from ${ident(live)} d
      where d.article_id in (select article_id from ${ident(log)})
      on conflict (article_id) do update set published_at = excluded.published_at, words = excluded.words, grams = excluded.grams, head = excluded.head`.execute(
        tx,
      );
      await sql`delete from ${ident(next)} n where n.article_id in (select article_id from ${ident(log)})
      and not exists (select 1 from ${ident(live)} d where d.article_id = n.article_id)`.execute(tx);
      await sql`drop table ${ident(live)}, ${ident(log)}`.execute(tx);
      await sql.raw(`drop function ${next}_note()`).execute(tx);
      await sql`alter table ${ident(next)} rename to ${ident(live)}`.execute(tx);
      // The migrations' names back: `settle` and later migrations name them.
      await sql`alter table ${ident(live)} rename constraint ${ident(`${next}_pkey`)} to ${ident(`${live}_pkey`)}`.execute(tx);
      for (const k of keys) await sql`alter table ${ident(live)} rename constraint ${ident(interim(shadow, k.name))} to ${ident(k.name)}`.execute(tx);
      for (const i of indexes) await sql`alter index ${ident(interim(shadow, i.name))} rename to ${ident(i.name)}`.execute(tx);
    }),
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The swap, again when it lost a deadlock (a write taking the two tables in the other order) or waited too long for
 * its locks (a long transaction on the index: searches queue behind the swap's request meanwhile, so it gives up and
 * lets them through). Nothing is changed by a swap that failed.
 */
async function swapping(swap: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await swap();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || (code !== '40P01' && code !== '55P03')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * The new tables belong to the index's owner and carry its grants: a reindex run by another role (an operator as the
 * database's superuser) must not leave the server a table it cannot read, or a log its trigger cannot write.
 */
async function sameOwnerAndGrants(db: Kysely<DB>, live: string, next: string): Promise<void> {
  const { rows: owners } = await sql<{ owner: string; me: string }>`select pg_get_userbyid(c.relowner) as owner, current_user as me
    from pg_class c where c.oid = ${live}::regclass`.execute(db);
  const owner = owners[0] && owners[0].owner !== owners[0].me ? owners[0].owner : undefined;
  const { rows: grants } = await sql<{ privilege: string; grantee: string }>`select a.privilege_type as privilege,
      case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
    from pg_class c, aclexplode(c.relacl) a where c.oid = ${live}::regclass and a.grantee <> c.relowner`.execute(db);
  for (const table of [next, `${next}_log`]) {
    if (owner) await sql`alter table ${ident(table)} owner to ${ident(owner)}`.execute(db);
    for (const g of grants) await sql.raw(`grant ${g.privilege} on ${table} to ${g.grantee}`).execute(db);
  }
  if (owner) await sql`alter function ${ident(`${next}_note`)}() owner to ${ident(owner)}`.execute(db);
}

/** An index's definition (pg_get_indexdef: `CREATE INDEX name ON schema.table USING …`) under another name, on another table. */
function indexOn(index: Copied, name: string, table: string): string {
  const rest = /^CREATE (UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (USING .*)$/s.exec(index.definition);
  if (!rest) throw new Error(`Unexpected index definition: ${index.definition}`);
  return `CREATE ${rest[1] ?? ''}INDEX ${name} ON ${table} ${rest[2]}`;
}
