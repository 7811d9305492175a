import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import type { Actor } from '../../src/domain/accounts/roles.ts';
import type { Article } from '../../src/domain/articles/article.ts';
import { updateArticle } from '../../src/domain/articles/service.ts';
import { importArchive, type ImportOptions } from '../../src/domain/imports/service.ts';
import { loadDemo } from '../../src/demo/load.ts';
import { detectFormat, readSource } from '../../src/transfer/source.ts';
import { ImportFileError } from '../../src/transfer/xml.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';

/**
 * Importing a JSON Feed and JSON lines (DESIGN §3): every field of the item shape onto the article, a repeat that adds
 * nothing, newsroom edits kept unless --update, a malformed line refused with its line and column and nothing written,
 * plain text made paragraphs, scripts sanitized, old addresses answering 301, and our own /feed.json imported into an
 * empty install.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-json-'));
const tempFile = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

async function runImport(t: TestApp, actor: Actor, file: string, options: ImportOptions = {}) {
  const format = await detectFormat(file);
  if (format === 'inkstone') throw new Error('not a feed');
  return importArchive(t.ctx, actor, format, () => readSource(file, format), options);
}

async function count(t: TestApp, table: 'articles' | 'channels' | 'old_urls' | 'import_sources' | 'revisions') {
  return Number(
    (
      await t.db.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

async function bySource(t: TestApp, key: string): Promise<Article> {
  const row = await t.db.database.db.selectFrom('import_sources').select('article_id').where('source_key', '=', key).executeTakeFirstOrThrow();
  return (await t.ctx.store.articles.findById(row.article_id))!;
}

const FEED = {
  version: 'https://jsonfeed.org/version/1.1',
  title: '江城日报',
  home_page_url: 'https://old.jiangcheng.example.cn/',
  feed_url: 'https://old.jiangcheng.example.cn/feed.json',
  items: [
    {
      id: 'jc-1001',
      url: '/news/2024/03/1001.html',
      title: '新区道路改造完成<首期>',
      subtitle: '沿线学校同步开工',
      content_html:
        '<p>记者从江城市交通局获悉，新区今年已完成道路改造十二公里。</p><script>alert(1)</script><p><img src="/img/road.jpg" onerror="alert(2)"></p>',
      summary: '新区道路改造完成十二公里。',
      image: '/img/cover.jpg',
      date_published: '2024-03-01T10:00:00+08:00',
      date_modified: '2024-03-02T09:00:00+08:00',
      authors: [{ name: '本报记者 张三' }, { name: '李四' }],
      tags: ['交通', '城市建设'],
      channel: 'difang/yaowen',
      source: '江城日报',
      editor: '王五',
    },
    {
      id: 'jc-1002',
      url: 'https://old.jiangcheng.example.cn/news/2024/03/1002.html',
      title: '图书馆延长开放时间',
      content_text: '市图书馆从下月起延长开放时间。\n\n周末开放到晚上九点。\n  读者可在网上预约座位。  \n',
      date_published: '2024-03-03 08:30:00',
      author: { name: '赵六' },
    },
    { id: 'jc-1003', title: '明天的新闻', content_text: '定时发布的稿件。', status: 'scheduled', date_published: '2099-01-01T08:00:00+08:00' },
    { id: 'jc-1004', title: '还在写', content_text: '草稿正文。', status: 'draft' },
  ],
};

describe.each(STORES)('JSON import on %s', (kind) => {
  let t: TestApp;
  let actor: Actor;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    actor = toActor((await t.ctx.store.accounts.findById(admin.id))!);
  });
  afterAll(() => t.close());

  it('maps every field of a JSON Feed item onto its article, sanitized, and answers the old addresses with 301', async () => {
    const file = tempFile('feed.json', JSON.stringify(FEED, null, 2));
    expect(await detectFormat(file)).toBe('json-feed');
    const report = await runImport(t, actor, file);
    expect(report).toMatchObject({ format: 'json-feed', site: 'https://old.jiangcheng.example.cn/', posts: 4, imported: 4, channelsCreated: 3 });

    const site = 'json:https://old.jiangcheng.example.cn#';
    const first = await bySource(t, `${site}jc-1001`);
    expect(first).toMatchObject({
      title: '新区道路改造完成<首期>',
      subtitle: '沿线学校同步开工',
      summary: '新区道路改造完成十二公里。',
      source: '江城日报',
      editor: '王五',
      byline: '本报记者 张三、李四',
      tags: ['交通', '城市建设'],
      channelPath: 'difang/yaowen',
      cover: 'https://old.jiangcheng.example.cn/img/cover.jpg',
      status: 'published',
      publishedAt: Date.UTC(2024, 2, 1, 2),
      updatedAt: Date.UTC(2024, 2, 2, 1),
    });
    expect(first.bodyHtml).toContain('记者从江城市交通局获悉');
    expect(first.bodyHtml).toContain('<img src="https://old.jiangcheng.example.cn/img/road.jpg"');
    expect(first.bodyHtml).not.toMatch(/script|alert|onerror/);

    // Plain text: a paragraph a line; a date without a zone is China time.
    const second = await bySource(t, `${site}jc-1002`);
    expect(second.bodyHtml).toBe('<p>市图书馆从下月起延长开放时间。</p>\n<p>周末开放到晚上九点。</p>\n<p>读者可在网上预约座位。</p>');
    expect(second).toMatchObject({ byline: '赵六', publishedAt: Date.UTC(2024, 2, 3, 0, 30), channelPath: 'imported', source: '', subtitle: '' });
    expect(await bySource(t, `${site}jc-1003`)).toMatchObject({ status: 'scheduled', scheduledAt: Date.UTC(2099, 0, 1) });
    expect(await bySource(t, `${site}jc-1004`)).toMatchObject({ status: 'draft', publishedAt: null });

    const moved = await t.app.inject({ url: '/news/2024/03/1001.html' });
    expect([moved.statusCode, moved.headers.location]).toEqual([301, `/a/${first.id}`]);
    expect((await t.app.inject({ url: '/news/2024/03/1002.html' })).headers.location).toBe(`/a/${second.id}`);
  });

  it('adds nothing on a repeat, keeps a newsroom edit unless --update, and follows a changed item', async () => {
    const file = tempFile('feed-again.json', JSON.stringify(FEED));
    const articles = await count(t, 'articles');
    expect(await runImport(t, actor, file)).toMatchObject({ imported: 0, updated: 0, unchanged: 4 });
    expect(await count(t, 'articles')).toBe(articles);

    const first = await bySource(t, 'json:https://old.jiangcheng.example.cn#jc-1001');
    await updateArticle(t.ctx, actor, first.id, { source: '编辑部改过' });
    expect(await runImport(t, actor, file)).toMatchObject({ imported: 0, unchanged: 3, skipped: { 'edited in the newsroom': 1 } });
    expect((await t.ctx.store.articles.findById(first.id))!.source).toBe('编辑部改过');
    expect(await runImport(t, actor, file, { update: true })).toMatchObject({ imported: 0, updated: 1 });
    expect((await t.ctx.store.articles.findById(first.id))!.source).toBe('江城日报');

    const changed = structuredClone(FEED);
    changed.items[1]!.title = '图书馆延长开放时间到晚上九点';
    const update = await runImport(t, actor, tempFile('feed-changed.json', JSON.stringify(changed)));
    expect(update).toMatchObject({ imported: 0, updated: 1, unchanged: 3 });
    expect((await bySource(t, 'json:https://old.jiangcheng.example.cn#jc-1002')).title).toBe('图书馆延长开放时间到晚上九点');
    expect(await count(t, 'articles')).toBe(articles);
  });

  it('imports JSON lines scoped by each line’s site, and refuses a malformed line with its line and column, writing nothing', async () => {
    const lines = [
      JSON.stringify({
        id: 'L1',
        site: 'https://cms.example.cn',
        url: 'https://cms.example.cn/wenzhang/1.html',
        title: '第一条',
        content_text: '第一条的正文。',
        channel: 'difang',
      }),
      '',
      JSON.stringify({ id: 'L2', title: '第二条', content_html: '<p>第二条的正文。</p>', tags: ['民生'] }),
    ];
    const good = `\uFEFF${lines.join('\n')}\n`;
    const bad = `${lines[0]}\n${lines[2]}\n{"id": "L3", "title": "第三条",, "content_text": "坏的一行"}\n`;
    const before = { articles: await count(t, 'articles'), sources: await count(t, 'import_sources'), urls: await count(t, 'old_urls') };
    const badFile = tempFile('dump.jsonl', bad);
    expect(await detectFormat(badFile)).toBe('json-lines');
    const err = await runImport(t, actor, badFile).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImportFileError);
    expect(err).toMatchObject({ line: 3, column: 29 });
    expect((err as Error).message).toMatch(/^line 3, column 29: malformed JSON: .*JSON 格式错误/);
    const noId = await runImport(t, actor, tempFile('no-id.ndjson', `${lines[0]}\n   {"title": "没有 id"}\n`)).catch((e: unknown) => e);
    expect(noId).toMatchObject({ line: 2, column: 4, message: expect.stringContaining('条目缺少 id') });
    expect({ articles: await count(t, 'articles'), sources: await count(t, 'import_sources'), urls: await count(t, 'old_urls') }).toEqual(before);

    const report = await runImport(t, actor, tempFile('dump.ndjson', good));
    expect(report).toMatchObject({ format: 'json-lines', imported: 2 });
    expect(await bySource(t, 'json:https://cms.example.cn#L1')).toMatchObject({ channelPath: 'difang', bodyHtml: '<p>第一条的正文。</p>' });
    expect(await bySource(t, 'json:#L2')).toMatchObject({ tags: ['民生'], channelPath: 'imported' });
    expect((await t.app.inject({ url: '/wenzhang/1.html' })).statusCode).toBe(301);
    expect(await runImport(t, actor, tempFile('dump-again.txt', good), { dryRun: true })).toMatchObject({ imported: 0, unchanged: 2 });
  });

  it('imports our own /feed.json into an empty install', async () => {
    const from = await startTestApp(kind);
    let feedJson: string;
    try {
      await from.user('admin', 'admin');
      await loadDemo(from.ctx, from.config);
      const res = await from.app.inject({ url: '/feed.json' });
      expect(res.statusCode).toBe(200);
      feedJson = res.body;
    } finally {
      await from.close();
    }
    const feed = JSON.parse(feedJson) as { items: { id: string; title: string; tags?: string[] }[] };
    expect(feed.items.length).toBeGreaterThan(5);
    const to = await startTestApp(kind);
    try {
      const admin = await to.user('admin');
      const chief = toActor((await to.ctx.store.accounts.findById(admin.id))!);
      const report = await runImport(to, chief, tempFile('ours.json', feedJson));
      expect(report).toMatchObject({ format: 'json-feed', imported: feed.items.length, posts: feed.items.length });
      const sample = feed.items[0]!;
      const article = await bySource(to, `json:http://news.example.test#${sample.id}`);
      expect(article).toMatchObject({ title: sample.title, status: 'published', tags: sample.tags ?? [] });
      expect(await runImport(to, chief, tempFile('ours-again.json', feedJson))).toMatchObject({ imported: 0, unchanged: feed.items.length });
    } finally {
      await to.close();
    }
  });
});
