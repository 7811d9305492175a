// @ts-check
/**
 * The production build (`npm run build`): the server and CLI bundled by esbuild into dist/inkstone.js (ESM for Node,
 * source maps beside), so a start loads one compiled file instead of compiling ~270 TypeScript modules through tsx.
 * Beside it: dist/body-worker.js, dist/prepare-worker.js, dist/suggest-worker.js and dist/related-worker.js (the worker threads' own bundles), dist/migrations/*.js
 * (one per dated migration, under its own name: Kysely records migrations by name) and dist/assets/ (the browser
 * bundles with their .gz and .br, written by src/web/asset-build.ts: a start reads them instead of running esbuild). Packages in node_modules stay
 * external (native addons, jieba's dictionary, OpenCC's tables load as they do from the sources); files read at run
 * time (dict/, src/demo, demo/images, src/client, src/admin, static/) are found from the package root
 * (src/package-files.ts).
 *
 * Plain JavaScript, so bin/inkstone.js can check and build without tsx. `isFresh()` compares dist/build.json with the
 * sources as they are now (newest modification time and file count under src/, this file, package.json): a changed,
 * added or removed source file makes the build stale, and bin/inkstone.js builds again before starting.
 * The build is written to a scratch folder and renamed into place, so a process never loads half a build.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(root, 'dist');
const STAMP = 'build.json';
const MIGRATIONS = path.join(root, 'src/storage/migrations');
const DATED = /^\d{4}-\d{2}-\d{2}T\d{4}-[\w-]+\.ts$/;

/** What the build was made from: the newest modification time (files and folders) and the number of files. */
export function sourcesStamp() {
  let newest = 0;
  let files = 0;
  const visit = (/** @type {string} */ p) => {
    const s = statSync(p);
    newest = Math.max(newest, s.mtimeMs);
    if (!s.isDirectory()) {
      files++;
      return;
    }
    for (const e of readdirSync(p)) visit(path.join(p, e));
  };
  visit(path.join(root, 'src'));
  for (const f of ['package.json', 'scripts/build.js']) visit(path.join(root, f));
  return { newest, files };
}

/** True when dist/ holds a build of the sources as they are now. */
export function isFresh() {
  try {
    const stamp = JSON.parse(readFileSync(path.join(DIST, STAMP), 'utf8'));
    const now = sourcesStamp();
    return stamp.sources?.newest === now.newest && stamp.sources?.files === now.files && existsSync(path.join(DIST, 'inkstone.js'));
  } catch {
    return false;
  }
}

/**
 * Builds dist/ from the sources. Two builds at once (two starts of a stale checkout) each write their own scratch
 * folder; the first rename wins and the other's identical build is dropped.
 * @returns {Promise<{ ms: number, bytes: number }>}
 */
export async function build() {
  const started = performance.now();
  const esbuild = await import('esbuild');
  const sources = sourcesStamp();
  const scratch = path.join(root, `.tmp-dist-${process.pid}-${Date.now()}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    /** @type {Record<string, string>} */
    const entryPoints = {
      inkstone: 'src/cli/main.ts',
      'body-worker': 'src/domain/articles/body-worker.ts',
      'prepare-worker': 'src/domain/imports/prepare-worker.ts',
      'suggest-worker': 'src/domain/search/suggest-worker.ts',
      'related-worker': 'src/storage/related-worker.ts',
      // Run once below to write the browser bundles into dist/assets (not loaded by the server).
      'asset-build': 'src/web/asset-build.ts',
    };
    for (const f of readdirSync(MIGRATIONS).filter((f) => DATED.test(f)))
      entryPoints[`migrations/${f.replace(/\.ts$/, '')}`] = path.join('src/storage/migrations', f);
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints,
      outdir: scratch,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // One file per entry, no shared chunks: a dynamic import inside the CLI is a lazy module of the same file, so a
      // rebuild while a server runs never leaves it asking for a chunk that is gone.
      splitting: false,
      packages: 'external',
      sourcemap: 'linked',
      sourcesContent: false,
      // Class and function names as written (errors, logs, stack traces), not renamed where two modules share one.
      keepNames: true,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
    });
    let bytes = 0;
    for (const [file, out] of Object.entries(result.metafile.outputs)) if (file.endsWith('.js')) bytes += out.bytes;
    // The browser bundles, compressed at their tightest once here instead of at every start.
    const assets = await import(pathToFileURL(path.join(scratch, 'asset-build.js')).href);
    await assets.writePrebuilt(path.join(scratch, 'assets'));
    writeFileSync(path.join(scratch, STAMP), `${JSON.stringify({ sources, esbuild: esbuild.version, builtAt: new Date().toISOString() }, null, 2)}\n`);
    replace(scratch);
    return { ms: performance.now() - started, bytes };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Puts a finished build in dist/'s place. */
function replace(/** @type {string} */ scratch) {
  const old = `${scratch}-old`;
  try {
    renameSync(DIST, old);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err;
  }
  try {
    renameSync(scratch, DIST);
  } catch (err) {
    // Another build put its dist/ in place meanwhile: it is made of the same sources (or newer ones).
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const { ms, bytes } = await build();
  console.log(`Built dist/ in ${Math.round(ms)} ms (${(bytes / 1048576).toFixed(1)} MB of JavaScript).`);
}
