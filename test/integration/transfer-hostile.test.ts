import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createContainer, type Container } from '../../src/container.ts';
import { TransferError } from '../../src/domain/transfer.ts';
import { SqlTransferTables } from '../../src/storage/transfer.ts';
import { exportInkstoneArchive, importInkstoneArchive } from '../../src/transfer/inkstone-archive.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { filesUnder, multipart } from '../support/images.ts';
import { openTestDatabase, STORES, type TestDatabase } from '../support/stores.ts';

/**
 * A hostile or broken archive is the normal case: paths that climb out (`../`, absolute, through links), a file cut
 * short or scrambled, rows that do not fit, a disk that fills up. Each is refused with a clear reason and leaves the
 * install exactly as empty as it was: no rows, no media files, nothing outside the data folder.
 */
interface Entry {
  name: string;
  body?: Buffer | string;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
}

async function tarGz(file: string, entries: Entry[]): Promise<void> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => pack.on('end', resolve));
  for (const e of entries) {
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, size: body.length }, body, done);
      else pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, size: 0 }, done).end();
    });
  }
  pack.finalize();
  await ended;
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
}

describe.each(STORES)('hostile and broken archives on %s', (kind) => {
  let t: TestApp;
  let dir: string;
  let good: string;
  let target: { db: TestDatabase; container: Container };

  const manifest = () =>
    JSON.stringify({
      format: 'inkstone-archive',
      version: 1,
      createdAt: new Date().toISOString(),
      site: { url: 'http://x', name: 'x' },
      store: kind,
      schema: '',
      tables: [],
    });
  const end = (counts: Record<string, number> = {}, mediaFiles = 0) => JSON.stringify({ counts, mediaFiles });

  beforeAll(async () => {
    t = await startTestApp(kind);
    const editor = await t.user('editor');
    await createChannels(t.app, (await t.user('admin')).auth);
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 10, g: 90, b: 160 } } })
      .png()
      .toBuffer();
    const form = await multipart({ field: 'file', data: png, filename: 'a.png', type: 'image/png' });
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor.auth, ...form.headers }, payload: form.payload });
    const cover = json(up).url as string;
    for (let i = 0; i < 30; i++) {
      const a = await createArticle(t.app, editor.auth, { title: `江城新闻第${i}条`, cover, body: `<p>${'江城地铁新线开通。'.repeat(200)}第${i}条</p>` });
      await publish(t.app, editor.auth, a.id);
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-hostile-'));
    good = path.join(dir, 'good.tar.gz');
    await exportInkstoneArchive({ config: t.config, ctx: t.ctx, transfer: new SqlTransferTables(t.db.database) }, good);
    const db = await openTestDatabase(kind);
    const config = loadConfig({ INKSTONE_DATA_DIR: db.dataDir, INKSTONE_SECRET: 'x'.repeat(32), INKSTONE_DEMO: '0', DATABASE_URL: db.databaseUrl });
    target = { db, container: createContainer({ config, database: db.database }) };
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await target?.container.close();
    await target?.db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The target install holds nothing: no rows of any kind, no media files. */
  const expectUntouched = async () => {
    expect(await target.container.transfer.contentCounts()).toEqual({ articles: 0, channels: 0, topics: 0, media: 0, sources: 0, tags: 0, slot_items: 0 });
    expect(await target.container.ctx.store.accounts.count()).toBe(0);
    const media = path.join(target.db.dataDir, 'media');
    expect(existsSync(media) ? filesUnder(media).filter((f) => !f.includes(`${path.sep}tmp${path.sep}`) && !f.startsWith('tmp')) : []).toEqual([]);
  };
  const refused = async (file: string, reason: TransferError['reason'], message: RegExp, options = {}) => {
    const err = await importInkstoneArchive(target.container, file, { skipReindex: true, ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).reason).toBe(reason);
    expect((err as Error).message).toMatch(message);
    await expectUntouched();
  };

  it('never writes outside the data folder: ../, absolute paths, links and odd media paths are refused', async () => {
    const outside = path.join(dir, 'escaped.txt');
    const cases: [string, Entry][] = [
      ['dotdot', { name: '../escaped.txt', body: 'x' }],
      ['dotdot-media', { name: 'media/../../escaped.txt', body: 'x' }],
      ['absolute', { name: outside, body: 'x' }],
      ['symlink', { name: 'media/2026/01/AAAAAAAAAAAAAAAA-640.jpg', type: 'symlink', linkname: outside }],
      ['hardlink', { name: 'media/2026/01/BBBBBBBBBBBBBBBB-640.jpg', type: 'link', linkname: '/etc/passwd' }],
      ['directory', { name: 'media/2026/', type: 'directory' }],
      ['hidden', { name: 'media/.htaccess', body: 'x' }],
      ['tmp', { name: 'media/tmp/1/x.jpg', body: 'x' }],
      ['stranger', { name: 'secret', body: 'x' }],
    ];
    for (const [label, entry] of cases) {
      const file = path.join(dir, `${label}.tar.gz`);
      await tarGz(file, [{ name: 'inkstone-archive.json', body: manifest() }, entry, { name: 'end.json', body: end() }]);
      await refused(file, 'unsafe', /不安全|不允许|不认识/);
      expect(existsSync(outside), label).toBe(false);
    }
  });

  it('refuses a truncated or scrambled archive and removes the media files it had staged', async () => {
    const bytes = readFileSync(good);
    // Cut after the media files were read (the end marker and gzip's trailer are lost), and cut in the middle of the rows.
    for (const keep of [bytes.length - 40, Math.floor(bytes.length / 2), 100]) {
      const file = path.join(dir, `cut-${keep}.tar.gz`);
      writeFileSync(file, bytes.subarray(0, keep));
      await refused(file, 'corrupt', /损坏|不完整|truncated|corrupt/);
    }
    const scrambled = Buffer.from(bytes);
    for (let i = Math.floor(bytes.length / 3); i < Math.floor(bytes.length / 3) + 64; i++) scrambled[i] = scrambled[i]! ^ 0x5a;
    const file = path.join(dir, 'scrambled.tar.gz');
    writeFileSync(file, scrambled);
    await refused(file, 'corrupt', /./);
    // Not gzip at all, and a tar without the end marker.
    writeFileSync(path.join(dir, 'text.tar.gz'), '<rss></rss>');
    await refused(path.join(dir, 'text.tar.gz'), 'corrupt', /./);
    await tarGz(path.join(dir, 'noend.tar.gz'), [{ name: 'inkstone-archive.json', body: manifest() }]);
    await refused(path.join(dir, 'noend.tar.gz'), 'corrupt', /truncated/);
  });

  it('refuses rows that do not fit: a missing channel, a wrong column, a count that does not add up', async () => {
    const account = { id: 1, username: 'wang', display_name: '王', role: 'editor', disabled_at: null, created_at: 1, updated_at: 1 };
    const article = {
      id: 5,
      title: '孤儿稿件',
      subtitle: '',
      summary: '',
      body_html: '<p>x</p>',
      body_text: 'x',
      channel_id: 99,
      source: '',
      byline: '',
      editor: '',
      cover: '',
      status: 'draft',
      published_at: null,
      scheduled_at: null,
      created_at: 1,
      updated_at: 1,
      author_id: 1,
      revision: 1,
      deleted_at: null,
      deleted_by: null,
      has_image: 0,
    };
    const channel = { id: 99, slug: 'city', name: '城市', parent_id: null, path: 'city', position: 0, description: '', created_at: 1 };
    const cases: [string, Entry[], RegExp][] = [
      [
        'orphan',
        [
          { name: 'records/000000-accounts.jsonl', body: `${JSON.stringify(account)}\n` },
          { name: 'records/000001-articles.jsonl', body: `${JSON.stringify(article)}\n` },
        ],
        /do not fit/,
      ],
      ['column', [{ name: 'records/000000-accounts.jsonl', body: `${JSON.stringify({ ...account, password_hash: 'x', role: undefined })}\n` }], /malformed/],
      ['object', [{ name: 'records/000000-accounts.jsonl', body: `${JSON.stringify({ ...account, role: { admin: true } })}\n` }], /malformed/],
      ['json', [{ name: 'records/000000-accounts.jsonl', body: '{"id":1,\n' }], /not JSON/],
      // Text or a fraction in an integer column: SQLite would keep it as it came, and a time that is not one hung the reindex.
      ...(
        [
          ['text-time', { published_at: '昨天' }],
          ['fraction', { revision: 1.5 }],
          ['huge', { created_at: 1e300 }],
        ] as const
      ).map(
        ([label, change]) =>
          [
            label,
            [
              { name: 'records/000000-accounts.jsonl', body: `${JSON.stringify(account)}\n` },
              { name: 'records/000001-channels.jsonl', body: `${JSON.stringify(channel)}\n` },
              { name: 'records/000002-articles.jsonl', body: `${JSON.stringify({ ...article, ...change })}\n` },
            ],
            /not a whole number/,
          ] as [string, Entry[], RegExp],
      ),
      ['table', [{ name: 'records/000000-sqlite_master.jsonl', body: '{}\n' }], /不认识|unknown/],
    ];
    for (const [label, records, message] of cases) {
      const file = path.join(dir, `${label}.tar.gz`);
      await tarGz(file, [
        { name: 'inkstone-archive.json', body: manifest() },
        ...records,
        { name: 'end.json', body: end({ accounts: 1, channels: 1, articles: 1 }) },
      ]);
      const err = await importInkstoneArchive(target.container, file, { skipReindex: true }).catch((e: Error) => e);
      expect(err, label).toBeInstanceOf(TransferError);
      expect((err as Error).message, label).toMatch(message);
      await expectUntouched();
    }
    const short = path.join(dir, 'short.tar.gz');
    await tarGz(short, [
      { name: 'inkstone-archive.json', body: manifest() },
      { name: 'records/000000-accounts.jsonl', body: `${JSON.stringify(account)}\n` },
      { name: 'end.json', body: end({ accounts: 2 }) },
    ]);
    await refused(short, 'corrupt', /1 rows of accounts instead of 2/);
  });

  it('stops with a clear error before the disk fills up and keeps nothing (simulated by the free-space floor)', async () => {
    // A real ENOSPC needs a small file system we cannot mount here; the guard reads the real free space (statfs) and
    // refuses below the floor, so a floor above what is free stands in for a full disk. ENOSPC itself maps to the same error.
    await refused(good, 'disk_full', /磁盘空间不足.*nothing was imported/, { minFreeBytes: Number.MAX_SAFE_INTEGER });
  });

  it('imports the good archive once when two imports race; the loser finds the install taken', async () => {
    const results = await Promise.allSettled([
      importInkstoneArchive(target.container, good, { skipReindex: true }),
      importInkstoneArchive(target.container, good, { skipReindex: true }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((loser.reason as TransferError).reason).toBe('not_empty');
    expect((await target.container.transfer.contentCounts()).articles).toBe(30);
    const served = await target.container.ctx.media.exists(
      (await target.container.ctx.store.articles.listPublished({ limit: 1 }))[0]!.cover.replace('/media/', ''),
    );
    expect(served).toBe(true);
  }, 60_000);
});

describe('hostile and broken backups given to restore', () => {
  let dir: string;
  let dataDir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-hostile-backup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const backupManifest = JSON.stringify({ format: 'inkstone-backup', version: 1, kind: 'sqlite', createdAt: new Date().toISOString(), schema: '' });
  const restoreInto = async (file: string) => {
    dataDir = mkdtempSync(path.join(dir, 'data-'));
    const { restoreBackup } = await import('../../src/storage/backup.ts');
    return restoreBackup(file, { database: 'sqlite', databaseUrl: undefined, dataDir, mediaRoot: path.join(dataDir, 'media') }).then(
      () => undefined,
      (e: unknown) => e,
    );
  };
  const nothingRestored = () => {
    expect(existsSync(path.join(dataDir, 'inkstone.db'))).toBe(false);
    const media = path.join(dataDir, 'media');
    expect(existsSync(media) ? filesUnder(media).filter((f) => !f.startsWith('tmp')) : []).toEqual([]);
    expect(existsSync(path.join(dir, 'escaped.txt'))).toBe(false);
  };

  it('refuses paths out of the folder, links and strangers, and restores nothing', async () => {
    const db = Buffer.from('SQLite format 3\u0000');
    for (const [label, entry] of [
      ['dotdot', { name: 'media/../../escaped.txt', body: 'x' }],
      ['absolute', { name: path.join(dir, 'escaped.txt'), body: 'x' }],
      ['symlink', { name: 'media/2026/01/AAAAAAAAAAAAAAAA-640.jpg', type: 'symlink', linkname: path.join(dir, 'escaped.txt') }],
      ['hardlink', { name: 'media/2026/01/AAAAAAAAAAAAAAAA-640.jpg', type: 'link', linkname: '/etc/passwd' }],
      ['secret', { name: 'secret', body: '../../etc/passwd' }],
    ] as [string, Entry][]) {
      const file = path.join(dir, `${label}.tar.gz`);
      await tarGz(file, [
        { name: 'inkstone-backup.json', body: backupManifest },
        { name: 'media/2026/01/BBBBBBBBBBBBBBBB-640.jpg', body: 'staged first' },
        { name: 'database/inkstone.db', body: db },
        entry,
        { name: 'end.json', body: '{"mediaFiles":1}' },
      ]);
      const err = await restoreInto(file);
      expect(err, label).toBeInstanceOf(TransferError);
      expect((err as TransferError).reason, label).toBe('unsafe');
      nothingRestored();
    }
  });

  it('refuses a backup whose database is not a whole SQLite database, and restores nothing', async () => {
    const header = Buffer.concat([Buffer.from('SQLite format 3\u0000'), Buffer.alloc(8192, 0x41)]);
    for (const [label, db] of [
      ['text', Buffer.from('not a database at all '.repeat(100))],
      ['header only', header],
    ] as const) {
      const file = path.join(dir, `notdb-${label}.tar.gz`);
      await tarGz(file, [
        { name: 'inkstone-backup.json', body: backupManifest },
        { name: 'database/inkstone.db', body: db },
        { name: 'media/2026/01/BBBBBBBBBBBBBBBB-640.jpg', body: 'staged first' },
        { name: 'end.json', body: '{"mediaFiles":1}' },
      ]);
      const err = await restoreInto(file);
      expect(err, label).toBeInstanceOf(TransferError);
      expect((err as TransferError).reason, label).toBe('corrupt');
      expect((err as Error).message, label).toMatch(/not a SQLite database|damaged/);
      nothingRestored();
    }
  });

  it('refuses a truncated backup, and restores nothing', async () => {
    const file = path.join(dir, 'short.tar.gz');
    await tarGz(file, [
      { name: 'inkstone-backup.json', body: backupManifest },
      { name: 'media/2026/01/BBBBBBBBBBBBBBBB-640.jpg', body: 'staged first' },
      { name: 'database/inkstone.db', body: Buffer.alloc(100_000, 7) },
    ]);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 30));
    const err = await restoreInto(file);
    expect((err as TransferError).reason).toBe('corrupt');
    nothingRestored();
    const noEnd = path.join(dir, 'noend.tar.gz');
    await tarGz(noEnd, [
      { name: 'inkstone-backup.json', body: backupManifest },
      { name: 'database/inkstone.db', body: 'x' },
    ]);
    expect(((await restoreInto(noEnd)) as TransferError).message).toMatch(/truncated/);
    nothingRestored();
  });
});
