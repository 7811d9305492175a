import { createReadStream, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { access, constants, mkdir, open, realpath, rename, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type * as TarStream from 'tar-stream';
import type { Headers } from 'tar-stream';
import { TransferError } from '../domain/transfer.ts';

/** tar-stream, loaded by the first export, backup or restore rather than by every server start. */
let tarModule: typeof TarStream | undefined;
const tarStream = (): typeof TarStream => (tarModule ??= createRequire(import.meta.url)('tar-stream') as typeof TarStream);

/**
 * The tar.gz files of export, backup and restore: written as a stream with bounded memory (every entry's size is
 * known before it is written: record chunks are buffered up to a few MB, files are read from their store), read
 * as a stream entry by entry. Entry names are checked by the callers against what they expect; this module only
 * refuses what no Inkstone archive holds (links, devices, directories).
 */

/** True when the file starts with gzip's magic bytes 1f 8b (the CLI's import tells an Inkstone archive by them). */
export async function isGzipFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The data folder's own files, which an archive written there would replace: the SQLite database (with its journals) and the secret. */
const DATA_FILES = ['inkstone.db', 'inkstone.db-wal', 'inkstone.db-shm', 'inkstone.db-journal', 'secret'];

/**
 * Refuses, before anything is written, a file an export or backup must not be written to: one of the data folder's
 * own files (`backup data/inkstone.db` would rename the archive over the live database), anything in its media
 * folder (a backup there reads its own growing file into itself until the disk is full), an existing folder, or a
 * place that does not exist (unless `createFolder`: a backup makes its folder) or cannot be written. Links are
 * followed, as the write would follow them.
 */
export async function checkArchiveTarget(file: string, dataDir: string, { createFolder = false } = {}): Promise<void> {
  const refuse = (why: string) => new TransferError('unsafe', `不能写入 ${file} (cannot write there: ${why}); nothing was written`);
  const target = path.resolve(file);
  // Compared as the system will resolve them (a data folder or target reached through a link is the same place).
  const data = await resolved(dataDir);
  const relative = path.relative(data, await resolved(target));
  if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) {
    if (relative.split(path.sep)[0] === 'media') throw refuse(`it is inside the media folder ${path.join(data, 'media')}`);
    if (DATA_FILES.includes(relative)) throw refuse(`it is the data folder's own ${relative}`);
  }
  if ((await stat(target).catch(() => undefined))?.isDirectory()) throw refuse('it is a folder, not a file');
  const folder = path.dirname(target);
  try {
    if (createFolder) await mkdir(folder, { recursive: true });
    if (!(await stat(folder)).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    await access(folder, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw refuse(`the folder ${folder} does not exist`);
    if (code === 'ENOTDIR' || code === 'EEXIST') throw refuse(`${folder} is not a folder`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw refuse(`the folder ${folder} cannot be written (${code})`);
    throw err;
  }
}

/** The path with links resolved as far as it exists (the rest as named). */
async function resolved(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const real = await realpath(absolute).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(absolute);
  return parent === absolute ? absolute : path.join(await resolved(parent), path.basename(absolute));
}

/** A tar.gz being written to `file` (through `file.part`, renamed when complete: a failed run leaves no archive). */
export class TarWriter {
  private readonly pack = tarStream().pack();
  private readonly done: Promise<void>;
  private readonly partial: string;
  private readonly mtime = new Date();

  constructor(private readonly file: string) {
    this.partial = `${file}.part`;
    this.done = pipeline(this.pack, createGzip({ level: 6 }), createWriteStream(this.partial, { mode: 0o600 }));
    // Surfaces at close(); until then writes fail by themselves.
    this.done.catch(() => {});
  }

  /** Adds a file whose bytes are in memory. */
  async addBuffer(name: string, bytes: Buffer): Promise<void> {
    await this.addStream(name, bytes.length, undefined, bytes);
  }

  /** Adds a file streamed from `body`, which must yield exactly `size` bytes. */
  async addStream(name: string, size: number, body: Readable | undefined, bytes?: Buffer): Promise<void> {
    let sink: Writable;
    const written = new Promise<void>((resolve, reject) => {
      sink = this.pack.entry({ name, size, mode: 0o644, mtime: this.mtime, type: 'file' }, (err) => (err ? reject(err) : resolve()));
    });
    if (bytes) sink!.end(bytes);
    else body!.pipe(sink!);
    // The entry's callback comes once the pack has taken its last byte, which waits for the gzip and the file: back-pressure.
    await Promise.race([written, this.done]);
    await written;
  }

  /** Finishes the archive and moves it to its name. */
  async close(): Promise<void> {
    this.pack.finalize();
    await this.done;
    await rename(this.partial, this.file);
  }

  /** Gives up: the partial file goes. */
  async abort(): Promise<void> {
    this.pack.destroy();
    await this.done.catch(() => {});
    await rm(this.partial, { force: true });
  }
}

/** Packs JSON lines into entries of about `chunkBytes` (names from `nameOf(seq)`), so no entry needs its size ahead. */
export class LineChunker {
  private lines: Buffer[] = [];
  private bytes = 0;
  private seq = 0;

  constructor(
    private readonly tar: TarWriter,
    private readonly chunkBytes = 4 * 1024 * 1024,
  ) {}

  async add(name: string, line: string): Promise<void> {
    if (this.current !== undefined && this.current !== name) await this.flush();
    this.current = name;
    const buffer = Buffer.from(`${line}\n`, 'utf8');
    this.lines.push(buffer);
    this.bytes += buffer.length;
    if (this.bytes >= this.chunkBytes) await this.flush();
  }

  private current: string | undefined;

  async flush(): Promise<void> {
    if (this.lines.length === 0 || this.current === undefined) return;
    const name = `records/${String(this.seq++).padStart(6, '0')}-${this.current}.jsonl`;
    const body = Buffer.concat(this.lines);
    this.lines = [];
    this.bytes = 0;
    await this.tar.addBuffer(name, body);
  }
}

export interface TarEntry {
  name: string;
  size: number;
  stream: Readable;
}

/**
 * Reads a tar.gz entry by entry. Each entry's stream must be read to its end (or it is drained) before the next
 * comes. A corrupt or truncated file (gzip's check, tar's headers, an entry cut short) ends the iteration with a
 * TransferError('corrupt'); an entry that is not a plain file (a link, a directory, a device) with 'unsafe'.
 */
export async function* readTarGz(file: string): AsyncGenerator<TarEntry> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  const extract = tarStream().extract();
  let failure: Error | undefined;
  let finished = false;
  let pending: { headers: Headers; stream: Readable; next: () => void } | undefined;
  // What the reader holds: a pass-through, because destroying tar-stream's own entry stream destroys the whole extract
  // (and a for-await loop destroys its stream when done).
  let current: PassThrough | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const corrupt = (err: Error) =>
    err instanceof TransferError ? err : new TransferError('corrupt', `归档文件已损坏或不完整 (the archive is truncated or corrupt): ${err.message}`);
  const fail = (err: Error) => {
    failure ??= err;
    // The reader of the entry in hand learns it from its stream, already as the archive's fault.
    current?.destroy(corrupt(err));
    extract.destroy();
    notify();
  };
  extract.on('entry', (headers: Headers, stream: Readable, next: () => void) => {
    pending = { headers, stream, next };
    notify();
  });
  extract.on('finish', () => {
    finished = true;
    notify();
  });
  extract.on('error', fail);
  gunzip.on('error', fail);
  input.on('error', fail);
  input.pipe(gunzip).pipe(extract);
  try {
    for (;;) {
      if (failure) throw corrupt(failure);
      if (pending) {
        const { headers, stream, next } = pending;
        pending = undefined;
        if (headers.type !== 'file' && headers.type !== 'contiguous-file') {
          throw new TransferError(
            'unsafe',
            `归档中有不允许的条目 (the archive holds a ${headers.type ?? 'strange'} entry, only plain files are taken): ${headers.name.slice(0, 200)}`,
          );
        }
        const pass = new PassThrough();
        // Its error is the reader's to meet when it reads; unread, it must not crash the process.
        pass.on('error', () => {});
        current = pass;
        const ended = new Promise<void>((resolve) => {
          stream.once('end', resolve);
          stream.once('close', resolve);
        });
        stream.pipe(pass);
        try {
          yield { name: headers.name, size: headers.size ?? 0, stream: pass };
        } catch (err) {
          if (failure) throw corrupt(failure);
          throw err;
        }
        // Whatever the reader left is drained.
        stream.unpipe(pass);
        stream.resume();
        await ended;
        current = undefined;
        if (failure) throw corrupt(failure);
        next();
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    input.destroy();
    gunzip.destroy();
    extract.destroy();
  }
}

/** The lines of an entry, one JSON text each; a line longer than `maxLine` bytes is refused instead of held. */
export async function* jsonLines(stream: Readable, maxLine: number): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of stream) {
    let text: string;
    try {
      text = rest + decoder.decode(chunk as Buffer, { stream: true });
    } catch {
      throw new TransferError('corrupt', '归档中的记录不是 UTF-8 文本 (a record is not UTF-8)');
    }
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      yield text.slice(start, i);
      start = i + 1;
    }
    rest = text.slice(start);
    if (rest.length > maxLine) throw new TransferError('corrupt', `归档中的一条记录过长 (a record is longer than ${maxLine} bytes)`);
  }
  if (rest.length > 0) throw new TransferError('corrupt', '归档中的记录不完整 (the last record of an entry has no end)');
}

/**
 * Refuses to go on when the folder's file system has less than `minFreeBytes` left (checked before each file and
 * every few MB of records), and turns the system's ENOSPC into the same clear error: an import stops before the disk
 * is full, and its staging is removed.
 */
export class DiskGuard {
  constructor(
    private readonly folder: string,
    private readonly minFreeBytes: number,
  ) {}

  async check(needBytes = 0): Promise<void> {
    const fs = await statfs(this.folder);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free - needBytes < this.minFreeBytes) {
      throw new TransferError(
        'disk_full',
        `磁盘空间不足 (not enough disk space): ${formatMb(free)} free in ${this.folder}, ${formatMb(needBytes)} more needed and ${formatMb(this.minFreeBytes)} kept free; nothing was imported`,
      );
    }
  }
}

const formatMb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

/** ENOSPC (or EDQUOT) as the disk-full TransferError; anything else as it was. */
export function diskFullOr(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new TransferError('disk_full', `磁盘已满 (the disk is full): ${(err as Error).message}; nothing was imported`);
  return err;
}
