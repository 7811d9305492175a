import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlStore } from '../../src/storage/store.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * Two transactions that take the same two rows in opposite orders: PostgreSQL aborts one of them (deadlock_detected),
 * and the store runs that one again from the start, so both changes commit and neither caller sees an error (an
 * unpublish answered 500 when its trigger and the outbox's related reading met this way).
 */
describe.runIf(runsOn('postgres'))('a transaction aborted as a deadlock on postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('postgres');
  });
  afterAll(() => t?.cleanup());

  it('runs again and commits, as does the other', async () => {
    const store = SqlStore.of(t.database, 'test-secret');
    const now = Date.now();
    await store.outbox.add('test.deadlock', 1, now);
    await store.outbox.add('test.deadlock', 2, now);
    const [a, b] = (await t.database.db.selectFrom('outbox').select('id').where('topic', '=', 'test.deadlock').orderBy('id').execute()).map((r) => r.id);
    // Each side waits, on its first run only, until the other holds its first row: then each asks for the other's.
    let holding = 0;
    const bothHold = async () => {
      holding++;
      while (holding < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const runs = { first: 0, second: 0 };
    const first = store.transaction(async (s) => {
      runs.first++;
      await s.outbox.fail(a!, now, 'first');
      if (runs.first === 1) await bothHold();
      await s.outbox.fail(b!, now, 'first');
    });
    const second = store.transaction(async (s) => {
      runs.second++;
      await s.outbox.fail(b!, now, 'second');
      if (runs.second === 1) await bothHold();
      await s.outbox.fail(a!, now, 'second');
    });
    await Promise.all([first, second]);
    // One of them was the deadlock's victim and ran twice; every change of both is in.
    expect(runs.first + runs.second).toBe(3);
    const rows = await t.database.db.selectFrom('outbox').select(['id', 'attempts']).where('topic', '=', 'test.deadlock').orderBy('id').execute();
    expect(rows.map((r) => r.attempts)).toEqual([2, 2]);
  });
});
