import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MediaStore } from '../../src/domain/media/media-store.ts';
import { LocalMediaStore } from '../../src/storage/media/local.ts';

/** A store the contract tests run against, with what it takes to start and stop it. */
export interface MediaStoreTarget {
  name: string;
  open(): Promise<MediaStore>;
  close(): Promise<void>;
}

function localTarget(): MediaStoreTarget {
  let root: string | undefined;
  return {
    name: 'local folder',
    async open() {
      root = mkdtempSync(path.join(os.tmpdir(), 'inkstone-media-'));
      return new LocalMediaStore(root);
    },
    async close() {
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The local folder always. */
export function mediaStoreTargets(): MediaStoreTarget[] {
  return [localTarget()];
}
