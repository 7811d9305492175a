import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgClient, pgDriver } from '../../src/storage/drivers.ts';
import { combine, prepared } from '../../src/storage/prepared.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * On PostgreSQL the batched prepared reads made together go to the server as one statement
 * (storage/prepared.ts): an uncached article page's seven reads in two round trips. A reader must get from each read
 * exactly what it would get alone, whatever the values (bigint, booleans, floats, JSON, NULL, text with quotes,
 * backslashes and emoji) and the rows' order; a read that fails must fail alone; a transaction's reads are its own.
 */
describe.skipIf(!runsOn('postgres'))('prepared reads batched on PostgreSQL', () => {
  let t: TestDatabase;
  let db: Kysely<any>;
  let statements: string[];

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    // A Kysely of its own over the test database, whose log shows what went to the server.
    statements = [];
    db = new Kysely<any>({
      dialect: new PostgresDialect({ pool: new (pgDriver().Pool)({ connectionString: t.databaseUrl, max: 4, Client: pgClient() }) }),
      log: (event) => void statements.push(event.query.sql),
    });
    await sql`create table batch_things (
      id int4 primary key, big bigint, flag boolean, ratio real, score double precision, note text, doc json, doc2 jsonb
    )`.execute(db);
    await sql`insert into batch_things values
      (1, 1764806400123, true, 0.1, 2.5e-7, ${'引号 "双" 与 \'单\'，反斜杠 \\ 和 $1、表情 🐦\n换行'}, '{"a": [1, "二"]}', '{"b": null}'),
      (2, 9007199254740991, false, -3.25, 1e300, '', '[]', '[]'),
      (3, null, null, null, null, null, null, null),
      (4, 0, true, 0, 0, '$2 '' $1', '"文本"', '42')`.execute(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await t?.cleanup();
  });

  const batched = { batched: true };
  const thing = prepared(
    (k: Kysely<any>, id: number) => k.selectFrom('batch_things').select(['id', 'big', 'flag', 'ratio', 'score', 'note', 'doc', 'doc2']).where('id', '=', id),
    batched,
  );
  const newest = prepared((k: Kysely<any>, limit: number) => k.selectFrom('batch_things').select(['id', 'big']).orderBy('id', 'desc').limit(limit), batched);
  const counted = prepared(
    (k: Kysely<any>, from: number) =>
      k
        .selectFrom('batch_things')
        .select((e) => e.fn.countAll().as('n'))
        .where('flag', 'is not', null)
        .where('id', '>=', from),
    batched,
  );
  // A literal that holds what looks like parameters: only the ones outside quotes are renumbered.
  const literal = prepared(
    (_k: Kysely<any>, id: number) => sql<{ id: number; note: string }>`select id, note from batch_things where note <> '$2 '' $1' and id >= ${id} order by id`,
    batched,
  );
  const divided = prepared((_k: Kysely<any>, by: number) => sql<{ x: number }>`select (10 / ${by}::int4)::int4 as x`, batched);
  // Fine alone, refused inside a subquery: the comment swallows what the combination puts after the read.
  const commented = prepared((_k: Kysely<any>, id: number) => sql<{ id: number }>`select id from batch_things where id = ${id} -- a note`, batched);
  // Fine alone, a syntax error inside the combination.
  const terminated = prepared((_k: Kysely<any>, id: number) => sql<{ id: number }>`select id from batch_things where id = ${id};`, batched);
  // Not a page's light read: never batched.
  const heavy = prepared((_k: Kysely<any>, id: number) => sql<{ id: number }>`select id from batch_things where id = ${id}`);

  const reads = (k: Kysely<any>) => [
    () => thing(k, 1),
    () => thing(k, 2),
    () => thing(k, 3),
    () => thing(k, 4),
    () => thing(k, 99),
    () => newest(k, 3),
    () => counted(k, 2),
    () => literal(k, 2),
  ];

  it('answers each read made together as it would alone, in one statement', async () => {
    const alone: unknown[] = [];
    for (const read of reads(db)) alone.push(await read());
    expect(alone[0]).toEqual([
      {
        id: 1,
        big: 1764806400123,
        flag: true,
        ratio: 0.1,
        score: 2.5e-7,
        note: '引号 "双" 与 \'单\'，反斜杠 \\ 和 $1、表情 🐦\n换行',
        doc: { a: [1, '二'] },
        doc2: { b: null },
      },
    ]);
    expect(alone[2]).toEqual([{ id: 3, big: null, flag: null, ratio: null, score: null, note: null, doc: null, doc2: null }]);
    expect(alone[4]).toEqual([]);
    expect(alone[5]).toEqual([
      { id: 4, big: 0 },
      { id: 3, big: null },
      { id: 2, big: 9007199254740991 },
    ]);
    expect(alone[6]).toEqual([{ n: 2 }]);
    // Row 3's NULL note is not <> anything; row 4's note is the literal's text.
    expect(alone[7]).toEqual([{ id: 2, note: '' }]);

    statements.length = 0;
    const together = await Promise.all(reads(db).map((read) => read()));
    expect(together).toEqual(alone);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/json_agg/);
    // The same combination again, bound anew (named from its third use).
    for (let i = 0; i < 4; i++) {
      statements.length = 0;
      expect(await Promise.all([thing(db, 4), thing(db, 1), newest(db, 1), heavy(db, 2)])).toEqual([alone[3], alone[0], [{ id: 4, big: 0 }], [{ id: 2 }]]);
      expect(statements).toHaveLength(2);
    }
  });

  it('fails only the read that fails, and the others answer', async () => {
    statements.length = 0;
    const results = await Promise.allSettled([thing(db, 2), divided(db, 0), divided(db, 5), newest(db, 1)]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: [expect.objectContaining({ id: 2, flag: false })] });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: '22012' } });
    expect(results[2]).toEqual({ status: 'fulfilled', value: [{ x: 2 }] });
    expect(results[3]).toEqual({ status: 'fulfilled', value: [{ id: 4, big: 0 }] });
    // The combination, then each read alone.
    expect(statements).toHaveLength(5);
  });

  it('makes alone the reads of a combination the server refuses, and does not try it again', async () => {
    statements.length = 0;
    expect(await Promise.all([terminated(db, 1), thing(db, 3)])).toEqual([[{ id: 1 }], [expect.objectContaining({ id: 3, note: null })]]);
    expect(statements).toHaveLength(3);
    statements.length = 0;
    expect(await Promise.all([terminated(db, 2), thing(db, 1)])).toEqual([[{ id: 2 }], [expect.objectContaining({ id: 1 })]]);
    expect(statements).toHaveLength(2);
  });

  it('never combines a read ending in a comment, which would swallow what follows it', async () => {
    statements.length = 0;
    expect(await Promise.all([commented(db, 1), thing(db, 3)])).toEqual([[{ id: 1 }], [expect.objectContaining({ id: 3, note: null })]]);
    expect(statements).toHaveLength(2);
  });

  it('leaves a transaction’s reads to it, one by one, seeing its own writes', async () => {
    await db
      .transaction()
      .execute(async (tx) => {
        await sql`update batch_things set big = 5 where id = 4`.execute(tx);
        statements.length = 0;
        expect(await Promise.all([newest(tx, 1), counted(tx, 1)])).toEqual([[{ id: 4, big: 5 }], [{ n: 3 }]]);
        expect(statements.some((s) => /json_agg/.test(s))).toBe(false);
        throw new Error('roll back');
      })
      .catch((err: Error) => expect(err.message).toBe('roll back'));
    expect(await newest(db, 1)).toEqual([{ id: 4, big: 0 }]);
  });
});

describe('combining reads', () => {
  it('numbers each read’s parameters after the ones before, never inside quotes', () => {
    expect(
      combine([
        { sql: 'select a from t where b = $1 and c = $2', parameters: [1, 2] },
        { sql: `select "x$1" from u where v <> '$1 '' $2' and w = $1`, parameters: ['z'] },
      ]),
    ).toBe(
      `select (select coalesce(json_agg(q), '[]'::json) from (select a from t where b = $1 and c = $2) q) as r0, ` +
        `(select coalesce(json_agg(q), '[]'::json) from (select "x$1" from u where v <> '$1 '' $2' and w = $3) q) as r1`,
    );
  });

  it('refuses what it cannot renumber: dollar quoting, a parameter the read does not bind', () => {
    expect(
      combine([
        { sql: 'select $$text$$ as a', parameters: [] },
        { sql: 'select 1', parameters: [] },
      ]),
    ).toBeUndefined();
    expect(combine([{ sql: 'select $2 as a', parameters: [1] }])).toBeUndefined();
  });
});
