import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the package's own files are (dict/, demo/, src/client, static/…), whether this code runs from its sources
 * (src/package-files.ts through tsx or Vitest) or bundled into dist/inkstone.js by `npm run build` (scripts/build.js):
 * both lie one folder below the package root. Files read at run time are resolved from here, not from each module's
 * own import.meta.url, which in a bundle is the bundle's.
 */
const here = fileURLToPath(import.meta.url);

export const PACKAGE_ROOT = path.resolve(path.dirname(here), '..');

/** True in the production build (dist/*.js): worker threads and migrations are loaded from their built files there. */
export const BUNDLED = !/\.tsx?$/.test(here);

/** A file or folder of the package, by its path from the package root ('dict/newsroom.txt'). */
export const packageFile = (relative: string): string => path.join(PACKAGE_ROOT, relative);
