import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createChannels } from '../support/factories.ts';
import { runsOn } from '../support/stores.ts';

/**
 * Another process holding SQLite's write lock past the busy timeout (a long import, a second writer on the same file):
 * a write answers 503 with Retry-After and changes nothing, instead of a 500.
 */
describe.skipIf(!runsOn('sqlite'))('a busy SQLite database', () => {
  let t: TestApp;
  let auth: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    auth = (await t.user('editor')).auth;
  });
  afterAll(() => t.close());

  it('answers 503 database_busy with Retry-After, and the write can be sent again once the lock is gone', async () => {
    const other = new SQLite(t.db.database.sqlite!.name);
    const before = Number(
      (
        await t.db.database.db
          .selectFrom('articles')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    other.exec('begin immediate');
    const payload = { title: '锁住时写的稿件', channel: 'difang', body: '<p>正文。</p>' };
    let res: Awaited<ReturnType<typeof t.app.inject>>;
    try {
      res = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: { authorization: auth }, payload });
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(json(res).error.code).toBe('database_busy');
    const after = Number(
      (
        await t.db.database.db
          .selectFrom('articles')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(after).toBe(before);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: { authorization: auth }, payload });
    expect(again.statusCode, again.body).toBe(201);
  }, 30_000);
});
