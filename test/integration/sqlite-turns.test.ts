import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.ts';
import { SLOW_MS } from '../../src/storage/sqlite-turns.ts';
import { openTestDatabase, type TestDatabase } from '../support/stores.ts';

/**
 * SQLite's statements run synchronously: a slow one inside a transaction is followed by a turn of the event loop, so
 * what waited meanwhile (a reader's request for a cached page) is served before the transaction goes on.
 */
describe('SQLite: a slow statement lets the event loop turn', () => {
  let test: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    test = await openTestDatabase('sqlite');
    database = test.database;
  });
  afterAll(() => test.cleanup());

  /** A statement that keeps SQLite busy for longer than SLOW_MS (counting in a recursive CTE). */
  const slow = sql<{ n: number }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) as n from c`;

  it('serves what was waiting between a slow statement and the next, inside one transaction', async () => {
    const order: string[] = [];
    await database.db.transaction().execute(async (trx) => {
      const started = performance.now();
      // Waiting since before the statement, as a request that arrived meanwhile would be.
      setImmediate(() => order.push('waiting'));
      const { rows } = await slow.execute(trx);
      expect(rows[0]!.n).toBe(3_000_000);
      expect(performance.now() - started).toBeGreaterThanOrEqual(SLOW_MS);
      order.push('statement');
      await sql`select 1`.execute(trx);
      order.push('next');
    });
    expect(order).toEqual(['waiting', 'statement', 'next']);
  });

  it('keeps quick statements back to back (no turn after each)', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('waiting'));
    for (let i = 0; i < 5; i++) {
      await sql`select ${i} as i`.execute(database.db);
      order.push(`q${i}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'waiting']);
  });

  it('takes the write lock when a transaction begins: another process cannot commit between its read and its write', async () => {
    await sql`create table if not exists turns_probe (n integer)`.execute(database.db);
    // Another process's connection to the same file, which gives up at once when the file is locked.
    const other = new SQLite(database.sqlite!.name);
    other.pragma('busy_timeout = 0');
    try {
      const outcome = await database.db.transaction().execute(async (trx) => {
        await sql`select count(*) from turns_probe`.execute(trx);
        let refused = '';
        try {
          other.prepare('insert into turns_probe (n) values (1)').run();
        } catch (err) {
          refused = (err as { code?: string }).code ?? '';
        }
        // With a deferred BEGIN the other insert would have committed, and this write failed with SQLITE_BUSY_SNAPSHOT.
        await sql`insert into turns_probe (n) values (2)`.execute(trx);
        return refused;
      });
      expect(outcome).toBe('SQLITE_BUSY');
      expect(other.prepare('select n from turns_probe').pluck().all()).toEqual([2]);
      // A read-only transaction (an export's snapshot) takes no write lock: the other process writes meanwhile.
      await database.db
        .transaction()
        .setAccessMode('read only')
        .execute(async (trx) => {
          await sql`select count(*) from turns_probe`.execute(trx);
          other.prepare('insert into turns_probe (n) values (3)').run();
        });
      expect(other.prepare('select n from turns_probe order by n').pluck().all()).toEqual([2, 3]);
    } finally {
      other.close();
    }
  });

  describe('the reads of one stretch of the loop share a snapshot', () => {
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from snapshot_probe`.execute(database.db)).rows[0]!.n);

    beforeAll(async () => {
      await sql`create table if not exists snapshot_probe (n integer)`.execute(database.db);
    });

    it('ends it at the turn: no transaction stays open, and a checkpoint copies the whole log', async () => {
      await count();
      await count();
      expect(database.sqlite!.inTransaction).toBe(true);
      await nextTurn();
      expect(database.sqlite!.inTransaction).toBe(false);
      // Another process writes, then checkpoints: an open read transaction here would hold the checkpoint back.
      const other = new SQLite(database.sqlite!.name);
      try {
        other.prepare('insert into snapshot_probe (n) values (0)').run();
        // This process's background checkpointer may be checkpointing at the same moment (busy: it holds the
        // checkpoint lock for a few milliseconds); a reader holding the log back would not show as busy but as frames left.
        let result: { busy: number; log: number; checkpointed: number } | undefined;
        for (let attempt = 0; attempt < 50; attempt++) {
          [result] = other.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
          if (result!.busy === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(result!.busy).toBe(0);
        expect(result!.checkpointed).toBe(result!.log);
      } finally {
        other.prepare('delete from snapshot_probe').run();
        other.close();
      }
      await nextTurn();
    });

    it('a write after reads commits at once, and the reads after it see it', async () => {
      const before = await count();
      await sql`insert into snapshot_probe (n) values (1)`.execute(database.db);
      expect(database.sqlite!.inTransaction).toBe(false);
      // Committed: another process sees it before this stretch ends.
      const other = new SQLite(database.sqlite!.name, { readonly: true });
      try {
        expect(other.prepare('select count(*) from snapshot_probe').pluck().get()).toBe(before + 1);
      } finally {
        other.close();
      }
      expect(await count()).toBe(before + 1);
      await sql`delete from snapshot_probe`.execute(database.db);
      await nextTurn();
    });

    it('a transaction begins right after reads in the same stretch, and writes', async () => {
      await count();
      await database.db.transaction().execute(async (trx) => {
        await sql`insert into snapshot_probe (n) values (2)`.execute(trx);
      });
      await database.db
        .transaction()
        .setAccessMode('read only')
        .execute(async (trx) => {
          await sql`select 1`.execute(trx);
        });
      expect(await count()).toBe(1);
      await sql`delete from snapshot_probe`.execute(database.db);
      await nextTurn();
    });

    it("sees another process's commit at the next stretch, or at once after fresh()", async () => {
      const other = new SQLite(database.sqlite!.name);
      try {
        expect(await count()).toBe(0);
        other.prepare('insert into snapshot_probe (n) values (3)').run();
        database.fresh();
        expect(await count()).toBe(1);
        other.prepare('insert into snapshot_probe (n) values (4)').run();
        await nextTurn();
        expect(await count()).toBe(2);
      } finally {
        other.prepare('delete from snapshot_probe').run();
        other.close();
      }
      await nextTurn();
    });

    it('a failed read leaves nothing open past the stretch', async () => {
      await expect(sql`select * from no_such_table`.execute(database.db)).rejects.toThrow(/no such table/);
      await nextTurn();
      expect(database.sqlite!.inTransaction).toBe(false);
    });
  });
});
