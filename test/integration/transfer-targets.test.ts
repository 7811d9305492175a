import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferError } from '../../src/domain/transfer.ts';
import { backupSite } from '../../src/storage/backup.ts';
import { SqlTransferTables } from '../../src/storage/transfer.ts';
import { exportInkstoneArchive } from '../../src/transfer/inkstone-archive.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Where an export or a backup is written is the operator's to name, and a slip of the hand must not cost the site:
 * the data folder's own database and secret are never replaced by an archive, nothing is written into the media
 * folder (a backup there would read its own growing file into itself until the disk is full), and a place that cannot
 * take the file is refused with a clear reason before anything is written.
 */
describe.each(STORES)('where export and backup may write on %s', (kind) => {
  let t: TestApp;
  let dataDir: string;
  const container = () => ({ config: t.config, ctx: t.ctx, transfer: new SqlTransferTables(t.db.database) });
  const backup = (target: string) =>
    backupSite(target, {
      database: t.db.database,
      databaseUrl: t.config.databaseUrl,
      dataDir,
      mediaRoot: path.join(dataDir, 'media'),
      schema: '',
    });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  beforeAll(async () => {
    t = await startTestApp(kind);
    dataDir = t.config.dataDir;
    const editor = await t.user('editor');
    await createChannels(t.app, (await t.user('admin')).auth);
    const a = await createArticle(t.app, editor.auth, { title: '江城地铁新线开通', body: '<p>江城地铁新线今日开通。</p>' });
    await publish(t.app, editor.auth, a.id);
    mkdirSync(path.join(dataDir, 'media', 'demo'), { recursive: true });
    writeFileSync(path.join(dataDir, 'media', 'demo', 'a.jpg'), 'jpeg');
    writeFileSync(path.join(dataDir, 'secret'), `${'s'.repeat(40)}\n`);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const mediaFiles = () => readdirSync(path.join(dataDir, 'media'), { recursive: true }).map(String).sort();

  it("never writes an archive over the data folder's database or secret, nor into its media folder", async () => {
    const secretBefore = readFileSync(path.join(dataDir, 'secret'));
    const mediaBefore = mediaFiles();
    const link = path.join(t.config.dataDir, '..', `${path.basename(dataDir)}-link`);
    symlinkSync(dataDir, link);
    try {
      const targets = [
        path.join(dataDir, 'secret'),
        path.join(dataDir, 'media', 'demo', 'backup.tar.gz'),
        path.join(dataDir, 'media', '2026') + path.sep,
        path.join(link, 'media', 'x.tar.gz'),
        ...(kind === 'sqlite' ? [path.join(dataDir, 'inkstone.db'), path.join(link, 'inkstone.db'), path.join(dataDir, 'inkstone.db-wal')] : []),
      ];
      for (const target of targets) {
        for (const [how, run] of [
          ['backup', () => backup(target)],
          ['export', () => exportInkstoneArchive(container(), target)],
        ] as const) {
          const err = await refusal(run());
          expect(err, `${how} ${target}`).toBeInstanceOf(TransferError);
          expect((err as Error).message, `${how} ${target}`).toMatch(/不能写入.*(media folder|data folder's own)/);
        }
      }
    } finally {
      rmSync(link);
    }
    expect(readFileSync(path.join(dataDir, 'secret'))).toEqual(secretBefore);
    expect(mediaFiles()).toEqual(mediaBefore);
    // The site still reads its database.
    expect((await t.ctx.store.articles.listPublished({ limit: 5 })).map((a) => a.title)).toEqual(['江城地铁新线开通']);
    if (kind === 'sqlite') expect(readFileSync(path.join(dataDir, 'inkstone.db')).subarray(0, 15).toString()).toBe('SQLite format 3');
  }, 60_000);

  it('refuses a folder, a missing folder and an unwritable place with a clear reason, leaving no file', async () => {
    const outside = path.join(dataDir, '..', `${path.basename(dataDir)}-out`);
    mkdirSync(outside);
    try {
      const cases: [string, RegExp][] = [
        [path.join(outside, 'no', 'such', 'folder', 'x.tar.gz'), /does not exist/],
        [outside, /folder, not a file/],
      ];
      for (const [target, message] of cases) {
        const err = await refusal(exportInkstoneArchive(container(), target));
        expect(err, target).toBeInstanceOf(TransferError);
        expect((err as Error).message, target).toMatch(message);
      }
      // A file where a folder should be: neither the backup's folder nor the archive can be made.
      writeFileSync(path.join(outside, 'plain'), 'x');
      for (const run of [
        () => backup(path.join(outside, 'plain', 'x.tar.gz')),
        () => exportInkstoneArchive(container(), path.join(outside, 'plain', 'x.tar.gz')),
      ]) {
        const err = await refusal(run());
        expect(err).toBeInstanceOf(TransferError);
        expect((err as Error).message).toMatch(/不能写入.*is not a folder/);
      }
      expect(readdirSync(outside)).toEqual(['plain']);
      // A backup into a folder it makes, beside the data folder, is what the command is for.
      if (kind === 'sqlite') {
        const report = await backup(path.join(outside, 'backups') + path.sep);
        expect(statSync(report.file).size).toBeGreaterThan(0);
        expect(existsSync(`${report.file}.part`)).toBe(false);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }, 60_000);
});
