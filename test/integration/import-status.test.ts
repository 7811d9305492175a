import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import type { Actor } from '../../src/domain/accounts/roles.ts';
import type { Article } from '../../src/domain/articles/article.ts';
import { importArchive, type ImportOptions } from '../../src/domain/imports/service.ts';
import { detectFormat, readSource } from '../../src/transfer/source.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';

/**
 * Re-imports after the source changed a post's status: with --update the article follows (published at the source's
 * time; taken down when the source made it private, a draft or trash, so its old address answers 410); without, the
 * post is skipped with the reason and nothing changes.
 */
const SITE = 'https://status.example';

interface Post {
  id: number;
  status: string;
  date?: string;
  password?: string;
  title?: string;
}

let files = 0;
function wxr(posts: Post[]): string {
  const items = posts
    .map(
      (p) => `<item><title>${p.title ?? `状态稿${p.id}`}</title><link>${SITE}/2024/03/0${p.id}/post-${p.id}/</link>
<wp:post_id>${p.id}</wp:post_id><wp:status>${p.status}</wp:status><wp:post_type>post</wp:post_type>
<wp:post_date_gmt>${p.date ?? '0000-00-00 00:00:00'}</wp:post_date_gmt>${p.password ? `<wp:post_password>${p.password}</wp:post_password>` : ''}
<content:encoded><![CDATA[第${p.id}篇稿件的正文。]]></content:encoded></item>`,
    )
    .join('\n');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-status-'));
  const file = path.join(dir, `status-${++files}.xml`);
  writeFileSync(
    file,
    `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>状态</title><link>${SITE}</link>\n${items}\n</channel></rss>`,
  );
  return file;
}

describe.each(STORES)('re-importing after a status change at the source on %s', (kind) => {
  let t: TestApp;
  let actor: Actor;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    actor = toActor((await t.ctx.store.accounts.findById(admin.id))!);
  });
  afterAll(() => t.close());

  const run = async (file: string, options: ImportOptions = {}) => {
    const format = await detectFormat(file);
    if (format === 'inkstone') throw new Error('not XML');
    return importArchive(t.ctx, actor, format, () => readSource(file, format), options);
  };
  const article = async (postId: number): Promise<Article> => {
    const row = await t.db.database.db
      .selectFrom('import_sources')
      .select(['article_id', 'source_status'])
      .where('source_key', '=', `wxr:${SITE}#${postId}`)
      .executeTakeFirstOrThrow();
    return (await t.ctx.store.articles.findById(row.article_id))!;
  };
  const sourceStatus = async (postId: number) =>
    (await t.db.database.db.selectFrom('import_sources').select('source_status').where('source_key', '=', `wxr:${SITE}#${postId}`).executeTakeFirstOrThrow())
      .source_status;
  const old = async (postId: number) => {
    const res = await t.app.inject({ url: `/?p=${postId}` });
    return res.statusCode === 301 ? `301 ${res.headers.location}` : String(res.statusCode);
  };

  it('follows draft → publish, publish → trash/private/draft with --update, and skips them with the reason without', async () => {
    const first = wxr([
      // A WordPress draft carries the time it was last saved.
      { id: 1, status: 'draft', date: '2024-03-01 08:00:00' },
      { id: 2, status: 'publish', date: '2024-03-02 08:00:00' },
      { id: 3, status: 'publish', date: '2024-03-03 08:00:00' },
      { id: 4, status: 'publish', date: '2024-03-04 08:00:00' },
      { id: 5, status: 'private', date: '2024-03-05 08:00:00' },
      { id: 6, status: 'publish', date: '2024-03-06 08:00:00' },
    ]);
    expect(await run(first)).toMatchObject({ imported: 6, updated: 0 });
    expect((await article(1)).status).toBe('draft');
    expect((await article(5)).status).toBe('draft');
    expect(await sourceStatus(1)).toBe('draft');
    expect(await sourceStatus(5)).toBe('private');
    const two = await article(2);
    expect(await old(2)).toBe(`301 /a/${two.id}`);
    expect(await old(1)).toBe('410');

    const changed = wxr([
      { id: 1, status: 'publish', date: '2024-03-10 09:30:00' },
      { id: 2, status: 'trash', date: '2024-03-02 08:00:00' },
      { id: 3, status: 'private', date: '2024-03-03 08:00:00' },
      { id: 4, status: 'publish', date: '2024-03-04 08:00:00', password: 'secret' },
      { id: 5, status: 'publish', date: '2024-03-05 08:00:00' },
      { id: 6, status: 'draft', date: '2024-03-06 08:00:00' },
    ]);
    const before = await Promise.all([1, 2, 3, 4, 5, 6].map(article));

    // Without --update: every one skipped with its reason, nothing changed.
    const plain = await run(changed);
    expect(plain).toMatchObject({ imported: 0, updated: 0, unchanged: 0, skipped: { 'status changed at the source': 6 } });
    expect(plain.warnings).toContainEqual(
      expect.objectContaining({ postId: '2', message: expect.stringContaining('status changed at the source (publish → trash)') }),
    );
    expect(plain.warnings).toContainEqual(expect.objectContaining({ postId: '1', message: expect.stringContaining('(draft → publish)') }));
    expect(plain.warnings).toContainEqual(expect.objectContaining({ postId: '4', message: expect.stringContaining('(publish → password)') }));
    expect(await Promise.all([1, 2, 3, 4, 5, 6].map(article))).toEqual(before);
    expect(await old(2)).toBe(`301 /a/${two.id}`);

    // A dry run with --update says what would happen and writes nothing.
    const dry = await run(changed, { update: true, dryRun: true });
    expect(dry).toMatchObject({ updated: 6, skipped: {} });
    expect(await Promise.all([1, 2, 3, 4, 5, 6].map(article))).toEqual(before);

    // With --update the articles follow.
    const applied = await run(changed, { update: true });
    expect(applied).toMatchObject({ imported: 0, updated: 6, skipped: {} });
    const one = await article(1);
    expect(one).toMatchObject({ status: 'published', publishedAt: Date.UTC(2024, 2, 10, 9, 30) });
    expect(await old(1)).toBe(`301 /a/${one.id}`);
    expect((await t.app.inject({ url: `/a/${one.id}` })).statusCode).toBe(200);
    for (const id of [2, 3, 4, 6]) {
      expect([id, (await article(id)).status]).toEqual([id, 'unpublished']);
      expect([id, await old(id)]).toEqual([id, '410']);
    }
    expect((await t.app.inject({ url: `/a/${two.id}` })).statusCode).toBe(410);
    // A private post published at the source: published at its time.
    expect(await article(5)).toMatchObject({ status: 'published', publishedAt: Date.UTC(2024, 2, 5, 8) });
    expect(await sourceStatus(2)).toBe('trash');
    expect(await sourceStatus(4)).toBe('password');
    // The public search no longer has the withdrawn ones.
    await t.settled();
    const search = json<{ items: { id: number }[] }>(await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent('稿件的正文')}` }));
    expect(search.items.map((i) => i.id).sort()).toEqual([one.id, (await article(5)).id].sort());
    // Every step is in the history, attributed to the import.
    const actions = await t.db.database.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_id', '=', String(two.id))
      .where('subject_type', '=', 'article')
      .execute();
    expect(actions.map((a) => a.action)).toContain('article.unpublish');

    // The same file again: nothing to do, whether with --update or not.
    expect(await run(changed, { update: true })).toMatchObject({ updated: 0, unchanged: 6, skipped: {} });
    expect(await run(changed)).toMatchObject({ updated: 0, unchanged: 6, skipped: {} });
  });

  it('republishes a withdrawn post at the source time, and keeps the newsroom edit apart from the source change', async () => {
    const file = (status: string) => wxr([{ id: 20, status, date: '2024-04-01 00:00:00', title: '来回的稿' }]);
    expect(await run(file('publish'))).toMatchObject({ imported: 1 });
    const a = await article(20);
    expect(await run(file('trash'), { update: true })).toMatchObject({ updated: 1 });
    expect((await article(20)).status).toBe('unpublished');
    expect(await run(file('publish'), { update: true })).toMatchObject({ updated: 1 });
    expect(await article(20)).toMatchObject({ status: 'published', publishedAt: Date.UTC(2024, 3, 1) });
    expect(await old(20)).toBe(`301 /a/${a.id}`);

    // The newsroom takes it down itself; the source still says publish: that is the newsroom's edit, kept.
    const editor = await t.user('editor');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${a.id}/unpublish`, headers: { authorization: editor.auth } });
    expect(res.statusCode).toBe(200);
    const kept = await run(file('publish'));
    expect(kept.skipped).toEqual({ 'edited in the newsroom': 1 });
    expect((await article(20)).status).toBe('unpublished');
    // --update overwrites it with the source's state.
    expect(await run(file('publish'), { update: true })).toMatchObject({ updated: 1 });
    expect((await article(20)).status).toBe('published');
  });

  it('does not import a post that is only in the trash, and a trashed draft stays a draft', async () => {
    const only = wxr([{ id: 30, status: 'trash', date: '2024-05-01 00:00:00' }]);
    expect(await run(only)).toMatchObject({ imported: 0, skipped: { trash: 1 } });
    const draft = wxr([{ id: 31, status: 'draft' }]);
    expect(await run(draft)).toMatchObject({ imported: 1 });
    expect(await run(wxr([{ id: 31, status: 'trash' }]))).toMatchObject({ unchanged: 1, skipped: {} });
    expect((await article(31)).status).toBe('draft');
    expect(await sourceStatus(31)).toBe('trash');
  });

  it('keeps an edit the newsroom makes while the import is deciding (If-Match), with the reason', async () => {
    const file = (status: string) => wxr([{ id: 40, status, date: '2024-06-01 00:00:00', title: '争先的稿' }]);
    expect(await run(file('publish'))).toMatchObject({ imported: 1 });
    const a = await article(40);
    const editor = await t.user('editor');
    // The real store, where an editor saves the article just after the import has read it.
    let raced = false;
    const articles = new Proxy(t.ctx.store.articles, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'findById') return typeof value === 'function' ? value.bind(target) : value;
        return async (id: number) => {
          const read = await target.findById(id);
          if (id === a.id && !raced) {
            raced = true;
            const res = await t.app.inject({
              method: 'PATCH',
              url: `/api/v1/articles/${a.id}`,
              headers: { authorization: editor.auth },
              payload: { title: '编辑抢先改的标题' },
            });
            expect(res.statusCode).toBe(200);
          }
          return read;
        };
      },
    });
    const ctx = { ...t.ctx, store: Object.assign(Object.create(Object.getPrototypeOf(t.ctx.store)), t.ctx.store, { articles }) };
    const format = 'wxr' as const;
    const report = await importArchive(ctx, actor, format, () => readSource(file('trash'), format), { update: true });
    expect(raced).toBe(true);
    expect(report).toMatchObject({ updated: 0, skipped: { 'edited in the newsroom': 1 } });
    expect(report.warnings).toContainEqual(expect.objectContaining({ postId: '40', message: expect.stringContaining('during the import') }));
    expect(await article(40)).toMatchObject({ status: 'published', title: '编辑抢先改的标题' });
  });
});
