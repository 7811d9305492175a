import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createContainer } from '../../src/container.ts';
import { STORES, openTestDatabase } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { loadConfig } from '../../src/config.ts';
import { createAccount } from '../../src/domain/accounts/service.ts';

/** The newsroom UI's API: review, history, sources, people, tokens, curation, and the /admin pages. */
describe.each(STORES)('newsroom API on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string; username: string; id: number };
  let editor: { auth: string; username: string; id: number };
  let reporter: { auth: string; username: string; id: number };
  const as = (who: { auth: string }) => ({ authorization: who.auth });

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.user('admin');
    editor = await t.user('editor');
    reporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const call = (who: { auth: string }, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: as(who), payload });

  describe('责编', () => {
    it('is the editor who publishes or schedules, unless the newsroom named one', async () => {
      const named = await call(admin, 'PATCH', `/api/v1/accounts/${editor.username}`, { displayName: '陈静' });
      expect(named.statusCode).toBe(200);
      const unnamed = await createArticle(t.app, reporter.auth, { editor: '' });
      const published = json(await call(editor, 'POST', `/api/v1/articles/${unnamed.id}/publish`));
      expect(published.editor).toBe('陈静');
      expect((await t.app.inject({ url: `/a/${unnamed.id}` })).body).toContain('责编：陈静');
      const scheduled = await createArticle(t.app, reporter.auth, { editor: '' });
      const at = new Date(t.clock.now() + 3_600_000).toISOString();
      expect(json(await call(editor, 'POST', `/api/v1/articles/${scheduled.id}/schedule`, { at })).editor).toBe('陈静');
      const chosen = await createArticle(t.app, reporter.auth, { editor: '王磊' });
      expect(json(await call(editor, 'POST', `/api/v1/articles/${chosen.id}/publish`)).editor).toBe('王磊');
    });
  });

  describe('return with a comment', () => {
    it('sends a submitted article back as a draft and keeps the comment in the revision and the audit log', async () => {
      const a = await createArticle(t.app, reporter.auth);
      await call(reporter, 'POST', `/api/v1/articles/${a.id}/submit`);
      const back = await call(editor, 'POST', `/api/v1/articles/${a.id}/return`, { comment: '导语太长，\n请压缩到两句。' });
      expect(back.statusCode, back.body).toBe(200);
      expect(json(back).status).toBe('draft');
      const [latest] = json(await call(reporter, 'GET', `/api/v1/articles/${a.id}/revisions`)).items;
      expect(latest).toMatchObject({ action: 'return', author: editor.username, note: '导语太长，\n请压缩到两句。', status: 'draft' });
      const audit = json(await call(editor, 'GET', '/api/v1/audit?limit=5')).items;
      expect(audit.find((e: { action: string; subjectId: string }) => e.action === 'article.return' && e.subjectId === String(a.id)).detail.note).toBe(
        '导语太长，\n请压缩到两句。',
      );
      // The reporter can work on it again.
      expect((await call(reporter, 'PATCH', `/api/v1/articles/${a.id}`, { title: '压缩导语后的标题' })).statusCode).toBe(200);
    });

    it('needs a comment, and only a submitted article can be returned', async () => {
      const a = await createArticle(t.app, reporter.auth);
      const draft = await call(editor, 'POST', `/api/v1/articles/${a.id}/return`, { comment: '请修改' });
      expect(draft.statusCode).toBe(409);
      await call(reporter, 'POST', `/api/v1/articles/${a.id}/submit`);
      for (const payload of [{}, { comment: '' }, { comment: '   ' }, { comment: 'x'.repeat(1001) }, { comment: '好', extra: 1 }]) {
        const res = await call(editor, 'POST', `/api/v1/articles/${a.id}/return`, payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      }
      expect(json(await call(editor, 'GET', `/api/v1/articles/${a.id}`)).status).toBe('submitted');
    });
  });

  describe('restoring a revision', () => {
    it('brings old content back as a new revision and leaves the history intact', async () => {
      const a = await createArticle(t.app, reporter.auth, { title: '第一版标题', body: '<p>第一版正文。</p>' });
      await call(reporter, 'PATCH', `/api/v1/articles/${a.id}`, { title: '第二版标题', body: '<p>第二版正文。</p>', tags: ['新标签'] });
      const restored = await call(reporter, 'POST', `/api/v1/articles/${a.id}/revisions/1/restore`);
      expect(restored.statusCode, restored.body).toBe(200);
      expect(json(restored)).toMatchObject({ title: '第一版标题', body: '<p>第一版正文。</p>', tags: ['江城', '地铁'], revision: 3 });
      const revisions = json(await call(reporter, 'GET', `/api/v1/articles/${a.id}/revisions`)).items;
      expect(revisions.map((r: { number: number; action: string }) => [r.number, r.action])).toEqual([
        [3, 'restore'],
        [2, 'edit'],
        [1, 'create'],
      ]);
      expect(revisions[0].note).toBe('恢复自第 1 版');
      expect(revisions[1].content.title).toBe('第二版标题');
      // Restoring what is already there adds nothing.
      await call(reporter, 'POST', `/api/v1/articles/${a.id}/revisions/3/restore`);
      expect(json(await call(reporter, 'GET', `/api/v1/articles/${a.id}`)).revision).toBe(3);
    });

    it('restores into the revision’s channel after the channel moved, not a 400 or another channel now at its old path', async () => {
      const moved = json(await call(admin, 'POST', '/api/v1/channels', { slug: 'banjia', name: '搬家', parent: 'difang' }));
      const a = await createArticle(t.app, reporter.auth, { title: '搬家前', channel: 'difang/banjia' });
      await call(reporter, 'PATCH', `/api/v1/articles/${a.id}`, { title: '改到要闻', channel: 'difang/yaowen' });
      expect((await call(admin, 'PATCH', `/api/v1/channels/${moved.id}`, { parent: 'keji' })).statusCode).toBe(200);
      // Another channel takes the old path: the restore must not file the article there.
      expect((await call(admin, 'POST', '/api/v1/channels', { slug: 'banjia', name: '新的同名频道', parent: 'difang' })).statusCode).toBe(201);
      const restored = await call(reporter, 'POST', `/api/v1/articles/${a.id}/revisions/1/restore`);
      expect(restored.statusCode, restored.body).toBe(200);
      expect(json(restored)).toMatchObject({ title: '搬家前', channel: 'keji/banjia' });
    });

    it('answers 404 for a revision that does not exist and 400 for a malformed number', async () => {
      const a = await createArticle(t.app, reporter.auth);
      expect((await call(reporter, 'POST', `/api/v1/articles/${a.id}/revisions/99/restore`)).statusCode).toBe(404);
      expect((await call(reporter, 'POST', `/api/v1/articles/${a.id}/revisions/abc/restore`)).statusCode).toBe(400);
      expect((await call(reporter, 'POST', '/api/v1/articles/999999/revisions/1/restore')).statusCode).toBe(404);
    });
  });

  it('pages the audit log by id, newest first', async () => {
    const first = json(await call(editor, 'GET', '/api/v1/audit?limit=3'));
    expect(first.items).toHaveLength(3);
    const ids = first.items.map((e: { id: number }) => e.id);
    expect([...ids].sort((x: number, y: number) => y - x)).toEqual(ids);
    const second = json(await call(editor, 'GET', `/api/v1/audit?limit=3&before=${first.next}`));
    expect(second.items[0].id).toBeLessThan(ids[2]);
    expect((await call(editor, 'GET', '/api/v1/audit?limit=500')).statusCode).toBe(400);
  });

  it('keeps a reusable list of sources: new names are added, known names get their URL updated', async () => {
    const created = await call(reporter, 'POST', '/api/v1/sources', { name: ' 新华社 ', url: 'https://www.news.cn/' });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toMatchObject({ name: '新华社', url: 'https://www.news.cn/' });
    const again = await call(editor, 'POST', '/api/v1/sources', { name: '新华社', url: 'https://english.news.cn/' });
    expect(again.statusCode).toBe(200);
    expect(json(again).id).toBe(json(created).id);
    const list = json(await call(reporter, 'GET', '/api/v1/sources')).items;
    expect(list.filter((s: { name: string }) => s.name === '新华社')).toEqual([{ id: json(created).id, name: '新华社', url: 'https://english.news.cn/' }]);
    for (const bad of [{ name: '' }, { name: '坏网址', url: 'javascript:alert(1)' }, { name: 'x'.repeat(101) }]) {
      expect((await call(reporter, 'POST', '/api/v1/sources', bad)).statusCode, JSON.stringify(bad)).toBe(400);
    }
  });

  describe('the channel tree', () => {
    const channels = async () =>
      json(await t.app.inject({ url: '/api/v1/channels' })).items as { id: number; path: string; name: string; parent: string | null; position: number }[];
    const byPath = async (path: string) => (await channels()).find((c) => c.path === path)!;

    it('renames, and moves a channel with its whole subtree; articles follow their channel', async () => {
      await call(admin, 'POST', '/api/v1/channels', { slug: 'shehui', name: '社会' });
      await call(admin, 'POST', '/api/v1/channels', { slug: 'fazhi', name: '法治', parent: 'shehui' });
      await call(admin, 'POST', '/api/v1/channels', { slug: 'anjian', name: '案件', parent: 'shehui/fazhi' });
      const a = await createArticle(t.app, reporter.auth, { channel: 'shehui/fazhi/anjian' });
      const fazhi = await byPath('shehui/fazhi');
      const moved = await call(admin, 'PATCH', `/api/v1/channels/${fazhi.id}`, { parent: 'difang', name: '法治在线' });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(json(moved)).toMatchObject({ path: 'difang/fazhi', name: '法治在线', parent: 'difang' });
      const paths = (await channels()).map((c) => c.path);
      expect(paths).toEqual(expect.arrayContaining(['difang/fazhi', 'difang/fazhi/anjian']));
      expect(paths.filter((p) => p.startsWith('shehui/'))).toEqual([]);
      expect(json(await call(reporter, 'GET', `/api/v1/articles/${a.id}`)).channel).toBe('difang/fazhi/anjian');
      // And back to the top level.
      const top = await call(admin, 'PATCH', `/api/v1/channels/${fazhi.id}`, { parent: null });
      expect(json(top)).toMatchObject({ path: 'fazhi', parent: null });
      expect((await byPath('fazhi/anjian')).name).toBe('案件');
    });

    it('refuses a move under itself or onto a taken path, and an unknown parent', async () => {
      await call(admin, 'POST', '/api/v1/channels', { slug: 'wenhua', name: '文化' });
      await call(admin, 'POST', '/api/v1/channels', { slug: 'shuhua', name: '书画', parent: 'wenhua' });
      await call(admin, 'POST', '/api/v1/channels', { slug: 'shuhua', name: '书画', parent: 'keji' });
      const wenhua = await byPath('wenhua');
      expect(json(await call(admin, 'PATCH', `/api/v1/channels/${wenhua.id}`, { parent: 'wenhua/shuhua' })).error.code).toBe('cycle');
      expect(json(await call(admin, 'PATCH', `/api/v1/channels/${wenhua.id}`, { parent: 'wenhua' })).error.code).toBe('cycle');
      const shuhua = await byPath('wenhua/shuhua');
      const taken = await call(admin, 'PATCH', `/api/v1/channels/${shuhua.id}`, { parent: 'keji' });
      expect(taken.statusCode).toBe(409);
      expect((await call(admin, 'PATCH', `/api/v1/channels/${shuhua.id}`, { parent: 'nowhere' })).statusCode).toBe(400);
      expect((await call(admin, 'PATCH', '/api/v1/channels/999999', { name: '无' })).statusCode).toBe(404);
      expect((await call(admin, 'PATCH', `/api/v1/channels/${shuhua.id}`, {})).statusCode).toBe(400);
      expect((await byPath('wenhua/shuhua')).id).toBe(shuhua.id);
    });

    it('orders siblings', async () => {
      for (const slug of ['a1', 'a2', 'a3']) await call(admin, 'POST', '/api/v1/channels', { slug, name: slug, parent: 'keji' });
      const order = async () =>
        (await channels())
          .filter((c) => c.parent === 'keji')
          .sort((x, y) => x.position - y.position)
          .map((c) => c.path.split('/')[1]);
      const before = await order();
      const a3 = await byPath('keji/a3');
      expect((await call(admin, 'PATCH', `/api/v1/channels/${a3.id}`, { position: 0 })).statusCode).toBe(200);
      expect(await order()).toEqual(['a3', ...before.filter((s) => s !== 'a3')]);
      expect((await call(admin, 'PATCH', `/api/v1/channels/${a3.id}`, { position: 99 })).statusCode).toBe(200);
      expect((await order()).at(-1)).toBe('a3');
    });
  });

  it('edits a topic: its title, cover and its articles in order', async () => {
    const [x, y, z] = [await createArticle(t.app, reporter.auth), await createArticle(t.app, reporter.auth), await createArticle(t.app, reporter.auth)];
    const topic = json(await call(editor, 'POST', '/api/v1/topics', { slug: 'shidi', title: '湿地', articles: [x.id, y.id] }));
    const edited = await call(editor, 'PATCH', `/api/v1/topics/${topic.id}`, {
      title: '湿地保护',
      cover: '/media/2026/11/cover.jpg',
      articles: [z.id, x.id, y.id],
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(json(edited)).toMatchObject({ title: '湿地保护', cover: '/media/2026/11/cover.jpg', articles: [z.id, x.id, y.id] });
    expect((await call(editor, 'PATCH', `/api/v1/topics/${topic.id}`, { articles: [999999] })).statusCode).toBe(400);
    expect((await call(editor, 'PATCH', `/api/v1/topics/${topic.id}`, { cover: 'javascript:alert(1)' })).statusCode).toBe(400);
    expect((await call(editor, 'PATCH', '/api/v1/topics/999999', { title: '无' })).statusCode).toBe(404);
    expect(json(await call(editor, 'GET', '/api/v1/topics')).items.find((tp: { id: number }) => tp.id === topic.id).articles).toEqual([z.id, x.id, y.id]);
  });

  /** A reporter's draft, a story scheduled an hour ahead and a published one. */
  const draftScheduledLive = async () => {
    const made = [await createArticle(t.app, reporter.auth), await createArticle(t.app, reporter.auth), await createArticle(t.app, reporter.auth)] as const;
    const at = new Date(t.clock.now() + 3_600_000).toISOString();
    expect((await call(editor, 'POST', `/api/v1/articles/${made[1].id}/schedule`, { at })).statusCode).toBe(200);
    await publish(t.app, editor.auth, made[2].id);
    return made;
  };

  it('shows readers only the published articles of a topic, never which drafts or scheduled stories it will hold', async () => {
    const [draft, scheduled, live] = await draftScheduledLive();
    const topic = json(await call(editor, 'POST', '/api/v1/topics', { slug: 'weilai', title: '未来', articles: [draft.id, scheduled.id, live.id] }));
    const articlesOf = (items: { id: number; articles: number[] }[]) => items.find((tp) => tp.id === topic.id)?.articles;
    expect(articlesOf(json(await t.app.inject({ url: '/api/v1/topics' })).items)).toEqual([live.id]);
    // A reporter is not the topic's editor and may not read others' drafts either.
    expect(articlesOf(json(await call(reporter, 'GET', '/api/v1/topics')).items)).toEqual([live.id]);
    // The editors choosing the topic's articles see all of them, or a save of the list would drop the unpublished ones.
    expect(articlesOf(json(await call(editor, 'GET', '/api/v1/topics')).items)).toEqual([draft.id, scheduled.id, live.id]);
  });

  it('shows readers only the published articles of a home-page slot, never the drafts or scheduled stories placed in it', async () => {
    const [draft, scheduled, live] = await draftScheduledLive();
    const items = [{ article: draft.id }, { article: scheduled.id }, { article: live.id }];
    expect((await call(editor, 'PUT', '/api/v1/slots/focus', { items })).statusCode).toBe(200);
    const articlesOf = (res: { body: string }) => json(res).items.map((i: { article: number }) => i.article);
    expect(articlesOf(await t.app.inject({ url: '/api/v1/slots/focus' }))).toEqual([live.id]);
    expect(articlesOf(await call(reporter, 'GET', '/api/v1/slots/focus'))).toEqual([live.id]);
    expect(articlesOf(await call(editor, 'GET', '/api/v1/slots/focus'))).toEqual([draft.id, scheduled.id, live.id]);
  });

  describe('accounts', () => {
    it('shows everyone the active people, and admins everyone with their state', async () => {
      const gone = await t.user('reporter');
      await call(admin, 'PATCH', `/api/v1/accounts/${gone.username}`, { disabled: true });
      const forReporter = json(await call(reporter, 'GET', '/api/v1/accounts')).items;
      const forAdmin = json(await call(admin, 'GET', '/api/v1/accounts')).items;
      expect(forReporter.some((p: { username: string }) => p.username === gone.username)).toBe(false);
      expect(forAdmin.find((p: { username: string }) => p.username === gone.username).disabled).toBe(true);
      for (const p of forAdmin) expect(Object.keys(p).sort()).toEqual(['createdAt', 'disabled', 'displayName', 'id', 'role', 'username']);
      // A disabled account's token stops working at once.
      expect((await call(gone, 'GET', '/api/v1/articles')).statusCode).toBe(401);
    });

    it('a new role applies to the next request', async () => {
      const promoted = await t.user('reporter');
      const a = await createArticle(t.app, promoted.auth);
      expect((await call(promoted, 'POST', `/api/v1/articles/${a.id}/publish`)).statusCode).toBe(403);
      expect((await call(admin, 'PATCH', `/api/v1/accounts/${promoted.username}`, { role: 'editor' })).statusCode).toBe(200);
      expect((await call(promoted, 'POST', `/api/v1/articles/${a.id}/publish`)).statusCode).toBe(200);
    });

    it('creates accounts with the rules of the CLI, and an admin cannot lock themselves out', async () => {
      const created = await call(admin, 'POST', '/api/v1/accounts', { username: 'Li.Hua', displayName: '李华', role: 'editor', password: 'a long password' });
      expect(created.statusCode, created.body).toBe(201);
      expect(json(created)).toMatchObject({ username: 'li.hua', displayName: '李华', role: 'editor', disabled: false });
      expect((await call(admin, 'POST', '/api/v1/accounts', { username: 'li.hua', role: 'editor', password: 'a long password' })).statusCode).toBe(409);
      expect((await call(admin, 'POST', '/api/v1/accounts', { username: 'x', role: 'editor', password: 'a long password' })).statusCode).toBe(400);
      expect((await call(admin, 'POST', '/api/v1/accounts', { username: 'shorty', role: 'editor', password: 'short' })).statusCode).toBe(400);
      expect((await call(admin, 'POST', '/api/v1/accounts', { username: 'boss', role: 'owner', password: 'a long password' })).statusCode).toBe(400);
      expect((await call(admin, 'PATCH', `/api/v1/accounts/${admin.username}`, { disabled: true })).statusCode).toBe(403);
      expect((await call(admin, 'PATCH', `/api/v1/accounts/${admin.username}`, { role: 'editor' })).statusCode).toBe(403);
      expect((await call(admin, 'PATCH', '/api/v1/accounts/nobody-here', { role: 'editor' })).statusCode).toBe(404);
    });
  });

  describe('API tokens', () => {
    it('shows a new token once, lists tokens without secrets, and a revoked token stops at once', async () => {
      const made = await call(admin, 'POST', '/api/v1/tokens', { username: reporter.username, name: '导入脚本' });
      expect(made.statusCode).toBe(201);
      const { id, token } = json(made);
      expect(token).toMatch(/^ink_/);
      expect((await t.app.inject({ url: '/api/v1/articles', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      const list = await call(admin, 'GET', '/api/v1/tokens');
      expect(list.body).not.toContain(token);
      const listed = json(list).items.find((x: { id: number }) => x.id === id);
      expect(Object.keys(listed).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'username']);
      expect(listed).toMatchObject({ username: reporter.username, name: '导入脚本', revokedAt: null });
      expect(listed.lastUsedAt).not.toBeNull();
      expect((await call(admin, 'DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(204);
      expect((await t.app.inject({ url: '/api/v1/articles', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
      expect((await call(admin, 'DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(204);
      expect((await call(admin, 'DELETE', '/api/v1/tokens/999999')).statusCode).toBe(404);
      expect((await call(admin, 'POST', '/api/v1/tokens', { username: 'nobody-here', name: 'x' })).statusCode).toBe(404);
    });
  });

  describe('the /admin pages', () => {
    it('serves the shell for every newsroom path: never cached, no inline script, the admin bundle only', async () => {
      for (const url of ['/admin', '/admin/', '/admin/articles/new', '/admin/articles/12/history', '/admin/anything/else']) {
        const res = await t.app.inject({ url });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['x-cache']).toBeUndefined();
        expect(res.headers['content-security-policy']).toContain("script-src 'self'");
        const scripts = res.body.match(/<script[^>]*>/g) ?? [];
        expect(scripts).toEqual([expect.stringMatching(/^<script type="module" src="\/assets\/admin\.[0-9a-f]{12}\.js">$/)]);
        expect(res.body).not.toMatch(/\/assets\/app\.[0-9a-f]+\.js/);
        expect(res.body).toMatch(/<link rel="stylesheet" href="\/assets\/admin-style\.[0-9a-f]{12}\.css"/);
        expect(res.body).not.toMatch(/\sstyle="/);
      }
      const page = (await t.app.inject({ url: '/admin' })).body;
      const script = /src="(\/assets\/admin\.[0-9a-f]+\.js)"/.exec(page)![1]!;
      const asset = await t.app.inject({ url: script, headers: { 'accept-encoding': 'br' } });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
      expect(asset.headers['content-encoding']).toBe('br');
    });

    it('previews a draft as the reader page, never cached, with no reader script', async () => {
      const a = await createArticle(t.app, reporter.auth, {
        title: '预览中的草稿',
        body: '<p>草稿正文</p><figure><img src="/media/x.jpg" alt=""><figcaption>图注</figcaption></figure>',
      });
      const res = await t.app.inject({ url: `/admin/preview/${a.id}`, headers: as(reporter) });
      expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-robots-tag']).toContain('noindex');
      expect(res.headers['content-security-policy']).toContain("script-src 'none'");
      expect(res.body).toMatch(/<h1 data-article-title(="true")?>预览中的草稿<\/h1>/);
      expect(res.body).toContain('<figcaption>图注</figcaption>');
      expect(res.body).not.toMatch(/<script[^>]*src=/);
      // The reader site still has no such article.
      expect((await t.app.inject({ url: `/a/${a.id}` })).statusCode).toBe(404);
      expect((await t.app.inject({ url: '/admin/preview/999999', headers: as(editor) })).statusCode).toBe(404);
      expect((await t.app.inject({ url: '/admin/preview/abc', headers: as(editor) })).statusCode).toBe(404);
    });

    it('previews a published article with its live counts', async () => {
      const a = await createArticle(t.app, reporter.auth);
      await publish(t.app, editor.auth, a.id);
      const res = await t.app.inject({ url: `/admin/preview/${a.id}`, headers: as(editor) });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(a.title);
    });
  });
});

describe('logs', () => {
  it('never contain a password, a session cookie, a CSRF token or an API token', async () => {
    const db = await openTestDatabase('sqlite');
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({
      INKSTONE_DATA_DIR: db.dataDir,
      INKSTONE_SECRET: 'test-secret-0123456789abcdef',
      INKSTONE_DEMO: '0',
      INKSTONE_SITE_URL: 'http://news.example.test',
    });
    const { app, ctx } = await buildApp({ container: createContainer({ config, database: db.database }), logger: { level: 'trace', stream } });
    try {
      await createAccount(ctx, null, { username: 'chief', role: 'admin', password: 'chief password one' });
      const wrong = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'chief', password: 'guess password two' } });
      expect(wrong.statusCode).toBe(401);
      const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'chief', password: 'chief password one' } });
      const cookie = String(res.headers['set-cookie']).split(';')[0]!;
      const { csrfToken } = json(res);
      const headers = { cookie, 'x-csrf-token': csrfToken };
      const made = json(await app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { username: 'chief', name: 'ci' } }));
      await app.inject({ url: '/api/v1/articles', headers: { authorization: `Bearer ${made.token}` } });
      await app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers,
        payload: { username: 'newbie', role: 'reporter', password: 'newbie password three' },
      });
      await app.inject({
        method: 'POST',
        url: '/api/v1/accounts/chief/password',
        headers,
        payload: { password: 'chief password four', currentPassword: 'chief password one' },
      });
      await app.inject({ method: 'POST', url: '/api/v1/accounts/newbie/password', headers, payload: { password: 'reset password five' } });
      const log = lines.join('');
      expect(log.length).toBeGreaterThan(1000);
      for (const secret of [
        'chief password one',
        'guess password two',
        'newbie password three',
        'chief password four',
        'reset password five',
        cookie.split('=')[1]!,
        csrfToken,
        made.token,
      ]) {
        expect(log).not.toContain(secret);
      }
    } finally {
      await app.close();
      await db.cleanup();
    }
  });
});
