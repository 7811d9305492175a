import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';

/**
 * On SQLite the reads of one stretch of the event loop share a read snapshot (storage/sqlite-turns.ts). A request
 * must not be answered from one begun before it arrived: its client may have just seen a commit made elsewhere (its
 * save on another worker, which shares the database file), and reads its own work back.
 */
describe('SQLite: a request reads afresh', () => {
  let t: TestApp;
  let editor: { auth: string };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    editor = await t.user('editor');
    await createChannels(t.app, (await t.user('admin')).auth);
  });
  afterAll(() => t.close());

  it("sees another process's commit made after a read of the same stretch began a snapshot", async () => {
    const { id } = await createArticle(t.app, editor.auth, { title: '旧标题' });
    // The save's own work after commit (search, related reading) writes as it goes, and a write ends a snapshot: done
    // first, so nothing but this test's statements runs below (on a busy machine it was still running).
    await t.settled();
    const other = new SQLite(t.db.database.sqlite!.name);
    try {
      // A read (a timer's, say) begins this stretch's snapshot; then another worker saves the article. On a busy machine
      // the read itself can take SLOW_MS of the wall clock (the thread preempted), and a slow statement rightly ends the
      // snapshot with a turn of the loop: the read is made again, in a new stretch, until one keeps its snapshot.
      for (let attempt = 0; attempt < 20; attempt++) {
        await new Promise((resolve) => setImmediate(resolve));
        await sql`select count(*) from articles`.execute(t.db.database.db);
        if (t.db.database.sqlite!.inTransaction) break;
      }
      expect(t.db.database.sqlite!.inTransaction).toBe(true);
      other.prepare('update articles set title = ?, revision = revision + 1 where id = ?').run('另一进程保存的标题', id);
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/articles/${id}`, headers: { authorization: editor.auth } });
      expect(res.statusCode).toBe(200);
      expect(json(res).title).toBe('另一进程保存的标题');
    } finally {
      other.close();
    }
  });
});
