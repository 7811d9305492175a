import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

let loaded: typeof SharpModule | undefined;

/**
 * sharp (libvips), loaded by the first upload or share poster rather than by every process at start-up (its native
 * library costs start-up time and memory a reader-only process never uses).
 */
export function sharpLib(): typeof SharpModule {
  if (!loaded) {
    loaded = createRequire(import.meta.url)('sharp') as typeof SharpModule;
    // Temporary inputs get new names every time: libvips' operation cache could only hold stale, deleted files open.
    loaded.cache(false);
  }
  return loaded;
}
