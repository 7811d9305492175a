import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { runsOn } from '../support/stores.ts';

/**
 * A long job's transactions on SQLite (an import, the related backlog) come one after another. SQLite writes a
 * transaction from the start of its log (inkstone.db-wal) again only when the log was wholly copied into the database
 * file as the transaction began; the checkpointer thread copies it every 200 ms, so transactions closer together than
 * that each appended to the log, which grew to gigabytes over a large import. Store.jobTransactions copies what is
 * left before each one.
 */
describe.skipIf(!runsOn('sqlite'))('a long job’s transactions on SQLite', () => {
  let t: TestApp;
  const wal = () => statSync(path.join(t.db.dataDir, 'inkstone.db-wal')).size;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('write their pages from the start of the log again, however close together they commit', async () => {
    const { transaction } = t.ctx.store.jobTransactions();
    const before = wal();
    const started = performance.now();
    const rounds = 40;
    for (let round = 0; round < rounds; round++) {
      // About a megabyte of new pages a transaction: ten audit entries with 100 KB of detail each.
      await transaction(async (store) => {
        for (let i = 0; i < 10; i++)
          await store.history.record({
            at: Date.now(),
            actorId: null,
            action: 'test.wal',
            subjectType: 'test',
            subjectId: round * 10 + i,
            detail: { filler: randomBytes(75_000).toString('base64') },
          });
      });
    }
    const ms = performance.now() - started;
    // Forty megabytes written in well under the checkpointer's few rounds; the log holds about one transaction's pages.
    expect(ms).toBeLessThan(20_000);
    expect(wal()).toBeLessThan(Math.max(before, 8 * 1024 * 1024));
  });
});
