import { createReadStream } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { MediaFolder } from '../../domain/media/files.ts';
import {
  checkMediaPath,
  contentTypeOf,
  resolveRange,
  type ByteRange,
  type MediaStore,
  type RangeNotSatisfiable,
  type StoredMedia,
} from '../../domain/media/media-store.ts';

/**
 * The media folder on this machine (the default): files at <root>/<path>, moved in from <root>/tmp by a rename, so a
 * half-written file is never under a served path. Served by @fastify/static in app.ts.
 */
export class LocalMediaStore implements MediaStore {
  readonly kind = 'local';
  private readonly folder: MediaFolder;

  constructor(root: string) {
    this.folder = new MediaFolder(root);
  }

  get root(): string {
    return this.folder.root;
  }

  private file(mediaPath: string): string {
    return this.folder.file(checkMediaPath(mediaPath));
  }

  async put(mediaPath: string, localFile: string, _contentType: string): Promise<void> {
    const target = this.file(mediaPath);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(localFile, target);
  }

  open(mediaPath: string): Promise<StoredMedia | undefined>;
  open(mediaPath: string, range: ByteRange | undefined): Promise<StoredMedia | RangeNotSatisfiable | undefined>;
  async open(mediaPath: string, range?: ByteRange): Promise<StoredMedia | RangeNotSatisfiable | undefined> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file(mediaPath), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    const contentType = contentTypeOf(mediaPath);
    const part = range && resolveRange(range, info.size);
    if (range && !part) {
      await handle.close();
      return { unsatisfiable: true, totalBytes: info.size };
    }
    // The stream owns the handle: a file removed meanwhile is still read whole.
    if (!part) return { body: createReadStream('', { fd: handle, autoClose: true }), bytes: info.size, totalBytes: info.size, contentType };
    const body = createReadStream('', { fd: handle, autoClose: true, start: part.start, end: part.end });
    return { body, bytes: part.end - part.start + 1, totalBytes: info.size, contentType, range: part };
  }

  async exists(mediaPath: string): Promise<boolean> {
    const file = this.file(mediaPath);
    try {
      await access(file);
      return true;
    } catch {
      return false;
    }
  }

  async remove(mediaPath: string): Promise<void> {
    await rm(this.file(mediaPath), { force: true });
  }
}

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '');
