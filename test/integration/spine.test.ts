import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';

describe.each(STORES)('newsroom API on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let editor: string;
  let reporter: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = (await t.user('admin')).auth;
    editor = (await t.user('editor')).auth;
    reporter = (await t.user('reporter')).auth;
    await createChannels(t.app, admin);
  });
  afterAll(() => t.close());

  it('creates channels as a tree addressed by path', async () => {
    const res = await t.app.inject({ url: '/api/v1/channels' });
    expect(res.statusCode).toBe(200);
    const paths = json(res).items.map((c: { path: string }) => c.path);
    expect(paths).toEqual(expect.arrayContaining(['difang', 'difang/yaowen', 'keji']));
    const yaowen = json(res).items.find((c: { path: string }) => c.path === 'difang/yaowen');
    expect(yaowen).toMatchObject({ slug: 'yaowen', name: '要闻', parent: 'difang' });
  });

  it('creates a draft, publishes it, reads it back and shows it on the site and in the feed', async () => {
    const draft = await createArticle(t.app, reporter, { title: '怀柔科学城大科学装置通过验收' });
    expect(draft.status).toBe('draft');
    const got = json(await t.app.inject({ url: `/api/v1/articles/${draft.id}`, headers: { authorization: reporter } }));
    expect(got).toMatchObject({ title: '怀柔科学城大科学装置通过验收', channel: 'difang/yaowen', tags: ['江城', '地铁'], source: '砚台日报' });

    // Not public yet.
    expect((await t.app.inject({ url: `/a/${draft.id}` })).statusCode).toBe(404);

    const published = await publish(t.app, editor, draft.id);
    expect(published.status).toBe('published');
    expect(Date.parse(published.publishedAt)).toBe(t.clock.now());

    const page = await t.app.inject({ url: `/a/${draft.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('怀柔科学城大科学装置通过验收');
    expect(page.body).toContain('来源：砚台日报');
    expect(page.body).toContain('[ 责编：陈静 ]');

    const feed = json(await t.app.inject({ url: '/api/v1/feed?channel=difang' }));
    expect(feed.items[0]).toMatchObject({ id: draft.id, title: '怀柔科学城大科学装置通过验收', url: `http://news.example.test/a/${draft.id}` });
    const other = json(await t.app.inject({ url: '/api/v1/feed?channel=keji' }));
    expect(other.items.map((i: { id: number }) => i.id)).not.toContain(draft.id);
  });

  it('reads an article’s tags back exactly as given, in their order (on SQLite they come as JSON)', async () => {
    const tags = ['引号"标签', '反斜杠\\n', '😀表情', 'Zürich', '零'];
    const a = await createArticle(t.app, reporter, { tags });
    const got = json(await t.app.inject({ url: `/api/v1/articles/${a.id}`, headers: { authorization: reporter } }));
    expect(got.tags).toEqual(tags);
    const none = await createArticle(t.app, reporter, { tags: [] });
    expect(json(await t.app.inject({ url: `/api/v1/articles/${none.id}`, headers: { authorization: reporter } })).tags).toEqual([]);
  });

  it('keeps every change as a revision and records who did it', async () => {
    const a = await createArticle(t.app, reporter);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: { authorization: reporter }, payload: { subtitle: '副标题' } });
    await t.app.inject({ method: 'POST', url: `/api/v1/articles/${a.id}/submit`, headers: { authorization: reporter } });
    await publish(t.app, editor, a.id);
    const res = await t.app.inject({ url: `/api/v1/articles/${a.id}/revisions`, headers: { authorization: editor } });
    const items = json(res).items as { number: number; action: string; content: { subtitle: string } }[];
    expect(items.map((r) => [r.number, r.action])).toEqual([
      [4, 'publish'],
      [3, 'submit'],
      [2, 'edit'],
      [1, 'create'],
    ]);
    expect(items[2]!.content.subtitle).toBe('副标题');
  });

  it('sanitizes article HTML on every write', async () => {
    const a = await createArticle(t.app, reporter, {
      title: '<script>alert(1)</script>标题',
      body: '<p onclick="x()">正文<script>alert(1)</script><a href="javascript:alert(1)">链接</a><img src="data:image/png;base64,AAAA" onerror="x()"><iframe src="https://evil"></iframe><svg><script>1</script></svg></p><style>p{}</style><h2>小标题</h2><figure><img src="https://img.example/a.jpg" alt="图"><figcaption>说明</figcaption></figure>',
    });
    const got = json(await t.app.inject({ url: `/api/v1/articles/${a.id}`, headers: { authorization: reporter } }));
    expect(got.body).not.toMatch(/script|onclick|onerror|javascript:|data:|iframe|svg|style/i);
    expect(got.body).toContain('<h2>小标题</h2>');
    expect(got.body).toContain(
      '<figure><img src="https://img.example/a.jpg" alt="图" loading="lazy" decoding="async" /><figcaption>说明</figcaption></figure>',
    );
    // Titles are plain text: kept literally and escaped when rendered.
    expect(got.title).toBe('<script>alert(1)</script>标题');
    await publish(t.app, editor, a.id);
    const page = await t.app.inject({ url: `/a/${a.id}` });
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toMatch(/<h1[^>]*>&lt;script>alert\(1\)&lt;\/script>标题<\/h1>/);
  });

  it('schedules an article and publishes it exactly once when due', async () => {
    const a = await createArticle(t.app, reporter);
    const at = new Date(t.clock.now() + 3600_000).toISOString();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${a.id}/schedule`, headers: { authorization: editor }, payload: { at } });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ status: 'scheduled', scheduledAt: at });
    const { publishDueArticles } = await import('../../src/domain/articles/service.ts');
    expect(await publishDueArticles(t.ctx)).toEqual([]);
    t.clock.advance(3600_000);
    const [first, second] = await Promise.all([publishDueArticles(t.ctx), publishDueArticles(t.ctx)]);
    expect([...first!, ...second!]).toEqual([a.id]);
    const got = json(await t.app.inject({ url: `/api/v1/articles/${a.id}`, headers: { authorization: editor } }));
    expect(got).toMatchObject({ status: 'published', publishedAt: at, scheduledAt: null });
  });

  it('publishes every due article when one of them can no longer be published', async () => {
    const { publishDueArticles } = await import('../../src/domain/articles/service.ts');
    const emptied = await createArticle(t.app, reporter, { title: '定时后正文被清空的稿件' });
    const fine = await createArticle(t.app, reporter, { title: '随后到点的定时稿件' });
    for (const [a, minutes] of [
      [emptied, 10],
      [fine, 20],
    ] as const) {
      const at = new Date(t.clock.now() + minutes * 60_000).toISOString();
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${a.id}/schedule`, headers: { authorization: editor }, payload: { at } });
      expect(res.statusCode).toBe(200);
    }
    // An edit may not empty a scheduled article (400), but one left without text by an older version, or by a
    // hand in the database, is refused by publishing: the articles due after it must still go out.
    const edit = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${emptied.id}`, headers: { authorization: editor }, payload: { body: '' } });
    expect([edit.statusCode, json(edit).error.code]).toEqual([400, 'required']);
    await t.db.database.db.updateTable('articles').set({ body_html: '', body_text: '' }).where('id', '=', emptied.id).execute();
    t.clock.advance(30 * 60_000);
    expect(await publishDueArticles(t.ctx)).toEqual([fine.id]);
    const status = async (id: number) => json(await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: editor } })).status;
    expect(await status(fine.id)).toBe('published');
    expect((await t.app.inject({ url: `/a/${fine.id}` })).statusCode).toBe(200);
    // The empty one waits, scheduled, for an editor; nothing public was made of it.
    expect(await status(emptied.id)).toBe('scheduled');
    expect((await t.app.inject({ url: `/a/${emptied.id}` })).statusCode).toBe(404);
  });

  it('unpublishes: the page answers 410 and the feed drops it', async () => {
    const a = await createArticle(t.app, reporter);
    await publish(t.app, editor, a.id);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${a.id}/unpublish`, headers: { authorization: editor } });
    expect(json(res).status).toBe('unpublished');
    expect((await t.app.inject({ url: `/a/${a.id}` })).statusCode).toBe(410);
    const feed = json(await t.app.inject({ url: '/api/v1/feed?limit=50' }));
    expect(feed.items.map((i: { id: number }) => i.id)).not.toContain(a.id);
  });
});
