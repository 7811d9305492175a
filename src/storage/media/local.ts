import { createReadStream } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { MediaFolder } from '../../domain/media/files.ts';
import { checkMediaPath, contentTypeOf, type MediaStore, type StoredMedia } from '../../domain/media/media-store.ts';

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

  async open(mediaPath: string): Promise<StoredMedia | undefined> {
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
    // The stream owns the handle: a file removed meanwhile is still read whole.
    return { body: createReadStream('', { fd: handle, autoClose: true }), bytes: info.size, contentType: contentTypeOf(mediaPath) };
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
