import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadConfig, ConfigError } from '../config.ts';
import { ROLES } from '../domain/accounts/roles.ts';
import { randomToken } from '../domain/crypto.ts';
import { DomainError } from '../domain/errors.ts';
import { TransferError } from '../domain/transfer.ts';
import type { Container } from '../container.ts';
// The server, storage drivers, argon2 and the demo load inside the commands that use them: `--help` starts fast.

/** A mistake of the operator's: printed as one line, exit code 2, no stack trace. */
class CliError extends Error {}

/** A file a command reads (import, restore): a clear refusal, before anything is opened, when there is none to read. */
async function fileToRead(file: string): Promise<void> {
  const found = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new CliError(`找不到文件 (no such file): ${file}`);
    if (err.code === 'EACCES') throw new CliError(`无权读取 (not allowed to read): ${file}`);
    throw err;
  });
  if (!found.isFile()) throw new CliError(`不是文件 (not a file): ${file}`);
}

/**
 * Opens the configured database and the process's parts (src/container.ts) for one command; every command but
 * `migrate` itself first brings the database up to date.
 */
async function withContainer<T>(fn: (container: Container) => Promise<T>, { migrateFirst = true, readOnly = false, bulk = false } = {}): Promise<T> {
  const config = loadConfig();
  const [{ migrate, openDatabase, BULK_SQLITE_CACHE_MB }, { createContainer }] = await Promise.all([
    import('../storage/database.ts'),
    import('../container.ts'),
  ]);
  const database = openDatabase(bulk ? { ...config, sqliteCacheMB: BULK_SQLITE_CACHE_MB } : config);
  const container = createContainer({ config, database });
  try {
    if (migrateFirst) await migrate(database);
    const result = await fn(container);
    // A command that changes nothing (backup, export) leaves the outbox to the server: doing the server's pending
    // work from a second process on SQLite would only compete with its writes.
    if (migrateFirst && !readOnly) {
      // What the command changed reaches search and related reading before it exits; a server would do it otherwise.
      const { drainOutbox } = await import('../domain/outbox.ts');
      await drainOutbox(container.ctx, (item, err) => console.error(`Indexing article ${item.subjectId} failed (${String(err)}); the server retries it.`));
    }
    return result;
  } finally {
    await container.close();
    await database.close();
  }
}

const program = new Command('inkstone').description('Inkstone (砚): a Chinese-first news publishing platform').showHelpAfterError();

program
  .command('serve')
  .description('serve the site (runs migrations; first start creates admin and loads demo content)')
  .action(async () => {
    const config = loadConfig();
    const { serve } = await import('../server.ts');
    await serve(config);
  });

program
  .command('migrate')
  .description('apply database migrations')
  .action(() =>
    withContainer(
      async ({ database }) => {
        const { migrate } = await import('../storage/database.ts');
        const applied = await migrate(database);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      },
      { migrateFirst: false },
    ),
  );

program
  .command('demo')
  .description('load the demo content (channels, articles, images, topics) into a database without channels')
  .action(() =>
    withContainer(async (container) => {
      const { config, ctx } = container;
      if ((await ctx.store.channels.all()).length > 0) {
        console.log('The database already has channels; the demo loads only into an empty newsroom.');
        return;
      }
      const [{ prepare }, { loadDemo }] = await Promise.all([import('../bootstrap.ts'), import('../demo/load.ts')]);
      await prepare(container, { demo: false });
      const loaded = await loadDemo(ctx, config);
      console.log(`Loaded ${loaded.channels} channels, ${loaded.articles} articles and ${loaded.topics} topics.`);
    }),
  );

const user = program.command('user').description('manage newsroom accounts');
user
  .command('add <name>')
  .description('create an account; the password comes from --password, INKSTONE_NEW_PASSWORD, or is generated and printed')
  .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
  .option('--display-name <name>', 'name shown in the newsroom')
  .option('--password <password>', 'initial password (at least 8 characters)')
  .action((name: string, opts: { role: string; displayName?: string; password?: string }) =>
    withContainer(async ({ ctx }) => {
      const given = opts.password ?? process.env.INKSTONE_NEW_PASSWORD;
      const password = given ?? randomToken(12);
      const { createAccount } = await import('../domain/accounts/service.ts');
      const account = await createAccount(ctx, null, { username: name, role: opts.role, displayName: opts.displayName, password });
      console.log(`Created ${account.role} ${account.username}.`);
      if (!given) console.log(`Password (shown once): ${password}`);
    }),
  );

const token = program.command('token').description('manage API tokens');
token
  .command('create')
  .description('create an API token for a user; the token is the last word of the last line')
  .requiredOption('--user <name>', 'account the token acts as')
  .option('--name <label>', 'what the token is for', 'cli')
  .action((opts: { user: string; name: string }) =>
    withContainer(async ({ ctx }) => {
      const { createApiToken } = await import('../domain/accounts/service.ts');
      const created = await createApiToken(ctx, null, { username: opts.user, name: opts.name });
      console.log(`Created API token #${created.id} for ${opts.user}; it is shown once:`);
      console.log(`Token: ${created.token}`);
    }),
  );

program
  .command('reindex')
  .description(
    "rebuild the search indexes: the published articles, and the archive's of the others (after changing dict/newsroom.txt); a run stopped half-way resumes where it stopped",
  )
  .option('--restart', 'begin again from the first article, even after a run that stopped half-way')
  .action((opts: { restart?: boolean }) =>
    withContainer(async ({ ctx, config }) => {
      const started = Date.now();
      const [{ rebuildDraftIndex, rebuildSearchIndex }, { progress }, { readCheckpoint, writeCheckpoint, clearCheckpoint }] = await Promise.all([
        import('../domain/search/service.ts'),
        import('./progress.ts'),
        import('./checkpoint.ts'),
      ]);
      const file = path.join(config.dataDir, 'reindex.checkpoint.json');
      const resumed = opts.restart ? undefined : readCheckpoint(file);
      if (resumed) console.log(`Resuming the reindex stopped after article ${resumed.afterId} of the ${resumed.phase} index (--restart begins again).`);
      const phases = [
        { phase: 'published', label: 'Published', rebuild: rebuildSearchIndex, index: ctx.store.search, statuses: ['published'] },
        {
          phase: 'unpublished',
          label: 'Archive',
          rebuild: rebuildDraftIndex,
          index: ctx.store.draftSearch,
          statuses: ['draft', 'submitted', 'scheduled', 'unpublished'],
        },
      ] as const;
      for (const [i, p] of phases.entries()) {
        if (resumed && phases.findIndex((q) => q.phase === resumed.phase) > i) continue;
        const afterId = resumed?.phase === p.phase ? resumed.afterId : 0;
        const total = (await Promise.all(p.statuses.map((s) => ctx.store.articles.countByStatus(s)))).reduce((a, b) => a + b, 0);
        const bar = progress(p.label, total);
        let saved = 0;
        const report = await p.rebuild(
          ctx,
          (n, lastId) => {
            bar.update(n);
            // Where a stopped run goes on: written every few seconds, not every batch.
            if (Date.now() - saved > 2000) {
              saved = Date.now();
              writeCheckpoint(file, { phase: p.phase, afterId: lastId });
            }
          },
          { afterId },
        );
        bar.finish();
        const { documents, bytes } = await p.index.stats();
        console.log(
          `${p.label}: indexed ${report.indexed} articles, removed ${report.removed} stale entries; the index holds ${documents} articles in ${(bytes / 1048576).toFixed(1)} MB.`,
        );
        if (i + 1 < phases.length) writeCheckpoint(file, { phase: phases[i + 1]!.phase, afterId: 0 });
      }
      clearCheckpoint(file);
      console.log(`Reindexed in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    }),
  );

const trash = program.command('trash').description("the newsroom's 回收站");
trash
  .command('purge')
  .description('remove for good the articles deleted more than 30 days ago (the app does this hourly by itself)')
  .action(() =>
    withContainer(async ({ ctx }) => {
      const { purgeTrash, TRASH_DAYS } = await import('../domain/articles/trash.ts');
      const purged = await purgeTrash(ctx);
      console.log(`Purged ${purged.length} article${purged.length === 1 ? '' : 's'} deleted more than ${TRASH_DAYS} days ago.`);
    }),
  );

program
  .command('backup <dir-or-file>')
  .description('consistent online backup of the database and the media folder to one tar.gz (into a folder: a dated file name)')
  .action((target: string) =>
    withContainer(
      async (container) => {
        const { config, database } = container;
        const { backupFileFor, backupSite, onPath } = await import('../storage/backup.ts');
        const started = Date.now();
        const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
        if (database.dialect === 'postgres' && !onPath('pg_dump')) {
          // Without pg_dump the export archive is the backup: restore (and import) read it.
          const file = backupFileFor(target);
          const { exportInkstoneArchive } = await import('../transfer/inkstone-archive.ts');
          // A backup all the same: the accounts' passwords and the data folder's secret come along (an export leaves them).
          const secret = await readFile(path.join(config.dataDir, 'secret'), 'utf8').then(
            (text) => text.trim(),
            () => undefined,
          );
          const report = await exportInkstoneArchive(container, file, { backup: { secret } });
          console.log(
            `pg_dump is not on the PATH: wrote an export archive instead (${report.counts.articles} articles, ${report.mediaFiles} media files) to ${file} in ${seconds()} s.`,
          );
          return;
        }
        const report = await backupSite(target, {
          database,
          databaseUrl: config.databaseUrl,
          dataDir: config.dataDir,
          mediaRoot: config.mediaStore.kind === 'local' ? path.join(config.dataDir, 'media') : undefined,
          schema: await container.transfer.schemaVersion(),
        });
        const mb = (n: number) => (n / 1048576).toFixed(1);
        console.log(
          `Backed up the database (${report.kind}, ${mb(report.databaseBytes)} MB) and ${report.mediaFiles} media files (${mb(report.mediaBytes)} MB) to ${report.file} in ${seconds()} s.`,
        );
        if (config.mediaStore.kind !== 'local')
          console.log('Media live in a bucket: back the bucket up with its provider (versioning or replication); see docs/DEPLOY.md.');
      },
      { readOnly: true },
    ),
  );

program
  .command('restore <file>')
  .description('restore a backup (or an export archive) into an empty data folder / empty database')
  .action(async (file: string) => {
    await fileToRead(file);
    const config = loadConfig();
    const { checkEmptyPostgres, firstEntry, restoreBackup } = await import('../storage/backup.ts');
    if ((await firstEntry(file)) === 'inkstone-archive.json') {
      // An export archive (a PostgreSQL backup made without pg_dump): imported into the empty install.
      await withContainer(async (container) => {
        const { importInkstoneArchive } = await import('../transfer/inkstone-archive.ts');
        const report = await importInkstoneArchive(container, file, { restore: true });
        if (report.secret) await writeFile(path.join(container.config.dataDir, 'secret'), `${report.secret}\n`, { mode: 0o600 });
        console.log(`Restored ${report.counts.articles} articles and ${report.mediaFiles} media files from an export archive of ${report.manifest.createdAt}.`);
        if (report.withoutPassword.length > 0) {
          console.log(`These accounts have no password until an admin sets one (账号 → 重置密码): ${report.withoutPassword.join(', ')}`);
        }
      });
      return;
    }
    const { migrate, openDatabase } = await import('../storage/database.ts');
    if (config.databaseUrl) {
      const database = openDatabase(config);
      try {
        await checkEmptyPostgres(database);
      } finally {
        await database.close();
      }
    }
    const report = await restoreBackup(file, {
      database: config.databaseUrl ? 'postgres' : 'sqlite',
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      mediaRoot: config.mediaStore.kind === 'local' ? path.join(config.dataDir, 'media') : undefined,
    });
    // A backup of an older version catches up with this one's migrations.
    const database = openDatabase(config);
    try {
      const applied = await migrate(database);
      console.log(
        `Restored the ${report.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} backup of ${report.createdAt} and ${report.mediaFiles} media files${applied.length ? `; applied ${applied.join(', ')}` : ''}.`,
      );
    } finally {
      await database.close();
    }
  });

program
  .command('export <file>')
  .description('write everything the newsroom owns (rows and media files) to one archive, FILE (tar.gz)')
  .action((file: string) =>
    withContainer(
      async (container) => {
        const { exportInkstoneArchive } = await import('../transfer/inkstone-archive.ts');
        const started = Date.now();
        const report = await exportInkstoneArchive(container, file);
        const rows = Object.entries(report.counts)
          .filter(([, n]) => n > 0)
          .map(([table, n]) => `${n} ${table}`)
          .join(', ');
        console.log(
          `Exported ${rows || 'nothing'} and ${report.mediaFiles} media files (${(report.mediaBytes / 1048576).toFixed(1)} MB) to ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
        );
        for (const p of report.missingMedia) console.log(`missing media file (not in the archive): ${p}`);
      },
      { readOnly: true },
    ),
  );

program
  .command('import <file>')
  .description(
    'import a WordPress export (WXR), an RSS or Atom feed file, a JSON Feed or JSON lines, or an Inkstone archive; the format is read from the content',
  )
  .option('--uploads <dir>', "a copy of the old site's wp-content/uploads: its images go through the media pipeline")
  .option('--dry-run', 'read the file and print the report without writing anything')
  .option('--update', 'also overwrite articles edited in the newsroom since an earlier import of the same file')
  .option('--create-authors', "make newsroom accounts (reporters) of the file's authors")
  .option('--as <username>', 'the account the import acts as and audits (default: the first admin)')
  .option('--replace', 'an Inkstone archive: replace everything this install holds with it')
  .action(async (file: string, opts: { uploads?: string; dryRun?: boolean; update?: boolean; createAuthors?: boolean; as?: string; replace?: boolean }) => {
    await fileToRead(file);
    return withContainer(
      async (container) => {
        const { ctx, config } = container;
        const { isGzipFile } = await import('../transfer/tar.ts');
        if (await isGzipFile(file)) {
          // An Inkstone archive (`inkstone export`): everything a newsroom owns, into an empty install.
          const { importInkstoneArchive } = await import('../transfer/inkstone-archive.ts');
          const started = Date.now();
          const report = await importInkstoneArchive(container, file, { replace: opts.replace === true });
          const rows = Object.entries(report.counts)
            .filter(([, n]) => n > 0)
            .map(([table, n]) => `${n} ${table}`)
            .join(', ');
          console.log(
            `Imported ${rows} and ${report.mediaFiles} media files from ${report.manifest.site.url} (${report.manifest.store}) in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
          );
          console.log(
            `Search: indexed ${report.indexed.published} published and ${report.indexed.unpublished} unpublished articles; related reading is analysed by the server after it starts.`,
          );
          if (report.withoutPassword.length > 0) {
            console.log(`These accounts have no password until an admin sets one (账号 → 重置密码): ${report.withoutPassword.join(', ')}`);
          }
          return;
        }
        const [
          { detectFormat, readSource },
          { ImportFileError },
          { importArchive },
          { formatImportReport, progressPrinter },
          { UploadsFolder },
          { MediaFolder },
          { toActor },
        ] = await Promise.all([
          import('../transfer/source.ts'),
          import('../transfer/xml.ts'),
          import('../domain/imports/service.ts'),
          import('../transfer/report.ts'),
          import('../transfer/uploads.ts'),
          import('../domain/media/files.ts'),
          import('../domain/accounts/service.ts'),
        ]);
        const { stat } = await import('node:fs/promises');
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) throw new CliError(`${file} is not a file`);
        if (opts.uploads && !(await stat(opts.uploads).catch(() => undefined))?.isDirectory()) throw new CliError(`--uploads ${opts.uploads} is not a folder`);
        const accounts = await ctx.store.accounts.list();
        const account = opts.as ? accounts.find((a) => a.username === opts.as) : accounts.find((a) => a.role === 'admin' && a.disabledAt === null);
        if (!account)
          throw new CliError(
            opts.as ? `no account ${opts.as}` : 'no admin account yet: start the server once, or add one with `inkstone user add NAME --role admin`',
          );
        try {
          const format = await detectFormat(file);
          if (format === 'inkstone') throw new CliError(`${file} looks like an Inkstone archive but is not a gzip file`);
          const progress = progressPrinter(process.stderr);
          const mediaFolder = new MediaFolder(path.join(config.dataDir, 'media'));
          if (opts.uploads) await mediaFolder.prepare();
          const report = await importArchive(ctx, toActor(account), format, () => readSource(file, format), {
            dryRun: opts.dryRun === true,
            update: opts.update === true,
            createAuthors: opts.createAuthors === true,
            uploads: opts.uploads ? new UploadsFolder(opts.uploads) : undefined,
            mediaFolder,
            mediaMaxBytes: config.mediaMaxBytes,
            progress: progress.update,
          });
          progress.end();
          console.log(formatImportReport(report));
        } catch (err) {
          if (err instanceof ImportFileError) throw new CliError(`${file} was not imported, nothing was written: ${err.message}`);
          throw err;
        }
      },
      { bulk: true },
    );
  });

const reactions = program.command('reactions').description('mood votes');
reactions
  .command('check')
  .description('compare the mood counts with the vote rows and rebuild what drifted; exits 1 when anything had drifted')
  .option('--dry-run', 'report only, change nothing')
  .action((opts: { dryRun?: boolean }) =>
    withContainer(async ({ ctx }) => {
      const { checkReactionCounts } = await import('../domain/reactions/service.ts');
      const { drift, votes } = await checkReactionCounts(ctx, { dryRun: opts.dryRun === true });
      if (drift.length === 0) {
        console.log(`Checked ${votes} votes: every count equals its votes.`);
        return;
      }
      for (const d of drift) {
        const hour = d.hour === undefined ? '' : ` hour ${new Date(d.hour).toISOString()}`;
        console.log(`drift: ${d.table} article ${d.articleId} ${d.mood}${hour}: stored ${d.stored}, votes say ${d.actual}`);
      }
      console.log(
        `Checked ${votes} votes: ${drift.length} counts had drifted${opts.dryRun ? ' (dry run: left as they are)' : ' and were rebuilt from the votes'}.`,
      );
      process.exitCode = 1;
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof DomainError || err instanceof CliError || err instanceof TransferError) {
    console.error(`inkstone: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof CommanderError) process.exit(err.exitCode);
  throw err;
}
