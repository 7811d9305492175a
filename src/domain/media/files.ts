import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../errors.ts';

export const tooLarge = (maxBytes: number) => new DomainError('too_large', 'payload_too_large', `The file is larger than ${formatBytes(maxBytes)}`, 'file');

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

/** Temporary files older than this are leftovers of a crashed process, not uploads in progress. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * The media folder: variants at <root>/<yyyy>/<mm>/<random>-<width>.<ext>, uploads in progress in <root>/tmp.
 * Every path inside it is made here from server-chosen parts; nothing from a request names a file.
 */
export class MediaFolder {
  readonly root: string;
  /** <root>/tmp: never served. */
  readonly tmpRoot: string;
  /** This process's uploads in progress: <root>/tmp/<pid>, so a restart knows which leftovers are dead. */
  readonly tmp: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpRoot = path.join(this.root, 'tmp');
    this.tmp = path.join(this.tmpRoot, String(process.pid));
  }

  /**
   * Clears what crashed processes left: the folder of a process that no longer runs goes at once (a kill -9 during
   * an upload), while other app processes' uploads in progress stay. Loose files from older versions go after an hour.
   */
  async prepare(now = Date.now()): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    for (const name of await readdir(this.tmpRoot)) {
      const file = path.join(this.tmpRoot, name);
      if (file === this.tmp) continue;
      const owner = /^[1-9]\d{0,9}$/.test(name) ? Number(name) : undefined;
      const info = await stat(file).catch(() => undefined);
      if (!info) continue;
      const dead = owner !== undefined && info.isDirectory() ? !processRuns(owner) : now - info.mtimeMs > STALE_TEMP_MS;
      if (dead) await rm(file, { force: true, recursive: true });
    }
  }

  /** A fresh, unguessable file name in the temporary folder. */
  tempFile(suffix = '.part'): string {
    return path.join(this.tmp, randomBytes(16).toString('hex') + suffix);
  }

  /** The absolute path of a variant; refuses anything that would land outside the folder. */
  file(variantPath: string): string {
    const full = path.resolve(this.root, variantPath);
    if (!full.startsWith(this.root + path.sep) || full.startsWith(this.tmpRoot + path.sep)) throw new Error(`media path outside the folder: ${variantPath}`);
    return full;
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when a request path under /media/ names the temporary folder, which must never be served. */
export function isTempPath(pathname: string): boolean {
  return /^\/tmp(\/|$)/i.test(path.posix.normalize('/' + pathname).replace(/\/+/g, '/'));
}

export interface Spooled {
  path: string;
  bytes: number;
  sha256: string;
}

/** Sees the bytes on their way to disk; what it throws stops the copy (and the temporary file is removed). */
export interface SpoolWatch {
  chunk(bytes: Buffer): void;
  /** After the last byte, before the file is complete. */
  end(): void;
}

/**
 * Writes a stream to a new temporary file, counting and hashing as it goes. More than maxBytes, or an abort
 * (the HTTP layer's size limit), stops it at once; the partial file is removed on every failure. A `watch` (an import
 * checking its file) sees every chunk too and may refuse it.
 */
export async function spool(stream: Readable, folder: MediaFolder, maxBytes: number, signal?: AbortSignal, watch?: SpoolWatch): Promise<Spooled> {
  const file = folder.tempFile();
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(tooLarge(maxBytes));
      hash.update(chunk);
      try {
        watch?.chunk(chunk);
      } catch (err) {
        return done(err as Error);
      }
      done(null, chunk);
    },
    flush(done) {
      try {
        watch?.end();
      } catch (err) {
        return done(err as Error);
      }
      done();
    },
  });
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  try {
    await pipeline(stream, meter, out, { signal });
  } catch (err) {
    // A stream stopped before its file was opened still opens (creates) it: removed once it is closed.
    if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
    await rm(file, { force: true });
    throw signal?.aborted ? signal.reason : err;
  }
  return { path: file, bytes, sha256: hash.digest('hex') };
}
