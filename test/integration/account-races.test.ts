import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { filesUnder, multipart } from '../support/images.ts';
import { STORES } from '../support/stores.ts';

type Answer = { statusCode: number; body: string };

/**
 * An admin disabling an account, or taking a role away, while that account's requests are on their way: a write the
 * account had sent lands before the change commits, or is refused; none lands after it.
 */
describe.each(STORES)('account changes racing the account’s writes on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const auditOf = async (query: string) =>
    json(await t.app.inject({ url: `/api/v1/audit?limit=200&${query}`, headers: { authorization: admin.auth } })).items as {
      id: number;
      action: string;
      actor: string;
      subjectId: string;
    }[];

  it('a reporter disabled while saving: the save lands before the disabling or is refused 401, never after it', async () => {
    // A long body keeps the save's preparation (sanitizing, segmenting) busy before its transaction.
    const body = `<p>${'城市更新与地铁延长运营的讨论持续升温。'.repeat(1500)}</p>`;
    let refused = 0;
    for (let round = 0; round < 6; round++) {
      const reporter = await t.user('reporter');
      const article = await createArticle(t.app, reporter.auth);
      const [saved, disabled] = await Promise.all([
        t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${article.id}`, headers: { authorization: reporter.auth }, payload: { body } }),
        t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${reporter.username}`, headers: { authorization: admin.auth }, payload: { disabled: true } }),
      ]);
      expect(disabled.statusCode, disabled.body).toBe(200);
      expect([200, 401], saved.body).toContain(saved.statusCode);
      const edits = (await auditOf(`actor=${reporter.username}`)).filter((e) => e.subjectId === String(article.id) && e.action !== 'article.create');
      const disabling = (await auditOf('action=account.update')).find((e) => e.subjectId === String(reporter.id))!;
      if (saved.statusCode === 200) {
        expect(edits).toHaveLength(1);
        expect(edits[0]!.id).toBeLessThan(disabling.id);
      } else {
        refused++;
        expect(edits).toEqual([]);
        const stored = json(await t.app.inject({ url: `/api/v1/articles/${article.id}`, headers: { authorization: admin.auth } }));
        expect(stored.body).not.toContain('地铁延长运营');
      }
    }
    console.log(`${kind}: ${refused} of 6 saves refused`);
  });
  it('a sign-in with the old password racing an admin’s password reset never leaves a session the reset missed', async () => {
    let late = 0;
    for (let round = 0; round < 8; round++) {
      const person = await t.user('reporter');
      const [signedIn, reset] = await Promise.all([
        t.app.inject({
          method: 'POST',
          url: '/api/v1/session',
          remoteAddress: `10.9.${round}.1`,
          payload: { username: person.username, password: 'correct horse battery' },
        }),
        t.app.inject({
          method: 'POST',
          url: `/api/v1/accounts/${person.username}/password`,
          headers: { authorization: admin.auth },
          payload: { password: 'a brand new passphrase' },
        }),
      ]);
      expect(reset.statusCode, reset.body).toBe(204);
      expect([200, 401], signedIn.body).toContain(signedIn.statusCode);
      if (signedIn.statusCode !== 200) continue;
      late++;
      // Signed in before the reset committed: the reset ended that session, as it ends every other.
      const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
      expect(json(await t.app.inject({ url: '/api/v1/session', headers: { cookie } })).user).toBeNull();
    }
    console.log(`${kind}: ${late} of 8 sign-ins answered 200`);
  });

  /**
   * Sends `request` with `change` made to the account between the request's sign-in check and its write: when the
   * request opens its first transaction (the app's background work settled before), an admin changes the account
   * through the API and that change commits first. The write must then see the account as it is now.
   */
  const changedOnTheWay = async (username: string, change: { disabled: true } | { role: string }, request: () => Promise<Answer>) => {
    await t.settled();
    const store = t.ctx.store;
    const transaction = store.transaction.bind(store);
    let changed: Promise<Answer> | undefined;
    const spy = vi.spyOn(store, 'transaction').mockImplementation(async (fn) => {
      if (!changed) {
        changed = t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${username}`, headers: { authorization: admin.auth }, payload: change });
        await changed;
      }
      return transaction(fn);
    });
    let res: Answer;
    try {
      res = await request();
    } finally {
      spy.mockRestore();
    }
    expect(changed, 'the request opened no transaction').toBeDefined();
    const made = await changed!;
    expect(made.statusCode, made.body).toBe(200);
    return res;
  };
  const call = (auth: string, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: auth }, payload });
  const refused = (res: Answer, status: 401 | 403) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(json(res).error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
    // Refused by the write, not by the sign-in check (which knows nothing of a disabled account but "sign in").
    if (status === 401) expect(json(res).error.message).toMatch(/disabled/);
  };

  it('a 图文直播 entry posted by a reporter disabled on the way is refused 401 and not posted', async () => {
    const editor = await t.user('editor');
    const reporter = await t.user('reporter');
    const { id } = await createArticle(t.app, editor.auth, { title: '江城马拉松鸣枪开跑' });
    await publish(t.app, editor.auth, id);
    expect((await call(editor.auth, 'PUT', `/articles/${id}/live`, { status: 'live' })).statusCode).toBe(200);
    const res = await changedOnTheWay(reporter.username, { disabled: true }, () =>
      call(reporter.auth, 'POST', `/articles/${id}/live/entries`, { body: '选手已通过10公里补给站' }),
    );
    refused(res, 401);
    expect(await t.ctx.store.live.countEntries(id)).toBe(0);
  });

  it('an image uploaded by a reporter disabled on the way is refused 401: no row, no files', async () => {
    const reporter = await t.user('reporter');
    const mediaDir = path.join(t.config.dataDir, 'media');
    const before = { rows: await t.ctx.store.media.count(), files: filesUnder(mediaDir) };
    const jpeg = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#b8342c' } })
      .jpeg()
      .toBuffer();
    const body = await multipart({ field: 'file', data: jpeg, filename: 'scene.jpg', type: 'image/jpeg' });
    const res = await changedOnTheWay(reporter.username, { disabled: true }, () =>
      t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: reporter.auth, ...body.headers }, payload: body.payload }),
    );
    refused(res, 401);
    expect({ rows: await t.ctx.store.media.count(), files: filesUnder(mediaDir) }).toEqual(before);
  });

  it('a topic edited by an editor demoted to reporter on the way is refused 403 and unchanged', async () => {
    const editor = await t.user('editor');
    const made = await call(editor.auth, 'POST', '/topics', { slug: `topic-${editor.id}`, title: '城市更新专题' });
    expect(made.statusCode, made.body).toBe(201);
    const topic = json(made) as { id: number };
    const res = await changedOnTheWay(editor.username, { role: 'reporter' }, () => call(editor.auth, 'PATCH', `/topics/${topic.id}`, { title: '改过的标题' }));
    refused(res, 403);
    expect((await t.ctx.store.topics.findById(topic.id))!.title).toBe('城市更新专题');
  });

  it('a poll made by an editor disabled on the way is refused 401 and not made', async () => {
    const editor = await t.user('editor');
    const res = await changedOnTheWay(editor.username, { disabled: true }, () =>
      call(editor.auth, 'POST', '/polls', { question: '您支持地铁延长运营吗？', options: ['支持', '不支持'] }),
    );
    refused(res, 401);
    const polls = json(await t.app.inject({ url: '/api/v1/polls', headers: { authorization: admin.auth } })).items as { question: string }[];
    expect(polls.map((p) => p.question)).not.toContain('您支持地铁延长运营吗？');
  });

  it('a comment approved by an editor demoted to reporter on the way is refused 403 and stays pending', async () => {
    const editor = await t.user('editor');
    const { id } = await createArticle(t.app, editor.auth);
    await publish(t.app, editor.auth, id);
    const posted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/comments`,
      remoteAddress: '10.48.0.7',
      payload: { body: '地铁早该通了' },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const comment = json(posted).comment as { id: number; status: string };
    expect(comment.status).toBe('pending');
    const res = await changedOnTheWay(editor.username, { role: 'reporter' }, () => call(editor.auth, 'POST', `/comments/${comment.id}/approve`, {}));
    refused(res, 403);
    expect((await t.ctx.store.comments.find(comment.id))!.status).toBe('pending');
  });

  it('a channel made by an admin demoted to editor on the way is refused 403 and not made', async () => {
    const other = await t.user('admin');
    const channel = await changedOnTheWay(other.username, { role: 'editor' }, () =>
      call(other.auth, 'POST', '/channels', { slug: `ch${other.id}`, name: '城建' }),
    );
    refused(channel, 403);
    expect(await t.ctx.store.channels.findByPath(`ch${other.id}`)).toBeUndefined();
  });

  it('an account made by an admin demoted to editor during the password hashing is refused 403 and not made', async () => {
    const another = await t.user('admin');
    const username = `made-by-${another.id}`;
    const account = await changedOnTheWay(another.username, { role: 'editor' }, () =>
      call(another.auth, 'POST', '/accounts', { username, role: 'admin', password: 'a long enough passphrase' }),
    );
    refused(account, 403);
    expect(await t.ctx.store.accounts.findByUsername(username)).toBeUndefined();
  });

  it('a bulk action whose editor is disabled at its first article is refused 401 and changes none of them', async () => {
    const editor = await t.user('editor');
    const ids = [(await createArticle(t.app, editor.auth)).id, (await createArticle(t.app, editor.auth)).id];
    const res = await changedOnTheWay(editor.username, { disabled: true }, () =>
      call(editor.auth, 'POST', '/articles/bulk', { action: 'tag', ids, tag: '停运' }),
    );
    refused(res, 401);
    for (const id of ids) expect((await t.ctx.store.articles.findById(id))!.tags).not.toContain('停运');
  });
});
