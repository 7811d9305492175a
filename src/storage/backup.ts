import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { MediaFolder } from '../domain/media/files.ts';
import { contentTypeOf, isMediaPath } from '../domain/media/media-store.ts';
import { TransferError } from '../domain/transfer.ts';
import { checkArchiveTarget, DiskGuard, diskFullOr, readTarGz, TarWriter } from '../transfer/tar.ts';
import type { Database } from './database.ts';
import { LocalMediaStore } from './media/local.ts';

/**
 * `inkstone backup` and `inkstone restore`: the database as the store copies it consistently while the site serves
 * (SQLite's online backup API; PostgreSQL's pg_dump), with the local media folder, in one tar.gz:
 *
 *   inkstone-backup.json          kind (sqlite | pg_dump), time, schema
 *   database/inkstone.db          SQLite: the online backup's file      (or database/inkstone.pgdump: pg_dump -Fc)
 *   secret                        the data folder's generated secret (reader cookies stay valid), when there is one
 *   media/<path>                  every file of the local media folder (none for a bucket: see docs/DEPLOY.md)
 *   end.json                      the count of media files: a backup without it is truncated
 *
 * The database is copied first, then the media folder: media files are written before the rows that name them and
 * never change, so every file the copied rows use is in the folder when it is read (an upload deleted in between
 * is the one exception, and its row is gone from later backups too). PostgreSQL without pg_dump on the PATH is
 * backed up as an export archive (src/transfer/inkstone-archive.ts), which `restore` also reads.
 */

export const BACKUP_FORMAT = 'inkstone-backup';
const MANIFEST = 'inkstone-backup.json';
const SQLITE_ENTRY = 'database/inkstone.db';
const PG_ENTRY = 'database/inkstone.pgdump';

/** SQLite online backup: a consistent copy while the site keeps serving. */
export async function backupSqlite(database: Database, file: string): Promise<number> {
  if (!database.sqlite) throw new Error('backup copies the SQLite file; on PostgreSQL use pg_dump');
  // The whole file in one step after the first: a step never sees a change made between steps, so a busy site
  // cannot keep restarting the copy.
  const result = await database.sqlite.backup(file, { progress: () => 1_000_000 });
  return result.totalPages;
}

/** Whether a PostgreSQL client program (pg_dump, pg_restore) can be run. */
export function onPath(program: string): boolean {
  const r = spawnSync(program, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Where `backup DIR_OR_FILE` writes: into a folder as inkstone-backup-<UTC time>.tar.gz, else the file named. */
export function backupFileFor(target: string, now = new Date()): string {
  if (target.endsWith('/') || (existsSync(target) && statSync(target).isDirectory())) {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    return path.join(target, `inkstone-backup-${stamp}.tar.gz`);
  }
  return target;
}

export interface BackupReport {
  file: string;
  kind: 'sqlite' | 'pg_dump';
  databaseBytes: number;
  mediaFiles: number;
  mediaBytes: number;
}

export interface BackupOptions {
  database: Database;
  databaseUrl: string | undefined;
  dataDir: string;
  /** The local media folder; undefined when media live in a bucket. */
  mediaRoot: string | undefined;
  schema: string;
}

export async function backupSite(target: string, o: BackupOptions): Promise<BackupReport> {
  const file = backupFileFor(target);
  await checkArchiveTarget(file, o.dataDir, { createFolder: true });
  const dump = `${file}.db.part`;
  const kind = o.database.dialect === 'sqlite' ? 'sqlite' : 'pg_dump';
  const tar = new TarWriter(file);
  try {
    if (kind === 'sqlite') await backupSqlite(o.database, dump);
    else await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${dump}`, `--dbname=${o.databaseUrl}`]);
    await tar.addBuffer(
      MANIFEST,
      Buffer.from(
        JSON.stringify(
          { format: BACKUP_FORMAT, version: 1, kind, createdAt: new Date().toISOString(), schema: o.schema, media: o.mediaRoot ? 'local' : 'bucket' },
          null,
          2,
        ),
      ),
    );
    const databaseBytes = (await stat(dump)).size;
    await tar.addStream(kind === 'sqlite' ? SQLITE_ENTRY : PG_ENTRY, databaseBytes, createReadStream(dump));
    const secret = path.join(o.dataDir, 'secret');
    if (existsSync(secret)) await tar.addBuffer('secret', await readFile(secret));
    let mediaFiles = 0;
    let mediaBytes = 0;
    if (o.mediaRoot && existsSync(o.mediaRoot)) {
      for await (const rel of mediaFilesUnder(o.mediaRoot)) {
        const full = path.join(o.mediaRoot, rel);
        const info = await stat(full).catch(() => undefined);
        // Deleted since it was listed (an upload removed meanwhile): its row is gone too.
        if (!info?.isFile()) continue;
        await tar.addStream(`media/${rel}`, info.size, createReadStream(full));
        mediaFiles++;
        mediaBytes += info.size;
      }
    }
    await tar.addBuffer('end.json', Buffer.from(JSON.stringify({ mediaFiles })));
    await tar.close();
    return { file, kind, databaseBytes, mediaFiles, mediaBytes };
  } catch (err) {
    await tar.abort();
    throw err;
  } finally {
    await rm(dump, { force: true });
  }
}

/** The media paths under the folder (tmp left out), in sorted order. */
async function* mediaFilesUnder(root: string, prefix = ''): AsyncGenerator<string> {
  const entries = await readdir(path.join(root, prefix), { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (!prefix && e.name === 'tmp') continue;
    if (e.isDirectory()) yield* mediaFilesUnder(root, rel);
    else if (e.isFile() && isMediaPath(rel)) yield rel;
  }
}

/** The name of a tar.gz's first entry: tells a backup from an export archive. */
export async function firstEntry(file: string): Promise<string | undefined> {
  for await (const entry of readTarGz(file)) return entry.name;
  return undefined;
}

export interface RestoreOptions {
  database: 'sqlite' | 'postgres';
  databaseUrl: string | undefined;
  dataDir: string;
  mediaRoot: string | undefined;
  minFreeBytes?: number;
}

export interface RestoreReport {
  kind: 'sqlite' | 'pg_dump';
  createdAt: string;
  mediaFiles: number;
}

const unsafe = (name: string) =>
  new TransferError('unsafe', `备份中有不认识或不安全的条目 (an unexpected or unsafe entry in the backup): ${name.slice(0, 200)}`);
const corrupt = (why: string) => new TransferError('corrupt', `备份文件无法恢复 (the backup cannot be restored): ${why}`);

/**
 * Restores a backup into an empty data folder (no database file, no media) or an empty PostgreSQL database; all or
 * nothing: the media files are staged and removed again, the SQLite file is renamed into place last, pg_restore runs
 * in one transaction.
 */
export async function restoreBackup(file: string, o: RestoreOptions): Promise<RestoreReport> {
  const disk = new DiskGuard(o.dataDir, o.minFreeBytes ?? 64 * 1024 * 1024);
  await disk.check();
  const dbFile = path.join(o.dataDir, 'inkstone.db');
  if (o.mediaRoot && existsSync(o.mediaRoot)) {
    for await (const _ of mediaFilesUnder(o.mediaRoot))
      throw new TransferError('not_empty', `媒体目录不为空 (the media folder ${o.mediaRoot} is not empty): restore only into an empty data folder`);
  }
  const staging = new MediaFolder(path.join(o.dataDir, 'media'));
  await mkdir(staging.tmp, { recursive: true });
  const store = o.mediaRoot ? new LocalMediaStore(o.mediaRoot) : undefined;
  const added: string[] = [];
  const staged: { rel: string; temp: string }[] = [];
  const dump = path.join(staging.tmp, 'database.part');
  let manifest: { kind: 'sqlite' | 'pg_dump'; createdAt: string } | undefined;
  let dumped = false;
  let ended = false;
  let restoredSecret: string | undefined;
  let mediaFiles = 0;
  try {
    for await (const entry of readTarGz(file)) {
      if (!manifest) {
        if (entry.name !== MANIFEST) throw corrupt(`it does not start with ${MANIFEST}: not an Inkstone backup`);
        const value = parse(await text(entry.stream)) as { format?: string; kind?: string; createdAt?: string };
        if (value.format !== BACKUP_FORMAT || (value.kind !== 'sqlite' && value.kind !== 'pg_dump')) throw corrupt(`${MANIFEST} is not an Inkstone backup's`);
        manifest = { kind: value.kind, createdAt: String(value.createdAt) };
        if (manifest.kind === 'sqlite' && o.database !== 'sqlite') {
          throw new TransferError(
            'incompatible',
            '这是 SQLite 数据库的备份 (a SQLite backup): unset DATABASE_URL to restore it, or use `inkstone export`/`import` to move to PostgreSQL',
          );
        }
        if (manifest.kind === 'pg_dump' && o.database !== 'postgres') {
          throw new TransferError(
            'incompatible',
            '这是 PostgreSQL 数据库的备份 (a pg_dump backup): set DATABASE_URL to an empty PostgreSQL database to restore it',
          );
        }
        // Before anything is unpacked: without the client the restore could only fail at its very end.
        if (manifest.kind === 'pg_dump' && !onPath('pg_restore')) {
          throw new TransferError(
            'incompatible',
            "找不到 pg_restore (pg_restore is not on the PATH): install the PostgreSQL client programs of the server's version (apt-get install postgresql-client) to restore a pg_dump backup",
          );
        }
        if (manifest.kind === 'sqlite' && (existsSync(dbFile) || existsSync(`${dbFile}-wal`))) {
          throw new TransferError('not_empty', `数据目录中已有数据库 (${dbFile} exists): restore only into an empty data folder`);
        }
        continue;
      }
      if (ended) throw unsafe(entry.name);
      if (entry.name === SQLITE_ENTRY || entry.name === PG_ENTRY) {
        if (dumped || (entry.name === SQLITE_ENTRY) !== (manifest.kind === 'sqlite')) throw unsafe(entry.name);
        await disk.check(entry.size);
        await pipeline(entry.stream, createWriteStream(dump, { mode: 0o600 }));
        dumped = true;
      } else if (entry.name === 'secret') {
        const secret = (await text(entry.stream)).trim();
        if (!/^[A-Za-z0-9_-]{16,200}$/.test(secret)) throw unsafe(entry.name);
        // Written once everything else has arrived.
        restoredSecret = secret;
      } else if (entry.name.startsWith('media/')) {
        const rel = entry.name.slice('media/'.length);
        if (!isMediaPath(rel)) throw unsafe(entry.name);
        if (!store) {
          entry.stream.resume();
          continue;
        }
        await disk.check(entry.size);
        // Kept in the staging folder until the whole backup has been read: a restore killed half-way leaves no media
        // files in the media folder, which would refuse the second try as not empty.
        const temp = staging.tempFile();
        staged.push({ rel, temp });
        await pipeline(entry.stream, createWriteStream(temp, { mode: 0o644 }));
        mediaFiles++;
      } else if (entry.name === 'end.json') {
        const value = parse(await text(entry.stream)) as { mediaFiles?: number };
        if (store && value.mediaFiles !== mediaFiles) throw corrupt(`${mediaFiles} media files instead of ${String(value.mediaFiles)}`);
        ended = true;
      } else {
        throw unsafe(entry.name);
      }
    }
    if (!manifest) throw corrupt('it is empty');
    if (!dumped || !ended) throw corrupt('it ends early: the file is truncated');
    for (const { rel, temp } of staged) {
      added.push(rel);
      await store!.put(rel, temp, contentTypeOf(rel));
    }
    if (restoredSecret) await writeFile(path.join(o.dataDir, 'secret'), `${restoredSecret}\n`, { mode: 0o600 });
    if (manifest.kind === 'sqlite') {
      try {
        checkSqliteFile(dump);
      } finally {
        // A backup's file in WAL mode, opened to check it, has these made beside it (empty: the file came alone).
        await rm(`${dump}-wal`, { force: true });
        await rm(`${dump}-shm`, { force: true });
      }
      await rename(dump, dbFile);
    } else {
      await run('pg_restore', ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--dbname=${o.databaseUrl}`, dump]);
    }
    return { kind: manifest.kind, createdAt: manifest.createdAt, mediaFiles };
  } catch (err) {
    for (const rel of added) await store?.remove(rel).catch(() => {});
    throw diskFullOr(err);
  } finally {
    await rm(dump, { force: true });
    for (const { temp } of staged) await rm(temp, { force: true });
  }
}

/**
 * The backup's database file must be a whole SQLite database before it is renamed into place: a file damaged before
 * it was packed (gzip and tar see nothing wrong) would otherwise be restored and the site fail at its first start,
 * the data folder no longer empty for a second try.
 */
function checkSqliteFile(file: string): void {
  let db: SQLite.Database | undefined;
  let result: unknown;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
    result = db.pragma('quick_check', { simple: true });
  } catch (err) {
    throw corrupt(`its database is not a SQLite database (${(err as Error).message})`);
  } finally {
    db?.close();
  }
  if (result !== 'ok') throw corrupt(`its database is damaged (${String(result).slice(0, 200)})`);
}

/** PostgreSQL restores only into a database without tables. */
export async function checkEmptyPostgres(database: Database): Promise<void> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema()`.execute(
    database.db,
  );
  if ((rows[0]?.n ?? 0) > 0)
    throw new TransferError('not_empty', '数据库不为空 (the PostgreSQL database has tables): restore a pg_dump backup only into an empty database');
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > 1024 * 1024) throw corrupt('a manifest is larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  try {
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    throw corrupt('a manifest is not text');
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw corrupt('a manifest is not JSON');
  }
}

function run(program: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${program} exited ${code}: ${stderr.trim().slice(0, 2000)}`))));
  });
}
