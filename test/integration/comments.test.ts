import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { readerCookie } from '../support/reactions.ts';
import { STORES } from '../support/stores.ts';
import { WordListCache } from '../../src/domain/moderation/word-list-cache.ts';

interface PostOptions {
  cookie?: string;
  ip?: string;
  nickname?: string;
}

describe.each(STORES)('comments (留言) on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let editor: string;
  let editor2: string;
  let reporter: string;
  let ips = 0;
  /** A fresh address per call, so the per-address limits of one test never touch another's. */
  const freshIp = () => `10.${Math.floor(++ips / 250) % 250}.${ips % 250}.7`;

  const published = async (channel = 'difang/yaowen') => {
    const a = await createArticle(t.app, editor, { channel });
    await publish(t.app, editor, a.id);
    return a.id;
  };
  const post = (articleId: number, body: unknown, o: PostOptions = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${articleId}/comments`,
      remoteAddress: o.ip ?? freshIp(),
      headers: o.cookie ? { cookie: `inkstone_reader=${o.cookie}` } : {},
      payload: { body, ...(o.nickname !== undefined ? { nickname: o.nickname } : {}) },
    });
  const act = (auth: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: auth }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const listed = async (articleId: number) => json(await t.app.inject({ url: `/api/v1/articles/${articleId}/comments` }));
  const rows = (articleId: number) =>
    t.db.database.db.withTables<{ comments: any }>().selectFrom('comments').selectAll().where('article_id', '=', articleId).orderBy('id').execute();
  const audits = (action: string) =>
    t.db.database.db.withTables<{ audit_events: any }>().selectFrom('audit_events').selectAll().where('action', '=', action).execute();
  const channelId = async (path: string) =>
    (json(await t.app.inject({ url: '/api/v1/channels' })).items as { id: number; path: string }[]).find((c) => c.path === path)!.id;
  const words = async (text: string, action = 'block') => {
    const res = await act(admin, 'POST', '/moderation/words', { text, action });
    expect(res.statusCode, res.body).toBe(201);
    return json(res);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    editor2 = (await t.user('editor')).auth;
    reporter = (await t.user('reporter')).auth;
    await createChannels(t.app, admin);
    await words(['违禁词 屏蔽', '敏感 打码', '台独 审核', 'spam,block'].join('\n'));
  });
  afterAll(() => t.close());

  it('keeps a comment pending (先审后发) until an editor approves it, then shows it on the cached page', async () => {
    const id = await published();
    // The page is cached before anyone comments: approval must purge it.
    const before = await t.app.inject({ url: `/a/${id}` });
    expect(before.body).toContain('还没有留言');
    const res = await post(id, '写得好，地铁早该通了', { nickname: '江城市民' });
    expect(res.statusCode, res.body).toBe(201);
    const posted = json(res).comment;
    expect(posted).toMatchObject({ status: 'pending', nickname: '江城市民', body: '写得好，地铁早该通了', likes: 0 });
    expect(readerCookie(res)).toBeTruthy();
    expect(await listed(id)).toMatchObject({ items: [], total: 0 });
    expect((await t.app.inject({ url: `/a/${id}` })).body).not.toContain('写得好');

    const queue = json(await act(editor, 'GET', '/comments?status=pending'));
    expect(queue.items.map((c: { id: number }) => c.id)).toContain(posted.id);
    const approved = await act(editor, 'POST', `/comments/${posted.id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(json(approved).status).toBe('approved');
    expect(await listed(id)).toMatchObject({ total: 1, items: [{ id: posted.id, body: '写得好，地铁早该通了' }] });
    const page = await t.app.inject({ url: `/a/${id}` });
    expect(page.body).toContain('写得好，地铁早该通了');
    expect(page.body).toContain('网友留言<span class="comments-total">（1）</span>');

    // Removing it takes it off the page again; both decisions are audited.
    expect((await act(editor, 'POST', `/comments/${posted.id}/reject`)).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/a/${id}` })).body).not.toContain('写得好');
    const approvals = (await audits('comment.approve')).filter((e) => JSON.parse(e.detail).comment === posted.id);
    expect(approvals).toHaveLength(1);
    expect((await audits('comment.reject')).some((e) => JSON.parse(e.detail).comment === posted.id)).toBe(true);
  });

  it('refuses a blocked word with a clear 400, masks mask words and holds review words even when post-moderated', async () => {
    const id = await published('keji');
    const blocked = await post(id, '这里有违禁词');
    expect(blocked.statusCode).toBe(400);
    expect(json(blocked).error.code).toBe('comment_blocked');
    expect(await rows(id)).toHaveLength(0);

    const ch = await channelId('keji');
    expect((await act(editor, 'PUT', `/comments/settings/${ch}`, { moderation: 'post' })).statusCode).toBe(403);
    expect((await act(admin, 'PUT', `/comments/settings/${ch}`, { moderation: 'post' })).statusCode).toBe(200);

    const masked = await post(id, '这个话题太敏感了');
    expect(masked.statusCode).toBe(201);
    expect(json(masked).comment).toMatchObject({ status: 'approved', body: '这个话题太＊＊了' });
    expect((await listed(id)).items[0].body).toBe('这个话题太＊＊了');

    const review = await post(id, '关于台独的看法');
    expect(json(review).comment.status).toBe('pending');
    const queued = json(await act(editor, 'GET', `/comments?status=pending&articleId=${id}`)).items;
    expect(queued).toHaveLength(1);
    expect(queued[0].flags).toEqual(['台独']);
  });

  it('catches full-width, traditional and separated forms of a word, and maps masks back onto the original text', async () => {
    const id = await published('keji');
    for (const evasion of ['违＊禁＊词', '违 禁 词', '違禁詞', '违-禁·词', '违\u200b禁词', 'ＳＰＡＭ', 'S p A m']) {
      const res = await post(id, `看看${evasion}吧`);
      expect(res.statusCode, evasion).toBe(400);
      expect(json(res).error.code).toBe('comment_blocked');
    }
    const res = await post(id, '太敏 感了，真敏＊感！', { nickname: '敏感网友' });
    expect(json(res).comment).toMatchObject({ body: '太＊ ＊了，真＊＊＊！', nickname: '＊＊网友' });
    // A word edited by the admin applies at once (this process's cache is dropped after the commit).
    const list = json(await act(admin, 'GET', '/moderation/words')).items as { id: number; word: string }[];
    const spam = list.find((w) => w.word === 'spam')!;
    expect((await act(admin, 'PATCH', `/moderation/words/${spam.id}`, { word: 'spam', action: 'mask' })).statusCode).toBe(200);
    expect(json(await post(id, 'no SPAM please')).comment.body).toBe('no ＊＊＊＊ please');
    expect((await act(admin, 'PATCH', `/moderation/words/${spam.id}`, { word: 'spam', action: 'block' })).statusCode).toBe(200);
  });

  it('imports a pasted list, reports bad lines without importing any, and keeps the list to admins', async () => {
    const res = await act(admin, 'POST', '/moderation/words', { text: '# 新词\n甲乙丙\t审核\n丁戊 mask\n己庚,block\n甲乙丙 屏蔽', action: 'review' });
    expect(res.statusCode, res.body).toBe(201);
    expect(json(res)).toEqual({ added: 3, updated: 0 });
    const items = json(await act(admin, 'GET', '/moderation/words')).items as { word: string; action: string }[];
    expect(items.find((w) => w.word === '甲乙丙')?.action).toBe('block');
    expect(items.find((w) => w.word === '丁戊')?.action).toBe('mask');
    const bad = await act(admin, 'POST', '/moderation/words', { text: '好词\n＊＊＊\n' + 'x'.repeat(31), action: 'block' });
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error.message).toMatch(/第 2 行.*第 3 行/);
    expect((json(await act(admin, 'GET', '/moderation/words')).items as { word: string }[]).some((w) => w.word === '好词')).toBe(false);
    expect((await act(editor, 'GET', '/moderation/words')).statusCode).toBe(403);
    expect((await act(editor, 'POST', '/moderation/words', { word: '坏', action: 'block' })).statusCode).toBe(403);
    expect((await act(reporter, 'POST', '/moderation/words', { text: '＊＊', action: 'block' })).statusCode).toBe(403);
    expect((await audits('moderation.import')).length).toBeGreaterThan(0);
  });

  it("reaches another process's list within 5 s, compiling again only when the list changed", async () => {
    let now = 0;
    // A second process's cache over the same database.
    const other = new WordListCache(5_000, () => now);
    const first = await other.get(t.ctx.store);
    now = 6_000;
    expect(await other.get(t.ctx.store)).toBe(first);
    const version = await t.ctx.store.moderationWords.version();
    const added = await act(admin, 'POST', '/moderation/words', { word: '另一个进程', action: 'block' });
    expect(added.statusCode).toBe(201);
    const afterAdd = await t.ctx.store.moderationWords.version();
    expect(afterAdd).not.toBe(version);
    // Within the 5 s the other process still uses its copy; after them it sees the word.
    expect((await other.get(t.ctx.store)).screen('另一个进程').verdict).toBe(null);
    now = 12_000;
    const second = await other.get(t.ctx.store);
    expect(second).not.toBe(first);
    expect(second.screen('另 一 个 进 程').verdict).toBe('block');
    const id = (json(await act(admin, 'GET', '/moderation/words')).items as { id: number; word: string }[]).find((w) => w.word === '另一个进程')!.id;
    expect((await act(admin, 'PATCH', `/moderation/words/${id}`, { word: '另一个进程', action: 'mask' })).statusCode).toBe(200);
    const afterUpdate = await t.ctx.store.moderationWords.version();
    expect(afterUpdate).not.toBe(afterAdd);
    expect((await act(admin, 'DELETE', `/moderation/words/${id}`)).statusCode).toBe(204);
    expect(await t.ctx.store.moderationWords.version()).not.toBe(afterUpdate);
    expect((await act(admin, 'DELETE', `/moderation/words/${id}`)).statusCode).toBe(404);
    expect((await audits('moderation.delete')).length).toBeGreaterThan(0);
  });

  it('takes two admins importing overlapping lists at once: every word once, no deadlock', async () => {
    const a = Array.from({ length: 600 }, (_, i) => `并发词${i}`);
    const b = [...a].reverse();
    const [ra, rb] = await Promise.all([
      act(admin, 'POST', '/moderation/words', { text: a.join('\n'), action: 'block' }),
      act(admin, 'POST', '/moderation/words', { text: b.join('\n'), action: 'mask' }),
    ]);
    expect([ra.statusCode, rb.statusCode]).toEqual([201, 201]);
    const items = json(await act(admin, 'GET', '/moderation/words')).items as { word: string }[];
    expect(items.filter((w) => w.word.startsWith('并发词'))).toHaveLength(600);
  });

  it('keeps the queue, decisions, replies and bans to editors (403 for a reporter)', async () => {
    const id = await published();
    const c = json(await post(id, '一条留言')).comment;
    expect((await act(reporter, 'GET', '/comments')).statusCode).toBe(403);
    expect((await act(reporter, 'POST', `/comments/${c.id}/approve`)).statusCode).toBe(403);
    expect((await act(reporter, 'PUT', `/comments/${c.id}/reply`, { text: '谢谢' })).statusCode).toBe(403);
    expect((await act(reporter, 'POST', '/comments/bans', { commentId: c.id, kind: 'reader' })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/comments/${c.id}/approve` })).statusCode).toBe(401);
    expect((await rows(id))[0]!.status).toBe('pending');
  });

  it('shows the newsroom reply (官方回复) under the comment, escaped like the comment itself', async () => {
    const id = await published();
    const c = json(await post(id, '<script>alert(1)</script> 详见 http://evil.example/x <b>粗</b>')).comment;
    await act(editor, 'POST', `/comments/${c.id}/approve`);
    const replied = await act(editor, 'PUT', `/comments/${c.id}/reply`, { text: '感谢关注，<i>我们</i>会跟进。' });
    expect(replied.statusCode, replied.body).toBe(200);
    const page = (await t.app.inject({ url: `/a/${id}` })).body;
    expect(page).toContain('官方回复');
    expect(page).toContain('感谢关注，&lt;i>我们&lt;/i>会跟进。');
    expect(page).toContain('&lt;script>alert(1)&lt;/script>');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('href="http://evil.example');
    expect((await audits('comment.reply')).some((e) => JSON.parse(e.detail).comment === c.id)).toBe(true);
  });

  it('bans a reader cookie and an address block (IPv4 /24, IPv6 /48), audited, and lifts a ban', async () => {
    const id = await published();
    const first = await post(id, '第一条', { ip: '203.0.113.9' });
    const cookie = readerCookie(first)!;
    const c = json(first).comment;
    const ban = await act(editor, 'POST', '/comments/bans', { commentId: c.id, kind: 'reader' });
    expect(ban.statusCode, ban.body).toBe(201);
    expect((await act(editor2, 'POST', '/comments/bans', { commentId: c.id, kind: 'reader' })).statusCode).toBe(409);
    const refused = await post(id, '换个地址再来', { cookie, ip: '198.51.100.1' });
    expect(refused.statusCode).toBe(403);
    expect(json(refused).error.code).toBe('comment_banned');
    // Without the cookie, from another block, the same person is a new reader.
    expect((await post(id, '没有 cookie', { ip: '198.51.100.2' })).statusCode).toBe(201);

    const prefixBan = await act(editor, 'POST', '/comments/bans', { commentId: c.id, kind: 'prefix' });
    expect(prefixBan.statusCode).toBe(201);
    expect((await post(id, '同一网段', { ip: '203.0.113.200' })).statusCode).toBe(403);
    expect((await post(id, '邻近网段', { ip: '203.0.114.1' })).statusCode).toBe(201);

    const v6 = await act(editor, 'POST', '/comments/bans', { prefix: '2001:db8:abcd::/48' });
    expect(v6.statusCode, v6.body).toBe(201);
    expect(json(v6).note).toBe('2001:db8:abcd::/48');
    expect((await post(id, 'v6 同一 /48', { ip: '2001:db8:abcd:12:1::5' })).statusCode).toBe(403);
    expect((await post(id, 'v6 另一 /48', { ip: '2001:db8:abce::5' })).statusCode).toBe(201);
    expect((await act(editor, 'POST', '/comments/bans', { prefix: 'not-an-address' })).statusCode).toBe(400);

    const bans = json(await act(editor, 'GET', '/comments/bans')).items as { id: number; kind: string }[];
    expect(bans.length).toBeGreaterThanOrEqual(3);
    expect((await act(editor, 'DELETE', `/comments/bans/${json(prefixBan).id}`)).statusCode).toBe(204);
    expect((await post(id, '解封后', { ip: '203.0.113.201' })).statusCode).toBe(201);
    expect((await audits('comment.ban')).length).toBeGreaterThanOrEqual(3);
    expect((await audits('comment.unban')).length).toBeGreaterThanOrEqual(1);
  });

  it('limits comments per reader and per address, with Retry-After', async () => {
    const id = await published();
    const first = await post(id, '第 1 条', { ip: '192.0.2.10' });
    const cookie = readerCookie(first)!;
    for (let i = 2; i <= 5; i++) expect((await post(id, `第 ${i} 条`, { cookie, ip: `192.0.2.${10 + i}` })).statusCode).toBe(201);
    const sixth = await post(id, '第 6 条', { cookie, ip: '192.0.2.30' });
    expect(sixth.statusCode).toBe(429);
    expect(json(sixth).error.code).toBe('too_many_comments');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    // Ten minutes on, the reader may speak again.
    t.clock.advance(10 * 60_000);
    expect((await post(id, '十分钟后', { cookie, ip: '192.0.2.31' })).statusCode).toBe(201);

    // One address, whatever cookies it sends: 30 an hour.
    const ip = '192.0.2.99';
    t.clock.advance(60 * 60_000);
    let refused = 0;
    for (let i = 0; i < 32; i++) {
      const res = await post(id, `同一地址第 ${i} 条`, { ip, cookie: i % 2 === 0 ? undefined : cookie });
      if (res.statusCode === 429) refused++;
    }
    expect(refused).toBeGreaterThanOrEqual(2);
  });

  it('counts an IPv6 /64 as one address for the limits: a host rotating its addresses gains nothing', async () => {
    const id = await published();
    // One machine holds a whole /64 and may send from any address in it, with no cookie or a cookie each time.
    let refused = 0;
    for (let i = 1; i <= 32; i++) {
      const res = await post(id, `轮换地址第 ${i} 条`, { ip: `2001:db8:77:1::${i.toString(16)}` });
      if (res.statusCode === 429) refused++;
    }
    expect(refused).toBeGreaterThanOrEqual(2);
    // A neighbouring /64 (another customer of the same carrier) is not held to that one's limits.
    expect((await post(id, '隔壁网段', { ip: '2001:db8:77:2::1' })).statusCode).toBe(201);
  });

  it('treats a retried post as the same comment, also when both copies arrive at once', async () => {
    const id = await published();
    const first = await post(id, '网络不好，重试一下', { ip: '192.0.2.50' });
    const cookie = readerCookie(first)!;
    const again = await post(id, '网络不好，重试一下', { ip: '192.0.2.50', cookie });
    expect(again.statusCode).toBe(200);
    expect(json(again)).toMatchObject({ repeated: true, comment: { id: json(first).comment.id } });
    // A first post without a cookie, sent again once its answer (and so the cookie) arrived: still the same comment.
    const fresh = await post(id, '新读者的第一条', { ip: '192.0.2.53' });
    expect(fresh.statusCode).toBe(201);
    const resent = await post(id, '新读者的第一条', { ip: '192.0.2.53', cookie: readerCookie(fresh)! });
    expect(resent.statusCode).toBe(200);
    expect(json(resent)).toMatchObject({ repeated: true, comment: { id: json(fresh).comment.id } });
    // Without a cookie again (the first answer was lost): nothing tells this sender from another reader at the same
    // address, so the words are refused as a repeat, and nobody's comment is handed back.
    const lost = await post(id, '第一次的回答丢了', { ip: '192.0.2.51' });
    const retried = await post(id, '第一次的回答丢了', { ip: '192.0.2.51' });
    expect(retried.statusCode).toBe(409);
    expect(json(retried)).toEqual({ error: { code: 'duplicate_comment', message: expect.any(String) } });
    expect(readerCookie(retried)).toBeUndefined();
    expect((await rows(id)).filter((r) => r.body === '第一次的回答丢了').map((r) => r.id)).toEqual([json(lost).comment.id]);
    // A double submit: both at once.
    const both = await Promise.all([post(id, '双击提交', { ip: '192.0.2.52', cookie }), post(id, '双击提交', { ip: '192.0.2.52', cookie })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    expect((await rows(id)).filter((r) => r.body === '双击提交')).toHaveLength(1);
    // After the retry window the same words are a new comment.
    t.clock.advance(11 * 60_000);
    expect((await post(id, '网络不好，重试一下', { ip: '192.0.2.50', cookie })).statusCode).toBe(201);
    expect((await rows(id)).filter((r) => r.body === '网络不好，重试一下')).toHaveLength(2);
  });

  it("never hands one reader's cookie to another who posts the same words from the same address", async () => {
    // A post-moderated channel: the first comment, nickname and all, is on the page for anyone to copy.
    const ch = await channelId('keji');
    expect((await act(admin, 'PUT', `/comments/settings/${ch}`, { moderation: 'post' })).statusCode).toBe(200);
    const id = await published('keji');
    // Reader A votes (so their cookie means something) and comments; B shares A's address (a café, a carrier's NAT).
    const ip = '192.0.2.60';
    const first = await post(id, '顶', { ip });
    const victim = readerCookie(first)!;
    expect(json(first).comment.status).toBe('approved');
    const voted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/reactions`,
      remoteAddress: ip,
      headers: { cookie: `inkstone_reader=${victim}` },
      payload: { mood: 'sad' },
    });
    expect(voted.statusCode).toBe(200);
    const copied = await post(id, '顶', { ip });
    expect(copied.statusCode).toBe(409);
    expect(JSON.stringify(json(copied))).not.toContain(String(json(first).comment.id));
    const handed = readerCookie(copied);
    expect(handed === undefined || handed !== victim).toBe(true);
    // Whatever cookie B holds now, it does not show or move A's vote.
    const mine = await t.app.inject({ url: `/api/v1/articles/${id}/reactions`, headers: handed ? { cookie: `inkstone_reader=${handed}` } : {} });
    expect(json(mine).mine).toBeNull();
    // The same through the form without JavaScript.
    const form = await t.app.inject({
      method: 'POST',
      url: `/a/${id}/comments`,
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `body=${encodeURIComponent('顶')}`,
    });
    expect(form.statusCode).toBe(409);
    expect(form.body).toContain('留言未能提交');
    expect(readerCookie(form)).not.toBe(victim);
  });

  it("takes a second reader's identical words from the same address as their own comment, never answering with the first reader's", async () => {
    const ch = await channelId('keji');
    expect((await act(admin, 'PUT', `/comments/settings/${ch}`, { moderation: 'post' })).statusCode).toBe(200);
    const id = await published('keji');
    // Two colleagues behind the office's one address, each a reader the site knows (each has voted before).
    const ip = '192.0.2.70';
    const colleague = async () => {
      const voted = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/reactions`, remoteAddress: ip, payload: { mood: 'like' } });
      return readerCookie(voted)!;
    };
    const a = await colleague();
    const b = await colleague();
    expect(a).not.toBe(b);
    const first = await post(id, '支持！', { ip, cookie: a });
    expect(first.statusCode, first.body).toBe(201);
    const second = await post(id, '支持！', { ip, cookie: b });
    expect(second.statusCode, second.body).toBe(201);
    expect(json(second)).toMatchObject({ repeated: false, comment: { body: '支持！', nickname: '网友' } });
    expect(json(second).comment.id).not.toBe(json(first).comment.id);
    expect(readerCookie(second)).toBeUndefined();
    // Each one's retry is their own comment again, whichever was first.
    const againB = await post(id, '支持！', { ip, cookie: b });
    expect(againB.statusCode).toBe(200);
    expect(json(againB)).toMatchObject({ repeated: true, comment: { id: json(second).comment.id } });
    const againA = await post(id, '支持！', { ip, cookie: a });
    expect(json(againA)).toMatchObject({ repeated: true, comment: { id: json(first).comment.id } });
    // Both show under the article; the like of one is not the other's.
    expect((await listed(id)).items.map((c: { body: string }) => c.body)).toEqual(['支持！', '支持！']);
    const stored = await rows(id);
    expect(stored.map((r) => r.reader_id).sort()).toEqual([a, b].map((c) => c.split('.')[0]).sort());
  });

  it('lets one of two moderators decide a comment at once; the other is told', async () => {
    const id = await published();
    const a = json(await post(id, '同时批准')).comment;
    const both = await Promise.all([act(editor, 'POST', `/comments/${a.id}/approve`), act(editor2, 'POST', `/comments/${a.id}/approve`)]);
    expect(both.map((r) => r.statusCode)).toEqual([200, 200]);
    expect((await audits('comment.approve')).filter((e) => JSON.parse(e.detail).comment === a.id)).toHaveLength(1);

    const b = json(await post(id, '一个批准一个删除')).comment;
    const [approve, reject] = await Promise.all([act(editor, 'POST', `/comments/${b.id}/approve`), act(editor2, 'POST', `/comments/${b.id}/reject`)]);
    const final = (await rows(id)).find((r) => r.id === b.id)!;
    if (approve.statusCode === 409) {
      expect(json(approve).error.code).toBe('comment_decided');
      expect(final.status).toBe('rejected');
    } else {
      // Approved first, then removed by the other: both acted, in that order.
      expect([approve.statusCode, reject.statusCode]).toEqual([200, 200]);
      expect(final.status).toBe('rejected');
    }
    // A rejected comment cannot be approved behind the other moderator's back.
    const late = await act(editor, 'POST', `/comments/${b.id}/approve`);
    expect(late.statusCode).toBe(409);
    expect(json(late).error.code).toBe('comment_decided');
  });

  it('counts likes exactly: one per reader, under a storm of readers at once', async () => {
    const id = await published();
    const c = json(await post(id, '点赞我')).comment;
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/comments/${c.id}/likes`, remoteAddress: freshIp() })).statusCode).toBe(404);
    await act(editor, 'POST', `/comments/${c.id}/approve`);
    const readers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/comments/${c.id}/likes`, remoteAddress: `172.16.${i}.1` });
        expect(res.statusCode).toBe(200);
        return readerCookie(res)!;
      }),
    );
    // Each reader again (and at once): nothing changes.
    await Promise.all(
      readers.map((cookie, i) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/comments/${c.id}/likes`,
          remoteAddress: `172.16.${i}.1`,
          headers: { cookie: `inkstone_reader=${cookie}` },
        }),
      ),
    );
    const likeRows = await t.db.database.db
      .withTables<{ comment_likes: any }>()
      .selectFrom('comment_likes')
      .selectAll()
      .where('comment_id', '=', c.id)
      .execute();
    expect(likeRows).toHaveLength(30);
    expect((await rows(id)).find((r) => r.id === c.id)!.likes).toBe(30);
    const mine = json(await t.app.inject({ url: `/api/v1/articles/${id}/comments`, headers: { cookie: `inkstone_reader=${readers[0]}` } }));
    expect(mine.liked).toEqual([c.id]);
  });

  it('takes no like for a comment under an article taken off the site', async () => {
    const id = await published();
    const c = json(await post(id, '下线前的留言')).comment;
    await act(editor, 'POST', `/comments/${c.id}/approve`);
    const unpublished = await act(editor, 'POST', `/articles/${id}/unpublish`);
    expect(unpublished.statusCode, unpublished.body).toBe(200);
    const like = await t.app.inject({ method: 'POST', url: `/api/v1/comments/${c.id}/likes`, remoteAddress: freshIp() });
    expect(like.statusCode).toBe(404);
    expect(json(like).error.code).toBe('not_found');
    const form = await t.app.inject({ method: 'POST', url: `/a/${id}/comments/${c.id}/like`, remoteAddress: freshIp() });
    expect(form.statusCode).toBe(404);
    expect((await rows(id)).find((r) => r.id === c.id)!.likes).toBe(0);
  });

  it('refuses bad input with clear 4xx and writes nothing', async () => {
    const id = await published();
    const cases: [unknown, number, string][] = [
      ['', 400, 'required'],
      ['   \n\t ', 400, 'required'],
      ['字'.repeat(501), 400, 'too_long'],
      [42, 400, 'invalid_input'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(id, body);
      expect(res.statusCode, String(body).slice(0, 20)).toBe(status);
      expect(json(res).error.code).toBe(code);
    }
    expect((await post(id, '昵称太长', { nickname: '长'.repeat(21) })).statusCode).toBe(400);
    expect(json(await post(id, '字'.repeat(500))).comment.body).toHaveLength(500);
    const extra = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/comments`,
      remoteAddress: freshIp(),
      payload: { body: '你好', admin: true },
    });
    expect(extra.statusCode).toBe(400);
    const huge = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/comments`,
      remoteAddress: freshIp(),
      payload: { body: '字'.repeat(20_000) },
    });
    expect(huge.statusCode).toBe(413);
    const foreign = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${id}/comments`,
      remoteAddress: freshIp(),
      headers: { origin: 'https://evil.example' },
      payload: { body: '跨站' },
    });
    expect(foreign.statusCode).toBe(403);
    expect((await post(999_999, '不存在的文章')).statusCode).toBe(404);
    const draft = await createArticle(t.app, editor);
    expect((await post(draft.id, '草稿')).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/comments?status=unknown', headers: { authorization: editor } })).statusCode).toBe(400);
    expect((await rows(id)).map((r) => r.body)).toEqual(['字'.repeat(500)]);
  });

  it('keeps bidi overrides out of comments and refuses text that shows nothing', async () => {
    const id = await published();
    // Invisible characters only (zero-width space, word joiner, soft hyphen, Hangul filler): nothing to show.
    for (const body of ['\u200b\u200b\u200b', '\u2060 \u00ad', '\u3164', '\ufeff\u200d\u202e']) {
      const res = await post(id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(res).error.code).toBe('required');
    }
    expect(await rows(id)).toHaveLength(0);
    // An unclosed right-to-left override would turn the time beside the nickname around; an invisible nickname is 网友.
    const res = await post(id, '\u202e反转\u2067的留言\u202c', { nickname: '\u202e江城\u2066网友' });
    expect(res.statusCode, res.body).toBe(201);
    expect(json(res).comment).toMatchObject({ nickname: '江城网友', body: '反转的留言' });
    expect(json(await post(id, '看不见的昵称', { nickname: '\u200b\u200b' })).comment.nickname).toBe('网友');
    // Joiners inside an emoji sequence stay: it is one family, not three people.
    expect(json(await post(id, '全家👨\u200d👩\u200d👧')).comment.body).toBe('全家👨\u200d👩\u200d👧');
    const stored = (await rows(id)).map((r) => `${r.nickname}${r.body}`).join('');
    expect(stored).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it('works without JavaScript: the form posts, a page says 留言已提交，审核后显示, likes land back on the comment', async () => {
    const id = await published();
    const form = (fields: Record<string, string>, ip = freshIp()) =>
      t.app.inject({
        method: 'POST',
        url: `/a/${id}/comments`,
        remoteAddress: ip,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    const res = await form({ nickname: '老读者', body: '没有脚本也能留言' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('留言已提交，审核后显示');
    expect(readerCookie(res)).toBeTruthy();
    const blocked = await form({ body: '有违禁词' });
    expect(blocked.statusCode).toBe(400);
    expect(blocked.body).toContain('留言含有不允许发布的内容');
    const empty = await form({ body: '' });
    expect(empty.statusCode).toBe(400);

    const c = (await rows(id)).find((r) => r.body === '没有脚本也能留言')!;
    await act(editor, 'POST', `/comments/${c.id}/approve`);
    const page = (await t.app.inject({ url: `/a/${id}` })).body;
    expect(page).toContain(`action="/a/${id}/comments"`);
    expect(page).toContain(`action="/a/${id}/comments/${c.id}/like"`);
    const like = await t.app.inject({ method: 'POST', url: `/a/${id}/comments/${c.id}/like`, remoteAddress: freshIp() });
    expect(like.statusCode).toBe(303);
    expect(like.headers.location).toBe(`/a/${id}#c${c.id}`);
    expect((await rows(id)).find((r) => r.id === c.id)!.likes).toBe(1);
  });

  it('shows the newest 50 under the article and the older ones on pages of their own', async () => {
    const id = await published('keji');
    expect((await act(admin, 'PUT', `/comments/settings/${await channelId('keji')}`, { moderation: 'post' })).statusCode).toBe(200);
    // keji is post-moderated: 55 comments from 55 readers appear at once.
    for (let i = 1; i <= 55; i++) expect((await post(id, `第${i}条留言`, { ip: `10.200.${i}.1` })).statusCode).toBe(201);
    const page = (await t.app.inject({ url: `/a/${id}` })).body;
    // The total counts every approved comment, not only the page's 50.
    expect(page).toContain('网友留言<span class="comments-total">（55）</span>');
    expect(await listed(id)).toMatchObject({ total: 55 });
    expect(page).toContain('第55条留言');
    expect(page).toContain('第6条留言');
    expect(page).not.toContain('第5条留言<');
    const more = /href="(\/a\/\d+\/comments\?before=\d+)"/.exec(page)![1]!;
    const older = await t.app.inject({ url: more });
    expect(older.statusCode).toBe(200);
    expect(older.headers['cache-control']).toBe('public, max-age=60');
    for (let i = 1; i <= 5; i++) expect(older.body).toContain(`第${i}条留言<`);
    expect(older.body).not.toContain('第6条留言<');
    expect((await t.app.inject({ url: `/a/${id}/comments?before=abc` })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/a/999999/comments' })).statusCode).toBe(404);
  });
});
