import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import type { Actor } from '../../src/domain/accounts/roles.ts';
import type { Article } from '../../src/domain/articles/article.ts';
import { MediaFolder } from '../../src/domain/media/files.ts';
import { importArchive, type ImportOptions } from '../../src/domain/imports/service.ts';
import { detectFormat, readSource } from '../../src/transfer/source.ts';
import { UploadsFolder } from '../../src/transfer/uploads.ts';
import { ImportFileError } from '../../src/transfer/xml.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';

/**
 * Importing WordPress's own theme unit test export (test/fixtures/wxr): what a newsroom editor would expect of each
 * edge case it holds, a repeat that adds nothing, newsroom edits kept (or overwritten with --update), old addresses
 * answering 301/410/404 through the real HTTP app, images from an uploads folder, and malformed or hostile files
 * refused with nothing written.
 */
const FIXTURE = path.resolve('test/fixtures/wxr/themeunittestdata.wordpress.xml');

async function runImport(t: TestApp, actor: Actor, file: string, options: ImportOptions = {}) {
  const format = await detectFormat(file);
  if (format === 'inkstone') throw new Error('not an XML file');
  return importArchive(t.ctx, actor, format, () => readSource(file, format), options);
}

async function counts(t: TestApp) {
  const db = t.db.database.db;
  const one = async (table: 'articles' | 'channels' | 'audit_events' | 'old_urls' | 'revisions' | 'media') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    articles: await one('articles'),
    channels: await one('channels'),
    audit: await one('audit_events'),
    oldUrls: await one('old_urls'),
    revisions: await one('revisions'),
    media: await one('media'),
  };
}

async function bySource(t: TestApp, postId: string): Promise<Article> {
  const row = await t.db.database.db
    .selectFrom('import_sources')
    .select('article_id')
    .where('source_key', '=', `wxr:https://wpthemetestdata.wordpress.com#${postId}`)
    .executeTakeFirstOrThrow();
  return (await t.ctx.store.articles.findById(row.article_id))!;
}

function tempFile(name: string, text: string | Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-wxr-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe.each(STORES)('WordPress import on %s', (kind) => {
  let t: TestApp;
  let actor: Actor;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    actor = toActor((await t.ctx.store.accounts.findById(admin.id))!);
  });
  afterAll(() => t.close());

  it('refuses a truncated file with its line and column and writes nothing', async () => {
    const before = await counts(t);
    const whole = readFileSync(FIXTURE, 'utf8');
    const truncated = tempFile('truncated.xml', whole.slice(0, Math.floor(whole.length * 0.7)));
    const err = await runImport(t, actor, truncated).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFileError);
    expect((err as ImportFileError).line).toBeGreaterThan(1000);
    expect((err as ImportFileError).message).toMatch(/^line \d+, column \d+: /);
    // Bytes that are not the declared encoding, far into the file (after hundreds of good posts).
    const bad = Buffer.from(whole, 'utf8');
    const at = bad.indexOf('Edge Case: Many Tags');
    bad[at] = 0xff;
    const wrongEncoding = tempFile('encoding.xml', bad);
    const encodingErr = (await runImport(t, actor, wrongEncoding).catch((e: unknown) => e)) as ImportFileError;
    expect(encodingErr).toBeInstanceOf(ImportFileError);
    expect(encodingErr.message).toContain('utf-8');
    expect(encodingErr.line).toBe(whole.slice(0, whole.indexOf('Edge Case: Many Tags')).split('\n').length);
    expect(await counts(t)).toEqual(before);
  });

  it('refuses entity expansion and external entities without fetching or expanding anything', async () => {
    const before = await counts(t);
    const laughs = tempFile(
      'laughs.xml',
      `<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "aaaaaaaaaa">\n${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('\n')}\n]>\n<rss version="2.0"><channel><item><title>&j;</title></item></channel></rss>`,
    );
    await expect(runImport(t, actor, laughs)).rejects.toThrow(/DOCTYPE declares entities/);
    const external = tempFile(
      'external.xml',
      `<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">\n<rss version="2.0"><channel><item><title>x</title></item></channel></rss>`,
    );
    await expect(runImport(t, actor, external)).rejects.toThrow(/external file/);
    const undeclared = tempFile('undeclared.xml', `<?xml version="1.0"?>\n<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>`);
    await expect(runImport(t, actor, undeclared)).rejects.toThrow(/line 2, column \d+: malformed XML: undefined entity/);
    expect(await counts(t)).toEqual(before);
  });

  it('imports the theme unit test data as an editor would expect', async () => {
    const dry = await runImport(t, actor, FIXTURE, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, imported: 58, updated: 0 });
    expect((await counts(t)).articles).toBe(0);

    const report = await runImport(t, actor, FIXTURE);
    expect(report).toMatchObject({ format: 'wxr', posts: 58, imported: 58, updated: 0, unchanged: 0 });
    expect(report.skipped).toMatchObject({ page: 21, attachment: 37, nav_menu_item: 70, comment: 33 });
    expect(report.redirects).toBe(dry.redirects);
    expect(report.redirects).toBeGreaterThan(100);

    // Statuses: draft, scheduled at its time, password-protected never public (and said so), published at its time.
    expect((await bySource(t, '1164')).status).toBe('draft');
    const scheduled = await bySource(t, '1153');
    expect(scheduled).toMatchObject({ status: 'scheduled', scheduledAt: Date.UTC(2030, 0, 1, 19, 0, 18), publishedAt: null });
    expect((await bySource(t, '1168')).status).toBe('draft');
    expect(report.warnings).toContainEqual(expect.objectContaining({ postId: '1168', message: expect.stringContaining('password-protected') }));
    const standard = await bySource(t, '358');
    expect(standard).toMatchObject({ status: 'published', publishedAt: Date.UTC(2010, 9, 5, 7, 27, 25) });

    // Categories three levels deep became the channel tree; the primary category is the channel, the others tags.
    const channels = await t.ctx.store.channels.all();
    expect(channels.map((c) => c.path)).toEqual(expect.arrayContaining(['parent', 'parent/child-1', 'parent/child-1/child-2']));
    expect(channels.find((c) => c.path === 'parent/child-1/child-2')?.name).toBe('Child 2');
    const excerpt = await bySource(t, '993');
    expect(excerpt.channelPath).toBe('classic');
    expect(excerpt.tags).toEqual(expect.arrayContaining(['template', 'Uncategorized']));
    // Excerpt → summary.
    expect(excerpt.summary).toBe(
      'This is a user-defined post excerpt. It should be displayed in place of the post content in archive-index pages. It can be longer than the automatically generated excerpts, and can have HTML tags.',
    );

    // 40+ tags: the first 20 (our limit), and the report says how many were dropped.
    const manyTags = await bySource(t, '1151');
    expect(manyTags.tags).toHaveLength(20);
    expect(report.warnings).toContainEqual(expect.objectContaining({ postId: '1151', message: expect.stringMatching(/^\d+ tags: the first 20 kept/) }));

    // Titles: markup becomes text; a post without one gets one from its text.
    expect((await bySource(t, '1173')).title).toBe('Markup: Title With Markup');
    expect((await bySource(t, '1174')).title).toBe('Markup: Title With Special Characters ~`!@#$%^&*()-_=+{}[]/\\;:\'"?,.>');
    const untitled = await bySource(t, '1169');
    expect(untitled.title).toMatch(/^This post has no title/);
    expect(report.warnings).toContainEqual(expect.objectContaining({ postId: '1169', message: expect.stringContaining('no title') }));

    // Bodies: classic ones get paragraphs; no block comment, no shortcode reaches a reader; captions are figures.
    const all = await t.ctx.store.articles.findMany((await t.db.database.db.selectFrom('articles').select('id').execute()).map((r) => r.id));
    expect(all).toHaveLength(58);
    for (const a of all) {
      expect(a.bodyHtml).not.toMatch(/<!--|wp:paragraph/);
      expect(a.bodyHtml).not.toMatch(/\[\/?(caption|gallery|audio|video|embed)\b/);
      expect(a.bodyHtml).not.toMatch(/<script/i);
    }
    expect(standard.bodyHtml.startsWith('<p>')).toBe(true);
    expect((await bySource(t, '1163')).bodyHtml).toMatch(/<figure>[\s\S]*<img [^>]*src="https:\/\/wpthemetestdata\.files\.wordpress\.com\/[\s\S]*<figcaption>/);
    expect((await bySource(t, '1730')).bodyHtml).toContain('<p>');
    // A linked image alone in its paragraph (WordPress's "link to media file") is kept, not dropped as an empty paragraph.
    expect((await bySource(t, '1158')).bodyHtml).toMatch(/<p><a href="[^"]+100_5540\.jpg"[^>]*><img src="[^"]+100_5540\.jpg\?w=604"/);
    expect(report.shortcodes).toMatchObject({ audio: 1 });
    // Preformatted text keeps its lines and indentation: a poem in a classic post, a block-editor code block.
    expect((await bySource(t, '1178')).bodyHtml).toMatch(
      /<pre>\nRobert Frost\n\n\n\tTwo roads diverged in a yellow wood,\n\tAnd sorry I could not travel both {10}\(\\_\/\)\n/,
    );
    expect((await bySource(t, '1732')).bodyHtml).toContain(
      "<pre><code>The code block starts with\n&lt;!-- wp:code --&gt;\n&lt;?php echo 'Hello World'; ?&gt;\n</code></pre>",
    );

    // One revision and one article.import audit entry per article; searchable (published ones) at once.
    const revisions = await t.ctx.store.history.revisions(standard.id);
    expect(revisions.map((r) => [r.number, r.action])).toEqual([[1, 'import']]);
    const audit = await t.db.database.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_type', '=', 'article')
      .where('subject_id', '=', String(standard.id))
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['article.import']);
    const found = json(await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent('Post Format: Standard')}` }));
    expect(found.items.map((i: { id: number }) => i.id)).toContain(standard.id);
  });

  it('answers old addresses: 301 to the article, 410 when it is not public, 404 otherwise, never shadowing a page', async () => {
    const standard = await bySource(t, '358');
    const get = (url: string) => t.app.inject({ url });
    for (const url of [
      '/2010/10/05/post-format-standard/',
      '/2010/10/05/post-format-standard',
      '/?p=358',
      '/index.php?p=358',
      '/2010/10/05/Post-Format-Standard/?utm_source=x',
    ]) {
      const res = await get(url);
      expect([url, res.statusCode, res.headers.location]).toEqual([url, 301, `/a/${standard.id}`]);
    }
    // Its guid was another address on the same site.
    expect((await get('/2007/11/24/many-tags/')).headers.location).toBe(`/a/${(await bySource(t, '1151')).id}`);
    // The draft and the password-protected post are not public: gone.
    expect((await get('/?p=1164')).statusCode).toBe(410);
    expect((await get('/2012/01/04/template-password-protected/')).statusCode).toBe(410);
    expect((await get('/2010/10/05/no-such-post/')).statusCode).toBe(404);
    // The home page still is the home page; an unknown ?p= goes there.
    expect((await get('/')).statusCode).toBe(200);
    expect((await get('/?p=999999')).headers.location).toBe('/');
    expect((await get(`/a/${standard.id}`)).statusCode).toBe(200);
  });

  it('adds nothing on a repeat, keeps newsroom edits unless --update', async () => {
    const before = await counts(t);
    const again = await runImport(t, actor, FIXTURE);
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 58, redirects: 0 });
    expect(await counts(t)).toEqual(before);

    const standard = await bySource(t, '358');
    const edited = json(
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/articles/${standard.id}`,
        headers: { authorization: (await t.user('editor')).auth },
        payload: { title: '编辑部改过的标题' },
      }),
    );
    expect(edited.revision).toBe(2);
    const kept = await runImport(t, actor, FIXTURE);
    expect(kept).toMatchObject({ imported: 0, updated: 0, unchanged: 57 });
    expect(kept.skipped['edited in the newsroom']).toBe(1);
    expect((await bySource(t, '358')).title).toBe('编辑部改过的标题');

    const forced = await runImport(t, actor, FIXTURE, { update: true });
    expect(forced).toMatchObject({ imported: 0, updated: 1, unchanged: 57 });
    const back = await bySource(t, '358');
    expect(back).toMatchObject({ title: 'Post Format: Standard', revision: 3 });
    // And the next plain import sees it as the import's own again.
    expect(await runImport(t, actor, FIXTURE)).toMatchObject({ imported: 0, updated: 0, unchanged: 58 });
  });

  it('lets no reporter import, and two imports of one file at once add each post once', async () => {
    const reporter = toActor((await t.ctx.store.accounts.findById((await t.user('reporter')).id))!);
    const before = await counts(t);
    await expect(runImport(t, reporter, FIXTURE)).rejects.toMatchObject({ kind: 'forbidden' });
    expect(await counts(t)).toEqual(before);

    const posts = Array.from(
      { length: 30 },
      (_, i) =>
        `<item><title>同时导入${i}</title><link>https://twice.example/p/${i}/</link><wp:post_id>${i + 1}</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>正文${i}</content:encoded></item>`,
    ).join('');
    const file = tempFile(
      'twice.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://twice.example</link>${posts}</channel></rss>`,
    );
    const [a, b] = await Promise.all([runImport(t, actor, file, { batch: 7 }), runImport(t, actor, file, { batch: 7 })]);
    // Each saw all 30: written by it, found written before it looked, or written by the other while it prepared them.
    for (const r of [a, b]) expect(r.imported + r.unchanged + (r.skipped['imported meanwhile by another import'] ?? 0)).toBe(30);
    expect(a.imported + b.imported).toBe(30);
    const rows = await t.db.database.db.selectFrom('import_sources').select('article_id').where('source_key', 'like', 'wxr:https://twice.example#%').execute();
    expect(rows).toHaveLength(30);
    expect((await counts(t)).articles).toBe(before.articles + 30);
  });

  it('makes accounts of the authors with --create-authors, and imports RSS and Atom feeds into a channel of their own', async () => {
    const file = tempFile(
      'authors.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="https://wordpress.org/export/1.1/"><channel><title>t</title><link>https://authors.example</link>
<wp:author><wp:author_login>zhang.san</wp:author_login><wp:author_display_name><![CDATA[张三]]></wp:author_display_name></wp:author>
<wp:author><wp:author_login>Bad Login!</wp:author_login><wp:author_display_name><![CDATA[李四]]></wp:author_display_name></wp:author>
<item><title>张三的稿</title><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><dc:creator>zhang.san</dc:creator><content:encoded>正文</content:encoded></item>
<item><title>李四的稿</title><wp:post_id>2</wp:post_id><wp:status>pending</wp:status><wp:post_type>post</wp:post_type><dc:creator>Bad Login!</dc:creator><content:encoded>正文</content:encoded></item>
</channel></rss>`,
    );
    const report = await runImport(t, actor, file, { createAuthors: true });
    expect(report).toMatchObject({ imported: 2, authorsCreated: 2 });
    const zhang = (await t.ctx.store.accounts.findByUsername('zhang.san'))!;
    expect(zhang).toMatchObject({ role: 'reporter', displayName: '张三' });
    const rows = await t.db.database.db
      .selectFrom('articles')
      .select(['author_id', 'byline', 'status'])
      .where('title', 'in', ['张三的稿', '李四的稿'])
      .orderBy('title')
      .execute();
    expect(rows).toContainEqual({ author_id: zhang.id, byline: '张三', status: 'published' });
    expect(rows).toContainEqual(expect.objectContaining({ byline: '李四', status: 'submitted' }));

    const rss = tempFile(
      'feed.xml',
      `<?xml version="1.0"?><rss version="2.0"><channel><title>外站</title><link>https://feed.example</link>
<item><title>外站新闻</title><link>https://feed.example/n/1.html</link><guid>https://feed.example/n/1.html</guid><pubDate>Mon, 04 Mar 2024 02:00:00 +0000</pubDate><description><![CDATA[<p>外站正文<script>alert(1)</script></p>]]></description><category>财经</category></item></channel></rss>`,
    );
    const atom = tempFile(
      'atom.xml',
      `<feed xmlns="http://www.w3.org/2005/Atom"><title>原子</title><id>https://atom.example/</id><entry><title>原子稿</title><id>tag:atom.example,2024:1</id><link href="https://atom.example/2024/1"/><updated>2024-03-05T00:00:00Z</updated><content type="html">&lt;p&gt;原子正文&lt;/p&gt;</content></entry></feed>`,
    );
    expect(await runImport(t, actor, rss)).toMatchObject({ format: 'rss', imported: 1 });
    expect(await runImport(t, actor, atom)).toMatchObject({ format: 'atom', imported: 1 });
    expect(await runImport(t, actor, rss)).toMatchObject({ imported: 0, unchanged: 1 });
    const feedRows = await t.db.database.db
      .selectFrom('articles')
      .select(['id', 'body_html', 'published_at'])
      .where('title', 'in', ['外站新闻', '原子稿'])
      .execute();
    expect(feedRows).toHaveLength(2);
    for (const r of feedRows) expect((await t.ctx.store.articles.findById(r.id))!.channelPath).toBe('imported');
    expect(feedRows.find((r) => r.body_html.includes('外站正文'))).toMatchObject({ body_html: '<p>外站正文</p>', published_at: Date.UTC(2024, 2, 4, 2) });
    expect((await t.app.inject({ url: '/n/1.html' })).statusCode).toBe(301);
  });

  it('brings an untouched article up to date when the file changed, and says when a body is refused', async () => {
    const wxr = (title: string, body: string) =>
      tempFile(
        'changed.xml',
        `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://changed.example</link>
<item><title>${title}</title><link>https://changed.example/p/1/</link><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded><![CDATA[${body}]]></content:encoded></item>
<item><title>太长</title><wp:post_id>2</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded><![CDATA[${'<b>很长</b>'.repeat(200_000)}]]></content:encoded></item></channel></rss>`,
      );
    const first = await runImport(t, actor, wxr('初版标题', '初版正文'));
    expect(first).toMatchObject({ imported: 1, skipped: { 'refused body': 1 } });
    expect(first.warnings).toContainEqual(expect.objectContaining({ postId: '2', message: expect.stringContaining('body is refused') }));
    expect(await runImport(t, actor, wxr('修订标题', '修订正文'))).toMatchObject({ imported: 0, updated: 1 });
    const row = await t.db.database.db
      .selectFrom('import_sources')
      .select(['article_id', 'revision'])
      .where('source_key', '=', 'wxr:https://changed.example#1')
      .executeTakeFirstOrThrow();
    expect(row.revision).toBe(2);
    expect(await t.ctx.store.articles.findById(row.article_id)).toMatchObject({ title: '修订标题', bodyHtml: '<p>修订正文</p>', revision: 2 });
    expect(await runImport(t, actor, wxr('修订标题', '修订正文'))).toMatchObject({ imported: 0, updated: 0, unchanged: 1 });
  });

  it('publishes a published post dated in the future at the time of the import, not atop every list until then', async () => {
    const wxr = tempFile(
      'future-dated.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://future-dated.example</link>
<item><title>未来日期</title><link>https://future-dated.example/2099/01/05/future/</link><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_date_gmt>2099-01-05 02:00:00</wp:post_date_gmt><content:encoded>正文</content:encoded></item>
<item><title>往日</title><wp:post_id>2</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_date_gmt>2020-01-05 02:00:00</wp:post_date_gmt><content:encoded>正文</content:encoded></item>
</channel></rss>`,
    );
    // A feed whose times are local ones marked +0000: an item hours ahead.
    const ahead = new Date(t.ctx.clock.now() + 8 * 3600_000).toUTCString();
    const rss = tempFile(
      'future-feed.xml',
      `<rss version="2.0"><channel><title>外站</title><link>https://future-feed.example</link><item><title>时区错了</title><guid>f1</guid><pubDate>${ahead}</pubDate><description>正文</description></item></channel></rss>`,
    );
    const before = t.ctx.clock.now();
    const report = await runImport(t, actor, wxr);
    expect(report.warnings).toContainEqual(expect.objectContaining({ postId: '1', message: expect.stringContaining('in the future') }));
    expect((await runImport(t, actor, rss)).imported).toBe(1);
    const after = t.ctx.clock.now();
    const rows = await t.db.database.db
      .selectFrom('articles')
      .select(['title', 'status', 'published_at'])
      .where('title', 'in', ['未来日期', '往日', '时区错了'])
      .execute();
    for (const title of ['未来日期', '时区错了']) {
      const row = rows.find((r) => r.title === title)!;
      expect(row.status).toBe('published');
      expect(Number(row.published_at)).toBeGreaterThanOrEqual(before);
      expect(Number(row.published_at)).toBeLessThanOrEqual(after);
    }
    expect(Number(rows.find((r) => r.title === '往日')!.published_at)).toBe(Date.UTC(2020, 0, 5, 2));
  });

  it('imports a post with no text as a draft, as the newsroom would not publish it: no empty page goes public', async () => {
    const wxr = tempFile(
      'no-text.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://no-text.example</link>
<item><title>空正文</title><link>https://no-text.example/2020/01/05/empty/</link><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_date_gmt>2020-01-05 02:00:00</wp:post_date_gmt><content:encoded><![CDATA[<!-- wp:paragraph --><p> </p><!-- /wp:paragraph -->[gallery ids="999"]]]></content:encoded></item>
<item><title>定时空正文</title><wp:post_id>2</wp:post_id><wp:status>future</wp:status><wp:post_type>post</wp:post_type><wp:post_date_gmt>2099-01-05 02:00:00</wp:post_date_gmt><content:encoded></content:encoded></item>
<item><title>有字</title><wp:post_id>3</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_date_gmt>2020-01-05 02:00:00</wp:post_date_gmt><content:encoded>一句话</content:encoded></item>
</channel></rss>`,
    );
    const report = await runImport(t, actor, wxr);
    expect(report.imported).toBe(3);
    for (const postId of ['1', '2']) {
      expect(report.warnings).toContainEqual(expect.objectContaining({ postId, message: expect.stringContaining('imported as a draft') }));
    }
    const rows = await t.db.database.db
      .selectFrom('articles')
      .select(['id', 'title', 'status', 'published_at', 'scheduled_at'])
      .where('title', 'in', ['空正文', '定时空正文', '有字'])
      .execute();
    const by = (title: string) => rows.find((r) => r.title === title)!;
    expect(by('空正文')).toMatchObject({ status: 'draft', published_at: null, scheduled_at: null });
    expect(by('定时空正文')).toMatchObject({ status: 'draft', published_at: null, scheduled_at: null });
    expect(by('有字').status).toBe('published');
    // Its old address is not a public page either.
    expect((await t.app.inject({ method: 'GET', url: '/2020/01/05/empty/' })).statusCode).toBe(410);
    expect((await t.app.inject({ method: 'GET', url: `/a/${by('空正文').id}` })).statusCode).toBe(404);
    // A repeat leaves them as they are.
    expect(await runImport(t, actor, wxr)).toMatchObject({ imported: 0 });
    // The source empties the post that has text: its public page is kept, not emptied, and the import goes on.
    const emptied = tempFile(
      'no-text-2.xml',
      readFileSync(wxr, 'utf8').replace('<content:encoded>一句话</content:encoded>', '<content:encoded> </content:encoded>'),
    );
    const again = await runImport(t, actor, emptied, { update: true });
    expect(again.skipped['no text at the source']).toBe(1);
    expect(again.warnings).toContainEqual(expect.objectContaining({ postId: '3', message: expect.stringContaining('kept as it is') }));
    const kept = await t.db.database.db.selectFrom('articles').select(['status', 'body_text']).where('id', '=', by('有字').id).executeTakeFirstOrThrow();
    expect(kept).toMatchObject({ status: 'published', body_text: expect.stringContaining('一句话') });
  });

  it("makes a feed's relative addresses absolute: its images show and its links lead back, its relative <link> redirects", async () => {
    const rss = tempFile(
      'relative-feed.xml',
      `<?xml version="1.0"?><rss version="2.0"><channel><title>某报</title><link>https://paper.example.cn/</link>
<item><title>相对地址</title><link>/news/2020/0105/1.html</link><description>&lt;p&gt;图 &lt;img src="/img/a.jpg"&gt; &lt;a href='../2.html?x=1&amp;amp;y=2'&gt;上一篇&lt;/a&gt; &lt;img src=//cdn.example.cn/b.jpg&gt; &lt;a href="#note"&gt;注&lt;/a&gt; &lt;a href="https://other.example/"&gt;外站&lt;/a&gt;&lt;/p&gt;</description></item>
</channel></rss>`,
    );
    const atom = tempFile(
      'relative-atom.xml',
      `<feed xmlns="http://www.w3.org/2005/Atom"><title>原子</title><id>tag:relative-atom.example,2024:feed</id><entry><title>原子相对</title><id>tag:relative-atom.example,2024:1</id><link href="https://relative-atom.example/2024/03/1.html"/><updated>2024-03-05T00:00:00Z</updated><content type="html">&lt;p&gt;原子正文 &lt;img src="pic/c.png"&gt;&lt;/p&gt;</content></entry></feed>`,
    );
    expect(await runImport(t, actor, rss)).toMatchObject({ imported: 1, redirects: 1 });
    expect(await runImport(t, actor, atom)).toMatchObject({ imported: 1 });
    const rows = await t.db.database.db.selectFrom('articles').select(['id', 'title', 'body_html']).where('title', 'in', ['相对地址', '原子相对']).execute();
    const feed = rows.find((r) => r.title === '相对地址')!;
    expect(feed.body_html).toContain('<img src="https://paper.example.cn/img/a.jpg"');
    expect(feed.body_html).toContain('<a href="https://paper.example.cn/news/2020/2.html?x=1&amp;y=2"');
    expect(feed.body_html).toContain('<img src="https://cdn.example.cn/b.jpg"');
    expect(feed.body_html).toContain('<a href="#note"');
    expect(feed.body_html).toContain('<a href="https://other.example/"');
    expect(rows.find((r) => r.title === '原子相对')!.body_html).toContain('<img src="https://relative-atom.example/2024/03/pic/c.png"');
    expect((await t.app.inject({ url: '/news/2020/0105/1.html' })).headers.location).toBe(`/a/${feed.id}`);
  });

  it('counts in a dry run the channels a run makes, and makes only valid slugs of colliding categories', async () => {
    const file = tempFile(
      'channels.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://channels.example</link>
<wp:category><wp:term_id>5</wp:term_id><wp:category_nicename>imported</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name>导入</wp:cat_name></wp:category>
<wp:category><wp:term_id>x y</wp:term_id><wp:category_nicename>Imported</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name>导入二</wp:cat_name></wp:category>
<wp:category><wp:term_id>7</wp:term_id><wp:category_nicename>chan-a</wp:category_nicename><wp:category_parent>chan-b</wp:category_parent><wp:cat_name>甲</wp:cat_name></wp:category>
<wp:category><wp:term_id>8</wp:term_id><wp:category_nicename>chan-b</wp:category_nicename><wp:category_parent>chan-a</wp:category_parent><wp:cat_name>乙</wp:cat_name></wp:category>
<item><title>无分类</title><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>正文</content:encoded></item>
</channel></rss>`,
    );
    const before = new Set((await t.ctx.store.channels.all()).map((c) => c.path));
    const dry = await runImport(t, actor, file, { dryRun: true });
    const run = await runImport(t, actor, file);
    const made = (await t.ctx.store.channels.all()).filter((c) => !before.has(c.path));
    expect(run.channelsCreated).toBe(made.length);
    expect(dry.channelsCreated).toBe(run.channelsCreated);
    for (const c of made) expect(c.slug).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/);
  });

  it('gives every category a channel of its own when a renamed slug is another category’s (news, news-8, NEWS of term 8)', async () => {
    const category = (id: number, slug: string, name: string) =>
      `<wp:category><wp:term_id>${id}</wp:term_id><wp:category_nicename>${slug}</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name>${name}</wp:cat_name></wp:category>`;
    const post = (id: number, slug: string) =>
      `<item><title>分类${id}</title><wp:post_id>${id}</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><category domain="category" nicename="${slug}"><![CDATA[${slug}]]></category><content:encoded>正文</content:encoded></item>`;
    const file = tempFile(
      'renamed-channels.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://renamed.example</link>
${category(6, 'renamed', '要闻')}${category(7, 'renamed-8', '快讯')}${category(8, 'RENAMED', '评论')}${category(9, 'Renamed', '专栏')}
${post(1, 'renamed')}${post(2, 'renamed-8')}${post(3, 'RENAMED')}${post(4, 'Renamed')}
</channel></rss>`,
    );
    const dry = await runImport(t, actor, file, { dryRun: true });
    const run = await runImport(t, actor, file);
    expect(dry.channelsCreated).toBe(run.channelsCreated);
    const names = new Map((await t.ctx.store.channels.all()).map((c) => [c.id, c.name]));
    const channelOf = async (postId: number) => {
      const row = await t.db.database.db
        .selectFrom('import_sources')
        .select('article_id')
        .where('source_key', '=', `wxr:https://renamed.example#${postId}`)
        .executeTakeFirstOrThrow();
      return names.get((await t.ctx.store.articles.findById(row.article_id))!.channelId);
    };
    expect([await channelOf(1), await channelOf(2), await channelOf(3), await channelOf(4)]).toEqual(['要闻', '快讯', '评论', '专栏']);
  });

  it('nests categories as channels at most 32 deep: a file of hundreds nested in each other makes no path hundreds of levels long', async () => {
    const depth = 300;
    const categories = Array.from(
      { length: depth },
      (_, i) =>
        `<wp:category><wp:term_id>${i + 1}</wp:term_id><wp:category_nicename>deep-${i}</wp:category_nicename><wp:category_parent>${i > 0 ? `deep-${i - 1}` : ''}</wp:category_parent><wp:cat_name>第${i}层</wp:cat_name></wp:category>`,
    ).join('');
    const file = tempFile(
      'deep.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://deep.example</link>
${categories}
<item><title>最深</title><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><category domain="category" nicename="deep-${depth - 1}"><![CDATA[第${depth - 1}层]]></category><content:encoded>正文</content:encoded></item>
</channel></rss>`,
    );
    const before = new Set((await t.ctx.store.channels.all()).map((c) => c.path));
    const report = await runImport(t, actor, file);
    const all = (await t.ctx.store.channels.all()).filter((c) => !before.has(c.path));
    expect(report.channelsCreated).toBe(all.length);
    const made = all.filter((c) => c.slug.startsWith('deep-'));
    expect(made).toHaveLength(depth);
    expect(Math.max(...made.map((c) => c.path.split('/').length))).toBe(32);
    const row = await t.db.database.db
      .selectFrom('import_sources')
      .select('article_id')
      .where('source_key', '=', 'wxr:https://deep.example#1')
      .executeTakeFirstOrThrow();
    const { channelId } = (await t.ctx.store.articles.findById(row.article_id))!;
    const channel = made.find((c) => c.id === channelId);
    expect(channel?.name).toBe(`第${depth - 1}层`);
    expect(channel?.path.split('/')).toHaveLength(32);
  });

  it('answers old addresses under our own prefixes where no page of ours is (/p/123.html, a channel or topic the site lacks); our pages win', async () => {
    const links = ['/p/123.html', '/p/987654', '/a/5.html', '/c/no-such-channel', '/t/no-such-topic', '/search', '/healthz'];
    const file = tempFile(
      'own-prefixes.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://prefixes.example</link>
${links
  .map(
    (l, i) =>
      `<item><title>前缀${i}</title><link>https://prefixes.example${l}</link><wp:post_id>${950001 + i}</wp:post_id><wp:status>${i === 4 ? 'draft' : 'publish'}</wp:status><wp:post_type>post</wp:post_type><content:encoded>正文</content:encoded></item>`,
  )
  .join('\n')}
</channel></rss>`,
    );
    await runImport(t, actor, file);
    const idOf = async (i: number) =>
      (
        await t.db.database.db
          .selectFrom('import_sources')
          .select('article_id')
          .where('source_key', '=', `wxr:https://prefixes.example#${950001 + i}`)
          .executeTakeFirstOrThrow()
      ).article_id;
    for (const [i, url] of ['/p/123.html', '/p/987654', '/a/5.html', '/c/no-such-channel'].entries()) {
      const res = await t.app.inject({ url });
      expect([url, res.statusCode, res.headers.location]).toEqual([url, 301, `/a/${await idOf(i)}`]);
    }
    // A draft at the source: gone, as at any other old address.
    expect((await t.app.inject({ url: '/t/no-such-topic' })).statusCode).toBe(410);
    // Pages of ours keep their addresses.
    expect((await t.app.inject({ url: '/search' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/a/${await idOf(0)}` })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/p/123.htm' })).statusCode).toBe(404);
  });

  it('answers /blog/?p=<id> of a WordPress installed in /blog, where it answered it', async () => {
    const file = tempFile(
      'folder.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://folder.example/blog</link>
<item><title>子目录</title><link>https://folder.example/blog/2021/03/04/sub/</link><wp:post_id>960001</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>正文</content:encoded></item>
</channel></rss>`,
    );
    await runImport(t, actor, file);
    const row = await t.db.database.db
      .selectFrom('import_sources')
      .select('article_id')
      .where('source_key', '=', 'wxr:https://folder.example/blog#960001')
      .executeTakeFirstOrThrow();
    for (const url of ['/blog/?p=960001', '/blog/index.php?p=960001', '/blog/2021/03/04/sub/']) {
      const res = await t.app.inject({ url });
      expect([url, res.statusCode, res.headers.location]).toEqual([url, 301, `/a/${row.article_id}`]);
    }
  });

  it('takes a site that moved from http to https between two exports for the same site: its posts are not imported twice', async () => {
    const exported = (scheme: string, second: string) =>
      tempFile(
        `moved-${scheme}.xml`,
        `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>${scheme}://moved.example</link>
<item><title>搬家一</title><link>${scheme}://moved.example/one/</link><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>第一篇正文</content:encoded></item>
<item><title>搬家二</title><link>${scheme}://moved.example/two/</link><wp:post_id>2</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>${second}</content:encoded></item>
</channel></rss>`,
      );
    expect(await runImport(t, actor, exported('http', '第二篇正文'))).toMatchObject({ imported: 2 });
    const before = await counts(t);
    const moved = exported('https', '第二篇正文，改过了');
    expect(await runImport(t, actor, moved, { dryRun: true })).toMatchObject({ imported: 0, updated: 1, unchanged: 1 });
    expect(await runImport(t, actor, moved)).toMatchObject({ imported: 0, updated: 1, unchanged: 1 });
    expect(await runImport(t, actor, moved)).toMatchObject({ imported: 0, updated: 0, unchanged: 2 });
    expect((await counts(t)).articles).toBe(before.articles);
  });

  it('says when two posts of a file claim one old address, which leads to the first', async () => {
    const file = tempFile(
      'same-link.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://same-link.example</link>
<item><title>先</title><link>https://same-link.example/2020/01/05/%e4%b8%ad%e6%96%87/</link><wp:post_id>900001</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>正文</content:encoded></item>
<item><title>后</title><link>https://same-link.example/2020/01/05/%E4%B8%AD%E6%96%87</link><wp:post_id>900002</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>正文</content:encoded></item>
</channel></rss>`,
    );
    const dry = await runImport(t, actor, file, { dryRun: true });
    const report = await runImport(t, actor, file);
    for (const r of [dry, report]) {
      expect(r.redirects).toBe(3);
      expect(r.warnings).toContainEqual(expect.objectContaining({ postId: '900002', message: expect.stringContaining('/2020/01/05/中文') }));
    }
    const first = await t.db.database.db
      .selectFrom('import_sources')
      .select('article_id')
      .where('source_key', '=', 'wxr:https://same-link.example#900001')
      .executeTakeFirstOrThrow();
    expect((await t.app.inject({ url: '/2020/01/05/中文/' })).headers.location).toBe(`/a/${first.article_id}`);
  });

  it('imports hostile bodies in time that grows with their length: the server beside the import keeps answering', async () => {
    // 600 KB of unclosed tags and markers: before, tens of seconds to minutes on the import's main thread each.
    const file = tempFile(
      'hostile-bodies.xml',
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>t</title><link>https://hostile-bodies.example</link>
<item><title>标签</title><wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded><![CDATA[正文 ${'<a '.repeat(200_000)}]]></content:encoded></item>
<item><title>注释</title><wp:post_id>2</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded><![CDATA[正文 ${'<!-- wp:'.repeat(80_000)}]]></content:encoded></item>
<item><title>短代码</title><wp:post_id>3</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded><![CDATA[正文 ${'[a '.repeat(200_000)}]]></content:encoded></item>
</channel></rss>`,
    );
    const started = performance.now();
    const report = await runImport(t, actor, file);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(report).toMatchObject({ posts: 3, imported: 3 });
  }, 120_000);

  it('finds images in an uploads folder (resized variants too), through the media pipeline; missing ones keep their address', async () => {
    const uploads = mkdtempSync(path.join(os.tmpdir(), 'inkstone-uploads-'));
    mkdirSync(path.join(uploads, '2020/05'), { recursive: true });
    const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#c33' } })
      .jpeg()
      .toBuffer();
    writeFileSync(path.join(uploads, '2020/05/photo.jpg'), jpeg);
    // Outside the folder, and a link pointing there: never read.
    const outside = mkdtempSync(path.join(os.tmpdir(), 'inkstone-outside-'));
    writeFileSync(path.join(outside, 'secret.jpg'), jpeg);
    symlinkSync(path.join(outside, 'secret.jpg'), path.join(uploads, '2020/05/link.jpg'));
    const site = 'https://old.example.com';
    const file = tempFile(
      'images.xml',
      `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.1/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>旧站</title><link>${site}</link><wp:wxr_version>1.1</wp:wxr_version><wp:base_blog_url>${site}</wp:base_blog_url>
<item><title>图片稿</title><link>${site}/2020/05/06/%e5%9b%be%e7%89%87/</link><wp:post_id>7</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:post_date_gmt>2020-05-06 01:02:03</wp:post_date_gmt><dc:creator>zhang</dc:creator>
<content:encoded><![CDATA[第一段，有图。

<a href="${site}/wp-content/uploads/2020/05/photo.jpg"><img src="${site}/wp-content/uploads/2020/05/photo-300x200.jpg?w=604" alt="图"></a>
<img src="${site}/wp-content/uploads/2020/05/missing.jpg">
<img src="${site}/wp-content/uploads/%2e%2e/%2e%2e${outside}/secret.jpg">
<img src="${site}/wp-content/uploads/2020/05/link.jpg">]]></content:encoded>
<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>8</wp:meta_value></wp:postmeta>
</item>
<item><title>photo</title><wp:post_id>8</wp:post_id><wp:post_type>attachment</wp:post_type><wp:status>inherit</wp:status><wp:attachment_url>${site}/wp-content/uploads/2020/05/photo.jpg</wp:attachment_url></item>
</channel></rss>`,
    );
    const media = await counts(t);
    const report = await runImport(t, actor, file, { uploads: new UploadsFolder(uploads), mediaFolder: new MediaFolder(path.join(t.config.dataDir, 'media')) });
    expect(report).toMatchObject({ imported: 1, images: { found: 1 } });
    expect(report.images.missing).toEqual(expect.arrayContaining(['2020/05/missing.jpg', '2020/05/link.jpg']));
    expect((await counts(t)).media).toBe(media.media + 1);
    const row = await t.db.database.db.selectFrom('import_sources').select('article_id').where('source_key', '=', `wxr:${site}#7`).executeTakeFirstOrThrow();
    const article = (await t.ctx.store.articles.findById(row.article_id))!;
    expect(article.cover).toMatch(/^\/media\//);
    expect(article.bodyHtml).toMatch(new RegExp(`<a href="${article.cover}"[^>]*><img src="${article.cover}"`));
    expect(article.bodyHtml).toContain(`${site}/wp-content/uploads/2020/05/missing.jpg`);
    // The percent-encoded Chinese slug answers in either spelling.
    for (const url of ['/2020/05/06/%E5%9B%BE%E7%89%87/', `/2020/05/06/${encodeURIComponent('图片')}`]) {
      expect((await t.app.inject({ url })).headers.location).toBe(`/a/${article.id}`);
    }
    // Again: the image is found by its old address, not encoded twice.
    expect(
      await runImport(t, actor, file, { uploads: new UploadsFolder(uploads), mediaFolder: new MediaFolder(path.join(t.config.dataDir, 'media')) }),
    ).toMatchObject({
      imported: 0,
      unchanged: 1,
    });
    expect((await counts(t)).media).toBe(media.media + 1);
  });
});
