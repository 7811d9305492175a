import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/domain/store.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { readerCookie } from '../support/reactions.ts';
import { STORES } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

type Response = Awaited<ReturnType<TestApp['app']['inject']>>;

/**
 * A reader's comment (or like) on its way while an editor changes the rules it is posted under — the channel turned to
 * 先审后发, the article taken down, the reader banned, the comment removed — lands as if it came wholly before the
 * change or wholly after it: never approved after the switch to pre-moderation committed, never under an article
 * already taken down, never from a reader already banned.
 */
describe.each(STORES)('comments racing changes to their rules on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let editor: string;
  let rounds = 0;
  /** A fresh address per call: the per-address limits and bans of one round never touch another's. */
  const freshIp = () => `10.77.${++rounds % 250}.9`;

  const act = (auth: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: auth }, ...(payload ? { payload } : {}) });
  const post = (articleId: number, body: string, ip: string, cookie?: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${articleId}/comments`,
      remoteAddress: ip,
      headers: cookie ? { cookie: `inkstone_reader=${cookie}` } : {},
      payload: { body, nickname: '江城市民' },
    });
  const like = (commentId: number) => t.app.inject({ method: 'POST', url: `/api/v1/comments/${commentId}/likes`, remoteAddress: freshIp() });
  const listed = async (articleId: number) =>
    (json(await t.app.inject({ url: `/api/v1/articles/${articleId}/comments` })).items as { id: number }[]).map((c) => c.id);
  const stored = (articleId: number) =>
    t.db.database.db.withTables<{ comments: any }>().selectFrom('comments').selectAll().where('article_id', '=', articleId).execute();
  const likeRows = (commentId: number) =>
    t.db.database.db.withTables<{ comment_likes: any }>().selectFrom('comment_likes').selectAll().where('comment_id', '=', commentId).execute();
  const setMode = (channelId: number, moderation: 'pre' | 'post') => act(admin, 'PUT', `/comments/settings/${channelId}`, { moderation });

  /** A channel of its own under a parent of its own, the parent post-moderated (the child takes its mode from it). */
  const postModerated = async () => {
    const n = ++rounds;
    const parent = json(await act(admin, 'POST', '/channels', { slug: `jiangcheng${n}`, name: `江城${n}` }));
    const child = json(await act(admin, 'POST', '/channels', { slug: 'minsheng', name: '民生', parent: `jiangcheng${n}` }));
    expect((await setMode(parent.id, 'post')).statusCode).toBe(200);
    const { id } = await createArticle(t.app, editor, { channel: `jiangcheng${n}/minsheng` });
    await publish(t.app, editor, id);
    return { articleId: id, parentId: parent.id as number, childId: child.id as number };
  };

  // The change set in `between` runs to its end just as the comment's (or like's) request is about to begin its
  // transaction: after the checks it makes on arrival, before its write. Nothing else writes meanwhile (the outbox's
  // runner is stopped), so the next transaction begun is the request's.
  let between: (() => Promise<Response>) | undefined;
  const whenItsTransactionBegins = async (request: () => Promise<Response>, change: () => Promise<Response>) => {
    let changed: Response | undefined;
    between = async () => (changed = await change());
    const answer = await request();
    expect(between, 'the request began no transaction').toBeUndefined();
    return { answer, change: changed! };
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin);
    await t.outbox.stop();
    const store = t.ctx.store;
    const transaction = store.transaction.bind(store);
    store.transaction = (async (fn) => {
      const change = between;
      between = undefined;
      if (change) await change();
      return transaction(fn);
    }) as Store['transaction'];
  });
  afterAll(() => t.close());

  it('a comment on its way while its channel turns to 先审后发 lands pending, never approved after the switch', async () => {
    // The switch made on the channel that holds the mode, and on the article's own channel (a setting of its own).
    for (const where of ['parent', 'child'] as const) {
      const channels = await postModerated();
      const { answer, change } = await whenItsTransactionBegins(
        () => post(channels.articleId, '支持，早该整治了', freshIp()),
        () => setMode(where === 'parent' ? channels.parentId : channels.childId, 'pre'),
      );
      expect(change.statusCode, change.body).toBe(200);
      expect(answer.statusCode, answer.body).toBe(201);
      expect(json(answer).comment.status, where).toBe('pending');
      expect(await listed(channels.articleId)).toEqual([]);
    }
  });

  it('a comment on its way while its article is taken down is refused with a 4xx and nothing kept', async () => {
    const { articleId } = await postModerated();
    const { answer, change } = await whenItsTransactionBegins(
      () => post(articleId, '这篇报道写得很详细', freshIp()),
      () => act(editor, 'POST', `/articles/${articleId}/unpublish`),
    );
    expect(change.statusCode, change.body).toBe(200);
    expect(answer.statusCode, answer.body).toBe(404);
    expect(json(answer).error.code).toBe('not_found');
    expect(await stored(articleId)).toEqual([]);
  });

  it('a comment on its way while its reader or address block is banned is refused 403 and nothing kept', async () => {
    const { articleId } = await postModerated();
    const ip = freshIp();
    const first = await post(articleId, '第一条留言', ip);
    expect(first.statusCode, first.body).toBe(201);
    const cookie = readerCookie(first)!;
    const firstId = json(first).comment.id as number;
    const bans = [
      { kind: 'reader', body: '第二条留言' },
      { kind: 'prefix', body: '第三条留言' },
    ] as const;
    for (const ban of bans) {
      const { answer, change } = await whenItsTransactionBegins(
        () => post(articleId, ban.body, ip, cookie),
        () => act(admin, 'POST', '/comments/bans', { commentId: firstId, kind: ban.kind }),
      );
      expect(change.statusCode, change.body).toBe(201);
      expect(answer.statusCode, answer.body).toBe(403);
      expect(json(answer).error.code).toBe('comment_banned');
      expect((await stored(articleId)).map((c) => c.id)).toEqual([firstId]);
      // Lifted again, so the next round's ban is the only one.
      expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/bans/${json(change).id}`, headers: { authorization: admin } })).statusCode).toBe(
        204,
      );
    }
  });

  it('a like on its way while the comment is removed, or its article taken down, is refused and counts nothing', async () => {
    for (const change of ['reject', 'unpublish'] as const) {
      const { articleId } = await postModerated();
      const posted = await post(articleId, '说得对', freshIp());
      const commentId = json(posted).comment.id as number;
      expect(json(posted).comment.status).toBe('approved');
      const { answer, change: changed } = await whenItsTransactionBegins(
        () => like(commentId),
        () => (change === 'reject' ? act(editor, 'POST', `/comments/${commentId}/reject`) : act(editor, 'POST', `/articles/${articleId}/unpublish`)),
      );
      expect(changed.statusCode, changed.body).toBe(200);
      expect(answer.statusCode, answer.body).toBe(404);
      expect(await likeRows(commentId), change).toEqual([]);
      expect(Number((await stored(articleId))[0]!.likes), change).toBe(0);
    }
  });

  /**
   * PostgreSQL runs the comment's transaction beside the change's: the comment must keep what it read from changing
   * until it commits. Another connection holds back the comment's write (a lock on its table) after its checks, and
   * the change is sent meanwhile: it waits for the comment, or — had it gone through — the comment must have seen it.
   */
  describe.skipIf(kind !== 'postgres')('with the write held back on PostgreSQL', () => {
    const waitingOnLocks = async (holder: pg.Client) =>
      (await holder.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"))
        .rows[0]!.n;

    /** Runs `request` until its write into `table` waits, sends `change`, and lets the write go once `change` is done or waits too. */
    const whileItsWriteIsHeld = async (table: string, request: () => Promise<Response>, change: () => Promise<Response>) => {
      const holder = new pg.Client({ connectionString: t.db.databaseUrl });
      await holder.connect();
      try {
        await holder.query('begin');
        await holder.query(`lock table ${table} in share mode`);
        const answer = request();
        await waitFor(async () => (await waitingOnLocks(holder)) >= 1, { message: `the write into ${table} to wait` });
        let done = false;
        const changed = change().then((res) => {
          done = true;
          return res;
        });
        await waitFor(async () => done || (await waitingOnLocks(holder)) >= 2, { message: 'the change to end or wait' });
        const changedFirst = done;
        await holder.query('commit');
        return { answer: await answer, change: await changed, changedFirst };
      } finally {
        await holder.end();
      }
    };

    it('a switch to 先审后发 while a comment is being written waits for it: the comment is shown, or pending if the switch came first', async () => {
      for (const where of ['parent', 'child'] as const) {
        const channels = await postModerated();
        const { answer, change, changedFirst } = await whileItsWriteIsHeld(
          'comments',
          () => post(channels.articleId, '希望尽快落实', freshIp()),
          () => setMode(where === 'parent' ? channels.parentId : channels.childId, 'pre'),
        );
        expect(change.statusCode, change.body).toBe(200);
        expect(answer.statusCode, answer.body).toBe(201);
        const comment = json(answer).comment as { id: number; status: string };
        expect(comment.status, `${where}: the switch committed before the comment`).toBe(changedFirst ? 'pending' : 'approved');
        expect(await listed(channels.articleId)).toEqual(comment.status === 'approved' ? [comment.id] : []);
      }
    });

    it('a takedown while a comment is being written waits for it, or the comment is refused', async () => {
      const { articleId } = await postModerated();
      const { answer, change, changedFirst } = await whileItsWriteIsHeld(
        'comments',
        () => post(articleId, '关注后续进展', freshIp()),
        () => act(editor, 'POST', `/articles/${articleId}/unpublish`),
      );
      expect(change.statusCode, change.body).toBe(200);
      expect(answer.statusCode, answer.body).toBe(changedFirst ? 404 : 201);
      expect(await stored(articleId)).toHaveLength(changedFirst ? 0 : 1);
    });

    it('a ban while its reader’s comment is being written waits for it, or the comment is refused', async () => {
      const { articleId } = await postModerated();
      const ip = freshIp();
      const { answer, change, changedFirst } = await whileItsWriteIsHeld(
        'comments',
        () => post(articleId, '再说一句', ip),
        () => act(admin, 'POST', '/comments/bans', { prefix: ip }),
      );
      expect(change.statusCode, change.body).toBe(201);
      expect(answer.statusCode, answer.body).toBe(changedFirst ? 403 : 201);
      expect(await stored(articleId)).toHaveLength(changedFirst ? 0 : 1);
    });

    it('a removal while a like is being written waits for it, or the like is refused', async () => {
      const { articleId } = await postModerated();
      const commentId = json(await post(articleId, '赞同', freshIp())).comment.id as number;
      const { answer, change, changedFirst } = await whileItsWriteIsHeld(
        'comment_likes',
        () => like(commentId),
        () => act(editor, 'POST', `/comments/${commentId}/reject`),
      );
      expect(change.statusCode, change.body).toBe(200);
      expect(answer.statusCode, answer.body).toBe(changedFirst ? 404 : 200);
      expect(await likeRows(commentId)).toHaveLength(changedFirst ? 0 : 1);
    });
  });
});
