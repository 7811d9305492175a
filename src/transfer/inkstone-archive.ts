import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.ts';
import type { Ctx } from '../domain/context.ts';
import { MediaFolder } from '../domain/media/files.ts';
import { contentTypeOf, isMediaPath } from '../domain/media/media-store.ts';
import { rebuildDraftIndex, rebuildSearchIndex } from '../domain/search/service.ts';
import { type AccountPassword, type AccountToken, TransferError, type TransferRow, type TransferTables } from '../domain/transfer.ts';
import { checkArchiveTarget, DiskGuard, diskFullOr, jsonLines, LineChunker, readTarGz, TarWriter } from './tar.ts';

/**
 * Inkstone's own archive (`inkstone export FILE`, read back by `inkstone import FILE`): one tar.gz holding
 *
 *   inkstone-archive.json          the manifest: format, version, the site, the store and schema it came from
 *   records/000000-accounts.jsonl  rows as JSON lines, one table after another in insertion order, in chunks of ~4 MB
 *   …
 *   media/<yyyy>/<mm>/<key>-<w>.<ext>  every stored file the rows use: each upload's finished variants (the originals
 *                                  are not kept by Inkstone: the variants are what pages serve), demo images
 *   backup-credentials.json        only in a backup written this way (PostgreSQL without pg_dump): every account's
 *                                  password hash, every API token's hash and the data folder's secret, which
 *                                  `restore` puts back and `import` skips (an export carries no secrets)
 *   end.json                       the count of every table and of the media files: an archive without it is truncated
 *
 * Rows are the tables' own columns (ids and times as they are), so an import gives the same site on either store.
 * Article bodies are written byte for byte; their /media/ paths stay relative (the manifest names the site they
 * were served from). What each table's fate is (exported, rebuilt, left out) is in storage/transfer.ts and
 * docs/ARCHITECTURE.md.
 */

export const ARCHIVE_FORMAT = 'inkstone-archive';
export const ARCHIVE_VERSION = 1;
const MANIFEST = 'inkstone-archive.json';
const END = 'end.json';
const CREDENTIALS = 'backup-credentials.json';

/** What export and import need of a process: its configuration, its context (media store) and the tables. */
export interface ArchiveContainer {
  config: Pick<Config, 'dataDir' | 'siteUrl' | 'siteName'>;
  ctx: Ctx;
  transfer: TransferTables;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  createdAt: string;
  site: { url: string; name: string };
  store: string;
  schema: string;
  tables: string[];
}

export interface ExportReport {
  counts: Record<string, number>;
  mediaFiles: number;
  mediaBytes: number;
  /** Files an upload's row names that the media store does not hold (written nowhere; listed for the operator). */
  missingMedia: string[];
}

/** /media/ paths in a body, cover or variant list (checked with isMediaPath before use). */
const MEDIA_IN_TEXT = /\/media\/([A-Za-z0-9_-][A-Za-z0-9._/-]{0,399})/g;

/**
 * Writes everything a newsroom owns to `file` from one consistent snapshot of the database (writers elsewhere go
 * on), then the media files the rows name. The file appears under its name only once complete.
 */
export async function exportInkstoneArchive(
  c: ArchiveContainer,
  file: string,
  options: {
    progress?: (table: string, rows: number) => void;
    /**
     * The archive is a backup (`inkstone backup` on PostgreSQL without pg_dump): it also carries the accounts' password
     * hashes, the API tokens' hashes and the data folder's secret (when there is one), as a backup does, and its folder is made when missing.
     */
    backup?: { secret: string | undefined };
  } = {},
): Promise<ExportReport> {
  // Before the snapshot: on SQLite the snapshot holds the process's one connection.
  const schema = await c.transfer.schemaVersion();
  await checkArchiveTarget(file, c.config.dataDir, { createFolder: options.backup !== undefined });
  const tar = new TarWriter(file);
  try {
    const report = await c.transfer.snapshot(async (read) => {
      const manifest: ArchiveManifest = {
        format: ARCHIVE_FORMAT,
        version: ARCHIVE_VERSION,
        createdAt: new Date().toISOString(),
        site: { url: c.config.siteUrl, name: c.config.siteName },
        store: c.transfer.dialect,
        schema,
        tables: [...c.transfer.tables],
      };
      await tar.addBuffer(MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2)));
      const chunker = new LineChunker(tar);
      const counts: Record<string, number> = {};
      // Upload variants must be there; other /media/ paths in bodies (demo images, another site's /media/ links) if present.
      const variants = new Set<string>();
      const referenced = new Set<string>();
      const collect = (text: unknown, into: Set<string>) => {
        if (typeof text !== 'string' || !text.includes('/media/')) return;
        for (const m of text.matchAll(MEDIA_IN_TEXT)) if (isMediaPath(m[1]!)) into.add(m[1]!);
      };
      for (const table of c.transfer.tables) {
        counts[table] = 0;
        for await (const rows of read.rows(table)) {
          for (const row of rows) {
            await chunker.add(table, JSON.stringify(row));
            if (table === 'media') for (const v of JSON.parse(String(row.variants)) as { path: string }[]) if (isMediaPath(v.path)) variants.add(v.path);
            if (table === 'articles') {
              collect(row.body_html, referenced);
              collect(row.cover, referenced);
            }
            if (table === 'topics') collect(row.cover, referenced);
          }
          counts[table] += rows.length;
          options.progress?.(table, counts[table]);
        }
      }
      await chunker.flush();
      if (options.backup) {
        const credentials: Credentials = {
          passwords: await read.passwords(),
          tokens: await read.tokens(),
          ...(options.backup.secret ? { secret: options.backup.secret } : {}),
        };
        await tar.addBuffer(CREDENTIALS, Buffer.from(JSON.stringify(credentials)));
      }
      let mediaFiles = 0;
      let mediaBytes = 0;
      const missingMedia: string[] = [];
      for (const p of [...variants, ...[...referenced].filter((r) => !variants.has(r))]) {
        const stored = await c.ctx.media.open(p);
        if (!stored) {
          if (variants.has(p)) missingMedia.push(p);
          continue;
        }
        await tar.addStream(`media/${p}`, stored.bytes, stored.body);
        mediaFiles++;
        mediaBytes += stored.bytes;
      }
      await tar.addBuffer(END, Buffer.from(JSON.stringify({ counts, mediaFiles })));
      return { counts, mediaFiles, mediaBytes, missingMedia };
    });
    await tar.close();
    return report;
  } catch (err) {
    await tar.abort();
    throw err;
  }
}

export interface ImportOptions {
  /** Replace whatever the install holds; without it an install with content is refused. */
  replace?: boolean;
  /** Stop (and undo) when the data folder's disk has less than this left; 64 MB unless given. */
  minFreeBytes?: number;
  /**
   * `inkstone restore` of a backup written as an export archive: its accounts' password hashes and API tokens are set
   * and its secret handed back in the report. A plain import skips them.
   */
  restore?: boolean;
  /** Skip the search reindex after the import (tests that look at rows only). */
  skipReindex?: boolean;
  progress?: (what: string, n: number) => void;
}

export interface ImportReport {
  manifest: ArchiveManifest;
  counts: Record<string, number>;
  mediaFiles: number;
  /** Accounts that have no password until an admin sets one (archives carry no password hashes). */
  withoutPassword: string[];
  /** The backup's secret (a restore of a backup that carries one), for the data folder. */
  secret?: string;
  indexed: { published: number; unpublished: number };
}

const MAX_LINE = 64 * 1024 * 1024;
const BATCH_ROWS = 1000;
const BATCH_BYTES = 16 * 1024 * 1024;
const RECORDS = /^records\/\d{6}-([a-z_]{1,60})\.jsonl$/;

const corrupt = (why: string) => new TransferError('corrupt', `归档文件无法导入 (the archive cannot be imported): ${why}`);

/**
 * Reads an archive written by exportInkstoneArchive into this install, all or nothing: the rows go in one
 * transaction and the media files are staged and removed again if anything fails (a corrupt or truncated file, a
 * hostile entry, a row that does not fit, a full disk). Ids and times are kept. The install must be empty (no
 * articles, channels, topics, media, sources, tags or slots; a first start's accounts are fine) unless `replace`.
 * Afterwards both search indexes are rebuilt; related reading is analysed by the server's backlog after it starts.
 */
export async function importInkstoneArchive(c: ArchiveContainer, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const media = c.ctx.media;
  const folder = new MediaFolder(path.join(c.config.dataDir, 'media'));
  const disk = new DiskGuard(c.config.dataDir, options.minFreeBytes ?? 64 * 1024 * 1024);
  await disk.check();
  await mkdir(folder.tmp, { recursive: true });
  const added: string[] = [];
  let result: Omit<ImportReport, 'indexed'>;
  try {
    result = await c.transfer.load(async (w) => {
      const present = await w.claim();
      const held = Object.entries(present).filter(([, n]) => n > 0);
      if (held.length > 0 && !options.replace) {
        throw new TransferError(
          'not_empty',
          `本站已有内容，导入只能进入空站 (this install is not empty: ${held.map(([t, n]) => `${n} ${t}`).join(', ')}); import into an empty install, or pass --replace to replace everything it holds`,
        );
      }
      const local = await w.clear();
      let manifest: ArchiveManifest | undefined;
      let end: { counts: Record<string, number>; mediaFiles: number } | undefined;
      let credentials: Credentials | undefined;
      const counts: Record<string, number> = {};
      let mediaFiles = 0;
      let tableAt = -1;
      let batch: TransferRow[] = [];
      let batchTable = '';
      let batchBytes = 0;
      let sinceCheck = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const rows = batch;
        batch = [];
        batchBytes = 0;
        try {
          await w.insert(batchTable, rows);
        } catch (err) {
          if (err instanceof TransferError) throw err;
          throw corrupt(`the rows of ${batchTable} do not fit together (${(err as Error).message})`);
        }
        const n = (counts[batchTable] ?? 0) + rows.length;
        counts[batchTable] = n;
        options.progress?.(batchTable, n);
      };

      for await (const entry of readTarGz(file)) {
        if (!manifest) {
          if (entry.name !== MANIFEST) throw corrupt(`it does not start with ${MANIFEST}: not an Inkstone archive`);
          manifest = parseManifest(await small(entry.stream, 1024 * 1024), c.transfer.tables);
          continue;
        }
        if (end) throw corrupt(`an entry follows ${END}: ${entry.name.slice(0, 200)}`);
        const records = RECORDS.exec(entry.name);
        if (records) {
          const table = records[1]!;
          const at = c.transfer.tables.indexOf(table);
          if (at < 0) throw new TransferError('incompatible', `归档中有本站不认识的数据表 (the archive holds a table this version does not know): ${table}`);
          if (at < tableAt) throw corrupt(`the records of ${table} come after those of ${c.transfer.tables[tableAt]}`);
          if (table !== batchTable) await flush();
          tableAt = at;
          batchTable = table;
          for await (const line of jsonLines(entry.stream, MAX_LINE)) {
            let row: TransferRow;
            try {
              row = JSON.parse(line) as TransferRow;
            } catch {
              throw corrupt(`a record of ${table} is not JSON`);
            }
            batch.push(row);
            batchBytes += line.length;
            sinceCheck += line.length;
            if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush();
            if (sinceCheck >= 32 * 1024 * 1024) {
              sinceCheck = 0;
              await disk.check();
            }
          }
          continue;
        }
        if (entry.name.startsWith('media/')) {
          const mediaPath = entry.name.slice('media/'.length);
          if (!isMediaPath(mediaPath))
            throw new TransferError('unsafe', `归档中有不安全的文件路径 (an unsafe file path in the archive): ${entry.name.slice(0, 200)}`);
          await flush();
          await disk.check(entry.size);
          await stage(entry.stream, mediaPath);
          mediaFiles++;
          continue;
        }
        if (entry.name === CREDENTIALS) {
          if (credentials) throw corrupt(`${CREDENTIALS} comes twice`);
          const text = await small(entry.stream, 64 * 1024 * 1024);
          // Only a restore reads it; a plain import takes no secrets.
          credentials = options.restore ? parseCredentials(text) : { passwords: [], tokens: [] };
          continue;
        }
        if (entry.name === END) {
          await flush();
          end = parseEnd(await small(entry.stream, 1024 * 1024));
          continue;
        }
        throw new TransferError('unsafe', `归档中有不认识的条目 (an unexpected entry in the archive): ${entry.name.slice(0, 200)}`);
      }
      if (!manifest) throw corrupt('it is empty');
      if (!end) throw corrupt(`it ends before ${END}: the file is truncated`);
      for (const table of c.transfer.tables) {
        if ((counts[table] ?? 0) !== (end.counts[table] ?? 0)) throw corrupt(`${counts[table] ?? 0} rows of ${table} instead of ${end.counts[table] ?? 0}`);
        counts[table] ??= 0;
      }
      if (mediaFiles !== end.mediaFiles) throw corrupt(`${mediaFiles} media files instead of ${end.mediaFiles}`);
      await w.finish();
      if (credentials) {
        await w.setPasswords(credentials.passwords);
        await w.setTokens(credentials.tokens);
      }
      const withoutPassword = await w.addLocalAccounts(local);
      return { manifest, counts, mediaFiles, withoutPassword, ...(credentials?.secret ? { secret: credentials.secret } : {}) };
    });
  } catch (err) {
    // Nothing of the rows stayed (the transaction rolled back): the files go too.
    for (const p of added) await media.remove(p).catch(() => {});
    throw diskFullOr(err);
  }
  if (options.skipReindex) return { ...result, indexed: { published: 0, unpublished: 0 } };
  const published = await rebuildSearchIndex(c.ctx, (n) => options.progress?.('search index', n));
  const unpublished = await rebuildDraftIndex(c.ctx, (n) => options.progress?.('archive index', n));
  return { ...result, indexed: { published: published.indexed, unpublished: unpublished.indexed } };

  async function stage(stream: Readable, mediaPath: string): Promise<void> {
    // Files are immutable under their path: one already stored (a --replace over the same site) is kept as it is.
    if (await media.exists(mediaPath)) {
      stream.resume();
      return;
    }
    const temp = folder.tempFile();
    try {
      await pipeline(stream, createWriteStream(temp, { mode: 0o644 }));
      added.push(mediaPath);
      await media.put(mediaPath, temp, contentTypeOf(mediaPath));
    } finally {
      await rm(temp, { force: true });
    }
  }
}

async function small(stream: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > max) throw corrupt('a manifest is larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseManifest(text: string, tables: readonly string[]): ArchiveManifest {
  let value: Partial<ArchiveManifest>;
  try {
    value = JSON.parse(text) as Partial<ArchiveManifest>;
  } catch {
    throw corrupt(`${MANIFEST} is not JSON`);
  }
  if (value?.format !== ARCHIVE_FORMAT) throw corrupt(`${MANIFEST} does not name the format ${ARCHIVE_FORMAT}`);
  if (value.version !== ARCHIVE_VERSION) {
    throw new TransferError(
      'incompatible',
      `归档格式版本不受支持 (archive format version ${String(value.version)}; this Inkstone reads version ${ARCHIVE_VERSION})`,
    );
  }
  for (const t of value.tables ?? []) {
    if (!tables.includes(t))
      throw new TransferError('incompatible', `归档来自更新的版本 (the archive holds table ${String(t).slice(0, 60)}, unknown here: upgrade Inkstone first)`);
  }
  return value as ArchiveManifest;
}

/** What backup-credentials.json holds (tokens missing in a backup written before they were carried). */
interface Credentials {
  passwords: AccountPassword[];
  tokens: AccountToken[];
  secret?: string;
}

function parseCredentials(text: string): Credentials {
  let value: { passwords?: unknown; tokens?: unknown; secret?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    throw corrupt(`${CREDENTIALS} is not JSON`);
  }
  const passwords = value?.passwords;
  const tokens = value?.tokens ?? [];
  const time = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  const fine =
    Array.isArray(passwords) &&
    passwords.every(
      (p: { username?: unknown; passwordHash?: unknown }) =>
        typeof p?.username === 'string' && typeof p.passwordHash === 'string' && p.passwordHash.length <= 1000,
    ) &&
    Array.isArray(tokens) &&
    tokens.every(
      (t: Partial<Record<keyof AccountToken, unknown>>) =>
        typeof t?.username === 'string' &&
        typeof t.name === 'string' &&
        t.name.length <= 1000 &&
        typeof t.tokenHash === 'string' &&
        /^[0-9a-f]{64}$/.test(t.tokenHash) &&
        time(t.createdAt) &&
        (t.lastUsedAt === null || time(t.lastUsedAt)) &&
        (t.revokedAt === null || time(t.revokedAt)),
    ) &&
    (value.secret === undefined || (typeof value.secret === 'string' && /^[A-Za-z0-9_-]{16,200}$/.test(value.secret)));
  if (!fine) throw corrupt(`${CREDENTIALS} is malformed`);
  return {
    passwords: passwords as AccountPassword[],
    tokens: tokens as AccountToken[],
    ...(value.secret ? { secret: value.secret as string } : {}),
  };
}

function parseEnd(text: string): { counts: Record<string, number>; mediaFiles: number } {
  try {
    const value = JSON.parse(text) as { counts: Record<string, number>; mediaFiles: number };
    if (typeof value.mediaFiles === 'number' && typeof value.counts === 'object' && value.counts !== null) return value;
  } catch {
    // Falls through to the refusal.
  }
  throw corrupt(`${END} is malformed`);
}
