import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/accounts/roles.ts';
import { unpublishArticle, updateArticle, type ArticleChanges } from '../../src/domain/articles/service.ts';
import { REFRESH_LOCK } from '../../src/storage/repositories/related.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { runsOn } from '../support/stores.ts';

/**
 * The advisory lock that serializes related-list updates on PostgreSQL is taken by the outbox's work after a commit,
 * never by an article write: draft autosaves, every two seconds per open editor, and publishes alike must not queue
 * behind each other or behind another publish's related reading.
 */
describe.skipIf(!runsOn('postgres'))('the related-reading lock on postgres', () => {
  let t: TestApp;
  let auth: string;
  let editor: Actor;

  beforeAll(async () => {
    t = await startTestApp('postgres');
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    const user = await t.user('editor');
    auth = user.auth;
    editor = { id: user.id, username: user.username, displayName: user.username, role: 'editor' };
    // Only the writes' own transactions are looked at: the outbox's work, which does take the lock, is not running.
    await t.outbox.stop();
  });
  afterAll(() => t.close());

  // Seen from another connection of the pool: pg_advisory_xact_lock(bigint) shows as classid 0, objid = the key. In
  // this test's database only: other test files run at once on the same cluster, and their outboxes do take it.
  const lockHeld = async () =>
    (
      await sql<{ n: number }>`select count(*)::int as n from pg_locks
        where locktype = 'advisory' and classid = 0 and objid = ${REFRESH_LOCK} and objsubid = 1 and granted
          and database = (select oid from pg_database where datname = current_database())`.execute(t.db.database.db)
    ).rows[0]!.n > 0;

  /** Runs a change in a transaction kept open after it, and tells whether the lock was held by then. */
  const heldAfter = async (change: (ctx: TestApp['ctx']) => Promise<unknown>) => {
    let held: boolean | undefined;
    await t.ctx.store.transaction(async (store) => {
      await change({ ...t.ctx, store });
      held = await lockHeld();
    });
    return held;
  };

  const edit = (id: number, changes: ArticleChanges) => (ctx: TestApp['ctx']) => updateArticle(ctx, editor, id, changes);

  it('is not taken by a draft edit', async () => {
    const { id } = await createArticle(t.app, auth);
    expect(await heldAfter(edit(id, { body: '<p>本报讯 草稿自动保存：江城地铁新线今日试运行。</p>' }))).toBe(false);
  });

  it('is not taken by an edit of a published article, nor by unpublishing it', async () => {
    const { id } = await createArticle(t.app, auth);
    await publish(t.app, auth, id);
    expect(await heldAfter(edit(id, { summary: '江城地铁新线开通，沿线居民出行更便捷。' }))).toBe(false);
    expect(await heldAfter((ctx) => unpublishArticle(ctx, editor, id))).toBe(false);
  });

  it('lets two draft autosaves run at once', async () => {
    const [a, b] = [await createArticle(t.app, auth), await createArticle(t.app, auth)];
    let edited!: () => void;
    const aEdited = new Promise<void>((resolve) => (edited = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // A's autosave is written and its transaction stays open (as a slow commit would) while B's autosave comes in.
    const first = t.ctx.store.transaction(async (store) => {
      await updateArticle({ ...t.ctx, store }, editor, a.id, { body: '<p>本报讯 第一篇草稿的新段落。</p>' });
      edited();
      await released;
    });
    await aEdited;
    const second = updateArticle(t.ctx, editor, b.id, { body: '<p>本报讯 第二篇草稿的新段落。</p>' });
    const outcome = await Promise.race([second.then(() => 'saved'), new Promise((resolve) => setTimeout(resolve, 5000, 'waiting for the first'))]);
    release();
    await Promise.all([first, second]);
    expect(outcome).toBe('saved');
  });
});
