import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.ts';
import { pgRoundTrips } from '../../src/storage/drivers.ts';
import { prepared } from '../../src/storage/prepared.ts';
import { writeBehind } from '../../src/storage/write-behind.ts';
import { openTestDatabase, runsOn, STORES, type TestDatabase } from '../support/stores.ts';

/**
 * Writes whose answer nobody reads (an audit entry, a revision, an outbox row) travel on PostgreSQL with the next
 * statement or the commit, their values written into the text as literals (drivers.ts, pgClient): a create through the
 * API went from 14 round trips to 8. What the database holds afterwards must be exactly what statements sent one by
 * one would have left — every value byte for byte, nothing of a transaction that rolled back or failed.
 */

/** Values a literal must carry exactly: quotes, backslashes, a parameter's look-alike, comments, astral characters. */
const HOSTILE = [
  "it's",
  "''",
  'back\\slash',
  "\\'; drop table kept; --",
  "E'x\\'",
  '$1 and $2',
  '-- not a comment',
  '/* not a comment */',
  '砚台新闻 · 繁體 · 😀',
  '"quoted"',
  'line\nbreak\ttab',
  '',
];

interface Kept {
  id: number;
  v: string | null;
  n: number | null;
  f: number | null;
  j: unknown;
  a: number[] | null;
}

describe.each(STORES)('writes kept back (%s)', (kind) => {
  let t: TestDatabase;
  let db: Kysely<any>;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrated: false });
    db = t.database.db as unknown as Kysely<any>;
    await sql
      .raw(
        kind === 'postgres'
          ? "create table kept (id integer primary key, v text, n bigint, f float8, j jsonb, a int4[], check (v is null or v <> 'refused'))"
          : "create table kept (id integer primary key, v text, n integer, f real, j text, a text, check (v is null or v <> 'refused'))",
      )
      .execute(db);
  });
  afterAll(() => t?.cleanup());

  const insert = (d: Kysely<any>, row: Partial<Kept> & { id: number }) =>
    writeBehind(d, d.insertInto('kept').values(kind === 'postgres' ? row : { ...row, j: row.j === undefined ? null : JSON.stringify(row.j), a: null }));
  const rows = async (): Promise<Kept[]> => (await db.selectFrom('kept').selectAll().orderBy('id').execute()) as Kept[];
  const clear = () => db.deleteFrom('kept').execute();

  it('keeps every value exactly, and a read in the transaction sees the writes before it', async () => {
    await clear();
    const sent: Kept[] = HOSTILE.map((v, i) => ({
      id: i + 1,
      v,
      n: i % 2 ? 9007199254740991 - i : -1 - i,
      f: i === 0 ? null : 0.1 * i,
      j: kind === 'postgres' ? { text: v, list: [v, 1, null], nested: { quote: "'", backslash: '\\' } } : null,
      a: kind === 'postgres' ? [i, -1 - i] : null,
    }));
    // Past the size kept back (256 K characters): sent on its own, still in order.
    sent.push({ id: 100, v: "大'\\".repeat(100_000), n: null, f: null, j: null, a: null });
    const seen = await db.transaction().execute(async (tx) => {
      for (const row of sent.slice(0, 6)) await insert(tx, row);
      const counted = Number((await sql<{ n: number }>`select count(*) as n from kept`.execute(tx)).rows[0]!.n);
      for (const row of sent.slice(6)) await insert(tx, row);
      return counted;
    });
    expect(seen).toBe(6);
    const stored = await rows();
    expect(stored.map((r) => r.id)).toEqual(sent.map((r) => r.id));
    for (const [i, r] of stored.entries()) {
      expect(r.v).toBe(sent[i]!.v);
      expect(Number(r.n ?? Number.NaN)).toEqual(Number(sent[i]!.n ?? Number.NaN));
      if (kind === 'postgres') {
        expect(r.f).toBe(sent[i]!.f);
        expect(r.j).toEqual(sent[i]!.j);
        expect(r.a).toEqual(sent[i]!.a);
      }
    }
  });

  it('leaves nothing of a transaction that rolled back', async () => {
    await clear();
    await expect(
      db.transaction().execute(async (tx) => {
        await insert(tx, { id: 1, v: 'gone' });
        await insert(tx, { id: 2, v: 'gone too' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await rows()).toEqual([]);
  });

  it('fails the transaction at its commit when a write kept back is refused, and keeps none of it', async () => {
    await clear();
    await expect(
      db.transaction().execute(async (tx) => {
        await insert(tx, { id: 1, v: 'fine' });
        await insert(tx, { id: 2, v: 'refused' });
      }),
    ).rejects.toThrow(/check/i);
    expect(await rows()).toEqual([]);
    // The connection is whole again: the next transaction writes.
    await db.transaction().execute((tx) => insert(tx, { id: 3, v: 'after' }));
    expect((await rows()).map((r) => r.v)).toEqual(['after']);
  });

  it('writes at once outside a transaction', async () => {
    await clear();
    await insert(db, { id: 1, v: 'now' });
    if (kind === 'postgres') {
      const other = new pg.Client({ connectionString: t.databaseUrl });
      await other.connect();
      try {
        expect((await other.query('select v from kept')).rows).toEqual([{ v: 'now' }]);
      } finally {
        await other.end();
      }
    } else expect((await rows()).map((r) => r.v)).toEqual(['now']);
  });

  it.skipIf(!runsOn('postgres') || kind !== 'postgres')('sends a transaction in as few round trips as it has answers to wait for', async () => {
    await clear();
    let before = pgRoundTrips();
    await db.transaction().execute(async () => {});
    expect(pgRoundTrips() - before).toBe(0); // nothing begun on the server, nothing to end

    before = pgRoundTrips();
    await db.transaction().execute(async (tx) => {
      await insert(tx, { id: 1, v: 'a' });
      await insert(tx, { id: 2, v: 'b' });
    });
    expect(pgRoundTrips() - before).toBe(1); // begin, both writes and the commit

    before = pgRoundTrips();
    const read = await db.transaction().execute(async (tx) => {
      const first = await tx.selectFrom('kept').select('v').where('id', '=', 1).executeTakeFirst();
      await insert(tx, { id: 3, v: 'c' });
      await tx.updateTable('kept').set({ v: 'A' }).where('id', '=', 1).execute();
      await insert(tx, { id: 4, v: 'd' });
      return first?.v;
    });
    expect(read).toBe('a');
    // The begin with the read, the first write with the update, the second with the commit.
    expect(pgRoundTrips() - before).toBe(3);
    expect((await rows()).map((r) => r.v)).toEqual(['A', 'b', 'c', 'd']);
  });

  it.skipIf(!runsOn('postgres') || kind !== 'postgres')('runs a prepared read that carries writes kept back as its named statement, values exact', async () => {
    // One connection, so that its named statements and their plans can be looked at.
    const one = openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir, poolSize: 1 });
    try {
      await clear();
      const d = one.db as unknown as Kysely<any>;
      const byValue = prepared((q: Kysely<any>, v: string) => q.selectFrom('kept').select(['id', 'v']).where('v', '=', v));
      const executions = async () =>
        Number(
          (
            await sql<{
              n: number;
            }>`select coalesce(sum(generic_plans + custom_plans), 0) as n from pg_prepared_statements where statement like '%"kept"%'`.execute(d)
          ).rows[0]!.n,
        );
      const rounds: number[] = [];
      for (const [i, v] of HOSTILE.entries()) {
        const before = pgRoundTrips();
        const found = await d.transaction().execute(async (tx) => {
          await insert(tx, { id: i + 1, v });
          return byValue(tx, v);
        });
        rounds.push(pgRoundTrips() - before);
        expect(found).toEqual([{ id: i + 1, v }]);
      }
      // The first time alone after the begin and the write, to be parsed; then with them, and with the commit.
      expect(rounds).toEqual([3, ...HOSTILE.slice(1).map(() => 2)]);
      // Each run an execution of the named statement (its plan kept), not a text planned afresh.
      expect(await executions()).toBe(HOSTILE.length);
    } finally {
      await one.close();
    }
  });

  it.skipIf(!runsOn('postgres') || kind !== 'postgres')('writes no literal for a client set to speak another encoding', async () => {
    // In GBK a backslash's byte can end another character: nothing is written into a text there, every statement
    // goes as it came.
    const gbk = openDatabase({ databaseUrl: `${t.databaseUrl}?client_encoding=GBK`, dataDir: t.dataDir, poolSize: 1 });
    try {
      await clear();
      const before = pgRoundTrips();
      await gbk.db.transaction().execute(async (tx) => {
        await insert(tx as unknown as Kysely<any>, { id: 1, v: 'x\\' });
        await insert(tx as unknown as Kysely<any>, { id: 2, v: "y'" });
      });
      expect(pgRoundTrips() - before).toBe(4); // begin, two inserts, commit
      expect((await rows()).map((r) => r.v)).toEqual(['x\\', "y'"]);
    } finally {
      await gbk.close();
    }
  });
});
