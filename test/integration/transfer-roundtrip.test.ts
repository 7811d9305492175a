import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createContainer, type Container } from '../../src/container.ts';
import { loadDemo } from '../../src/demo/load.ts';
import { toActor } from '../../src/domain/accounts/service.ts';
import { importArchive } from '../../src/domain/imports/service.ts';
import { readSource } from '../../src/transfer/source.ts';
import { CLEAR_ORDER, EXPORTED_TABLES, liveColumns, liveTables, NOT_EXPORTED, SqlTransferTables } from '../../src/storage/transfer.ts';
import { exportInkstoneArchive, importInkstoneArchive } from '../../src/transfer/inkstone-archive.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, publish } from '../support/factories.ts';
import { multipart } from '../support/images.ts';
import { vote } from '../support/reactions.ts';
import { openTestDatabase, STORES, type StoreKind, type TestDatabase } from '../support/stores.ts';

/**
 * `inkstone export` → `inkstone import` moves a whole newsroom between installs and between stores: every row of
 * every exported table arrives as it was (ids, times, bodies byte for byte), the vote counts and hourly buckets are
 * the same, the media files are served, and search finds the articles again.
 */
const PAIRS: [StoreKind, StoreKind][] =
  STORES.length === 2
    ? [
        ['sqlite', 'postgres'],
        ['postgres', 'sqlite'],
      ]
    : [[STORES[0]!, STORES[0]!]];

/** All rows of a table in key order, as the database holds them. */
async function rowsOf(db: Kysely<any>, table: string, columns: readonly string[], key: readonly string[]) {
  let q = db.selectFrom(table).select(columns as string[]);
  for (const k of key) q = q.orderBy(k);
  return (await q.execute()).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' || v === null ? v : Number(v)])));
}

/** A target install: a fresh database of the kind with its own data folder, as the CLI's container would build it. */
async function targetInstall(kind: StoreKind): Promise<{ db: TestDatabase; container: Container; close(): Promise<void> }> {
  const db = await openTestDatabase(kind);
  const config = loadConfig({
    INKSTONE_DATA_DIR: db.dataDir,
    INKSTONE_SECRET: 'another-secret-0123456789abcdef',
    INKSTONE_DEMO: '0',
    DATABASE_URL: db.databaseUrl,
    INKSTONE_SITE_URL: 'http://moved.example.test',
  });
  const container = createContainer({ config, database: db.database });
  return { db, container, close: () => container.close().then(() => db.cleanup()) };
}

describe.each(PAIRS)('export from %s, import into %s', (from, to) => {
  let t: TestApp;
  let editor: { auth: string; id: number };
  let archiveDir: string;
  let archive: string;
  let uploadedUrl: string;
  let publishedId: number;

  beforeAll(async () => {
    t = await startTestApp(from);
    editor = await t.user('editor');
    const admin = await t.user('admin', 'admin');
    await loadDemo(t.ctx, t.config);
    const synonyms = await t.app.inject({
      method: 'POST',
      url: '/api/v1/search/synonyms',
      headers: { authorization: admin.auth },
      payload: { words: ['北大', '北京大学'] },
    });
    expect(synonyms.statusCode, synonyms.body).toBe(201);
    // Beside the demo: an upload used as a cover, every status, a trashed article, votes, reads and pinned related items.
    const png = await sharp({ create: { width: 640, height: 400, channels: 3, background: { r: 200, g: 60, b: 40 } } })
      .png()
      .toBuffer();
    const form = await multipart({ field: 'file', data: png, filename: '江城地铁.png', type: 'image/png' });
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor.auth, ...form.headers }, payload: form.payload });
    expect(up.statusCode, up.body).toBe(201);
    uploadedUrl = json(up).url;
    const channel = (await t.ctx.store.channels.all())[0]!.path;
    const withImage = await createArticle(t.app, editor.auth, {
      channel,
      title: '导出测试：带图片的稿件',
      cover: uploadedUrl,
      body: `<p>江城地铁新线今日开通&amp;试运行。</p><figure><img src="${uploadedUrl}" alt="地铁"><figcaption>新线列车</figcaption></figure>`,
    });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${withImage.id}`,
      headers: { authorization: editor.auth },
      payload: { summary: '第二版摘要' },
    });
    await publish(t.app, editor.auth, withImage.id);
    publishedId = withImage.id;
    const draft = await createArticle(t.app, editor.auth, { channel, title: '导出测试：草稿', tags: ['草稿', '江城'] });
    const scheduled = await createArticle(t.app, editor.auth, { channel, title: '导出测试：定时发布' });
    const at = t.clock.now() + 86_400_000;
    const sch = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${scheduled.id}/schedule`,
      headers: { authorization: editor.auth },
      payload: { at: new Date(at).toISOString() },
    });
    expect(sch.statusCode, sch.body).toBe(200);
    const trashed = await createArticle(t.app, editor.auth, { channel, title: '导出测试：回收站' });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/articles/${trashed.id}`, headers: { authorization: editor.auth } })).statusCode).toBe(204);
    for (let i = 0; i < 5; i++) await vote(t.app, publishedId, i % 2 ? 'happy' : 'like', { ip: `10.0.${i}.1` });
    await t.app.inject({ method: 'POST', url: `/api/v1/articles/${publishedId}/views`, headers: {} });
    // A poll of the article with its ballots (the counts are columns and must arrive as they were).
    const poll = await t.app.inject({
      method: 'POST',
      url: '/api/v1/polls',
      headers: { authorization: editor.auth },
      payload: { question: '您会乘坐新线吗？', options: ['会', '不会', '看情况'], choice: 'multiple', article: publishedId },
    });
    expect(poll.statusCode, poll.body).toBe(201);
    for (let i = 0; i < 3; i++) {
      const b = await t.app.inject({ method: 'POST', url: `/api/v1/polls/${json(poll).id}/votes`, remoteAddress: `10.1.${i}.1`, payload: { choices: [0, i] } });
      expect(b.statusCode, b.body).toBe(200);
    }
    const pin = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/articles/${publishedId}/related`,
      headers: { authorization: editor.auth },
      payload: { pinned: [draft.id - 10 > 0 ? draft.id - 10 : 1], excluded: [] },
    });
    expect(pin.statusCode, pin.body).toBe(200);
    // Readers' comments (#15): the word list, a channel's mode, an approved comment with a reply and a like, a ban.
    const adminAct = (method: 'POST' | 'PUT', url: string, payload: object) =>
      t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: admin.auth }, payload });
    expect((await adminAct('POST', '/moderation/words', { text: '敏感 打码\n违禁词', action: 'block' })).statusCode).toBe(201);
    expect((await adminAct('PUT', `/comments/settings/${(await t.ctx.store.channels.all())[0]!.id}`, { moderation: 'post' })).statusCode).toBe(200);
    const commented = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${publishedId}/comments`,
      remoteAddress: '10.9.0.1',
      payload: { nickname: '读者', body: '导出也要带上留言' },
    });
    expect(commented.statusCode, commented.body).toBe(201);
    const commentId = json(commented).comment.id as number;
    expect((await adminAct('POST', `/comments/${commentId}/approve`, {})).statusCode).toBeLessThan(300);
    expect((await adminAct('PUT', `/comments/${commentId}/reply`, { text: '谢谢' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/comments/${commentId}/likes`, remoteAddress: '10.9.0.2' })).statusCode).toBe(200);
    expect((await adminAct('POST', '/comments/bans', { prefix: '203.0.113.0/24' })).statusCode).toBe(201);
    // A live (图文直播) with an entry showing the upload, a pinned one and a deleted one (a tombstone).
    const liveUrl = `/api/v1/articles/${publishedId}/live`;
    expect((await t.app.inject({ method: 'PUT', url: liveUrl, headers: { authorization: editor.auth }, payload: { status: 'live' } })).statusCode).toBe(200);
    const entries = [{ body: '新线首班车发车。', images: [json(up).id] }, { body: '置顶：乘车指南', pinned: true }, { body: '将被删除的消息' }];
    const posted: number[] = [];
    for (const payload of entries) {
      const res = await t.app.inject({ method: 'POST', url: `${liveUrl}/entries`, headers: { authorization: editor.auth }, payload });
      expect(res.statusCode, res.body).toBe(201);
      posted.push(json(res).id);
    }
    expect((await t.app.inject({ method: 'DELETE', url: `${liveUrl}/entries/${posted[2]}`, headers: { authorization: editor.auth } })).statusCode).toBe(204);
    // A post imported from a WordPress export: its source and its old address travel with the archive.
    const wxrDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-wxr-'));
    const wxr = path.join(wxrDir, 'old.xml');
    writeFileSync(
      wxr,
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>旧站</title><link>https://old.example</link><item><title>旧站迁来的稿件</title><link>https://old.example/2019/05/04/qiao/</link><wp:post_id>7</wp:post_id><wp:post_date_gmt>2019-05-04 02:00:00</wp:post_date_gmt><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>江城大桥今日合龙。</content:encoded></item></channel></rss>`,
    );
    const admins = await t.ctx.store.accounts.list();
    const imported = await importArchive(t.ctx, toActor(admins.find((a) => a.username === 'admin')!), 'wxr', () => readSource(wxr, 'wxr'), {});
    expect(imported.imported).toBe(1);
    rmSync(wxrDir, { recursive: true, force: true });
    archiveDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-archive-'));
    archive = path.join(archiveDir, 'site.tar.gz');
    const report = await exportInkstoneArchive({ config: t.config, ctx: t.ctx, transfer: new SqlTransferTables(t.db.database) }, archive);
    expect(report.missingMedia).toEqual([]);
    expect(report.counts.articles).toBeGreaterThan(20);
    // Every kind is really there to carry across.
    for (const table of EXPORTED_TABLES.map((s) => s.table).filter((t) => t !== 'sources')) expect(report.counts[table], table).toBeGreaterThan(0);
  }, 180_000);
  afterAll(async () => {
    await t.close();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('brings every row of every exported table across, ids, times and bodies as they were', async () => {
    const target = await targetInstall(to);
    try {
      // A first start's admin is there already: the install is still empty, and that admin keeps its password.
      const { createAccount } = await import('../../src/domain/accounts/service.ts');
      await createAccount(target.container.ctx, null, { username: 'admin', role: 'admin', password: 'target-admin-pass' });
      const report = await importInkstoneArchive(target.container, archive);
      const source = t.db.database.db as unknown as Kysely<any>;
      const dest = target.db.database.db as unknown as Kysely<any>;
      for (const spec of EXPORTED_TABLES) {
        const before = await rowsOf(source, spec.table, spec.columns, spec.key);
        const after = await rowsOf(dest, spec.table, spec.columns, spec.key);
        expect(after.length, spec.table).toBe(before.length);
        expect(after, spec.table).toEqual(before);
        expect(report.counts[spec.table], spec.table).toBe(before.length);
      }
      // Byte-identical bodies, said once more in so many words.
      const bodies = async (db: Kysely<any>) =>
        (await db.selectFrom('articles').select(['id', 'body_html']).orderBy('id').execute()).map((r) => [
          r.id,
          Buffer.from(r.body_html, 'utf8').toString('base64'),
        ]);
      expect(await bodies(dest)).toEqual(await bodies(source));
      // Counts and hourly buckets come back from the votes' triggers exactly.
      for (const table of ['reaction_counts', 'reaction_buckets']) {
        const cols = table === 'reaction_counts' ? ['article_id', 'mood', 'count'] : ['article_id', 'mood', 'hour', 'count'];
        const nonzero = async (db: Kysely<any>) => (await rowsOf(db, table, cols, cols)).filter((r) => r.count !== 0);
        expect(await nonzero(dest), table).toEqual(await nonzero(source));
        expect((await nonzero(dest)).length, table).toBeGreaterThan(0);
      }
      // Search was rebuilt; new ids continue after the imported ones (PostgreSQL sequences moved on).
      expect(report.indexed.published).toBe(await t.ctx.store.articles.countByStatus('published'));
      const { app } = await buildApp({ container: target.container });
      await app.ready();
      try {
        const page = await app.inject({ url: `/a/${publishedId}` });
        expect(page.statusCode).toBe(200);
        // The old site's address still leads to the imported story.
        const moved = await app.inject({ url: '/2019/05/04/qiao/' });
        expect(moved.statusCode, moved.body.slice(0, 200)).toBe(301);
        expect((await app.inject({ url: String(moved.headers.location) })).body).toContain('旧站迁来的稿件');
        expect(page.body).toContain('导出测试：带图片的稿件');
        const image = await app.inject({ url: uploadedUrl });
        expect(image.statusCode).toBe(200);
        expect(image.rawPayload.length).toBeGreaterThan(100);
        const found = json(await app.inject({ url: `/api/v1/search?q=${encodeURIComponent('带图片的稿件')}` }));
        expect(found.items.map((i: { id: number }) => i.id)).toContain(publishedId);
        // The install's admin signs in with its own password; imported accounts wait for one.
        const login = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: 'target-admin-pass' } });
        expect(login.statusCode, login.body).toBe(200);
        expect(report.withoutPassword.length).toBeGreaterThan(0);
        expect(report.withoutPassword).not.toContain('admin');
        const fresh = await app.inject({
          method: 'POST',
          url: '/api/v1/channels',
          headers: { cookie: login.headers['set-cookie'] as string, 'x-csrf-token': json(login).csrfToken },
          payload: { slug: 'xinpindao', name: '新频道' },
        });
        expect(fresh.statusCode, fresh.body).toBe(201);
        const maxChannel = Math.max(...(await t.ctx.store.channels.all()).map((c) => c.id));
        expect(json(fresh).id).toBeGreaterThan(maxChannel);
      } finally {
        await app.close();
      }
    } finally {
      await target.close();
    }
  }, 120_000);

  it('refuses an install that has content, unless asked to replace it', async () => {
    const target = await targetInstall(to);
    try {
      await importInkstoneArchive(target.container, archive, { skipReindex: true });
      const articles = await target.container.ctx.store.articles.countByStatus('published');
      await expect(importInkstoneArchive(target.container, archive, { skipReindex: true })).rejects.toThrow(/not empty/);
      expect(await target.container.ctx.store.articles.countByStatus('published')).toBe(articles);
      const again = await importInkstoneArchive(target.container, archive, { replace: true, skipReindex: true });
      expect(again.counts.articles).toBeGreaterThan(20);
      expect(await target.container.ctx.store.articles.countByStatus('published')).toBe(articles);
    } finally {
      await target.close();
    }
  }, 120_000);
});

describe.each(STORES)('what an archive holds on %s', (kind) => {
  it('decides every table and writes every column but the password hash', async () => {
    const db = await openTestDatabase(kind);
    try {
      const k = db.database.db as unknown as Kysely<any>;
      const exported = new Set(EXPORTED_TABLES.map((s) => s.table));
      const undecided = (await liveTables(k, db.database.dialect)).filter((t) => !exported.has(t) && !Object.hasOwn(NOT_EXPORTED, t));
      expect(undecided).toEqual([]);
      // `--replace` empties every table that holds the newsroom's rows (FTS internals and migrations aside).
      const uncleared = (await liveTables(k, db.database.dialect)).filter((t) => !CLEAR_ORDER.includes(t) && !/_fts|^kysely_|^sqlite_/.test(t));
      expect(uncleared).toEqual([]);
      for (const spec of EXPORTED_TABLES) {
        const columns = await liveColumns(k, db.database.dialect, spec.table);
        expect([...spec.columns, ...Object.keys(spec.withheld ?? {})].sort(), spec.table).toEqual(columns);
      }
    } finally {
      await db.cleanup();
    }
  });
});
