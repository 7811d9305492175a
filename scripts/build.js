// @ts-check
/**
 * The production build (`npm run build`): the server and CLI bundled by esbuild into dist/inkstone.js (ESM for Node,
 * source maps beside), so a start loads one compiled file instead of compiling ~270 TypeScript modules through tsx.
 * Beside it: dist/body-worker.js, dist/prepare-worker.js, dist/suggest-worker.js, dist/related-worker.js and dist/related-scoring-worker.js (the worker threads' own bundles), dist/migrations/*.js
 * (one per dated migration, under its own name: Kysely records migrations by name; kysely's `sql` in a chunk they share) and dist/assets/ (the browser
 * bundles with their .gz and .br, written by src/web/asset-build.ts: a start reads them instead of running esbuild). The
 * packages the server imports are bundled too (EXTERNAL below names those that load from node_modules); files read at
 * run time (dict/, src/demo, demo/images, src/client, src/admin, static/) are found from the package root
 * (src/package-files.ts).
 *
 * Plain JavaScript, so bin/inkstone.js can check and build without tsx. `isFresh()` compares dist/build.json with the
 * sources as they are now (newest modification time and file count under src/, this file, package.json and its lockfile): a changed,
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

/**
 * Packages left in node_modules, loaded from there at run time: native addons (better-sqlite3, sharp, @node-rs/argon2
 * and @node-rs/jieba), packages that start threads or read their own files by path (piscina's worker, pino's transports,
 * OpenCC's and pinyin-pro's tables, esbuild's binary, tsx), and those the code loads on first use with `createRequire`
 * (drivers, SDKs, the sanitizer: kept out of a start). Everything else the server imports is bundled: resolving,
 * reading and compiling fastify, ajv, kysely, typebox and the rest file by file (about 1,000 files of some 50
 * packages) was most of a start's time, 1.1–1.35 s against 0.38–0.44 s for `inkstone --help` (bundled: DEPLOY,
 * "Start-up and memory").
 */
const EXTERNAL = [
  'better-sqlite3',
  'sharp',
  '@node-rs/*',
  'piscina',
  'pino',
  'opencc-js',
  'pinyin-pro',
  'esbuild',
  'tsx',
  'tsx/*',
  'pg',
  'ioredis',
  '@aws-sdk/*',
  'prom-client',
  'qrcode',
  'file-type',
  'sanitize-html',
  'saxes',
  'tar-stream',
];

/**
 * Bundled CommonJS packages call `require` for Node's own modules (and for the EXTERNAL ones they use), which an ES
 * module does not have: each output file makes one for itself.
 */
const REQUIRE_BANNER = "import { createRequire as __inkstoneCreateRequire } from 'node:module'; const require = __inkstoneCreateRequire(import.meta.url);";

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
  // The lockfile too: the build carries the packages' code (EXTERNAL aside), so `npm update` must make it stale.
  if (existsSync(path.join(root, 'package-lock.json'))) visit(path.join(root, 'package-lock.json'));
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
      'related-scoring-worker': 'src/storage/related-scoring-worker.ts',
      // Run once below to write the browser bundles into dist/assets (not loaded by the server).
      'asset-build': 'src/web/asset-build.ts',
    };
    /** @type {Record<string, string>} */
    const migrations = {};
    for (const f of readdirSync(MIGRATIONS).filter((f) => DATED.test(f)))
      migrations[`migrations/${f.replace(/\.ts$/, '')}`] = path.join('src/storage/migrations', f);
    /** @type {import('esbuild').BuildOptions} */
    const common = {
      absWorkingDir: root,
      outdir: scratch,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // One file per entry, no shared chunks: a dynamic import inside the CLI is a lazy module of the same file, so a
      // rebuild while a server runs never leaves it asking for a chunk that is gone.
      splitting: false,
      sourcemap: 'linked',
      sourcesContent: false,
      // No keepNames: it wraps every named function and class the bundle makes in a call that defines its `name`, at
      // run time, closures made per request included (Fastify's hook runners, each reply's listeners): ~0.03 ms of CPU
      // on a GET /healthz and ~0.05 on an uncached article page. Names stay as written except where two modules share
      // one at the top level (the later gets a digit: Command2); stack traces go through the source maps (bin/inkstone.js).
      keepNames: false,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
    };
    const results = await Promise.all([
      esbuild.build({ ...common, entryPoints, external: EXTERNAL, banner: { js: REQUIRE_BANNER } }),
      // The migrations, loaded only when one is pending (a first start, an upgrade), share one chunk holding their
      // one package (kysely's `sql`): loading kysely from node_modules file by file took ~0.4 s of a first start. The
      // Kysely they are given is the main bundle's, and the two meet only in the query nodes `sql` makes, which Kysely
      // reads by their shape. The chunk's name is its content's hash: a rebuild with the same kysely writes the same.
      esbuild.build({ ...common, entryPoints: migrations, splitting: true, chunkNames: 'migrations/shared-[hash]' }),
    ]);
    let bytes = 0;
    for (const result of results) for (const [file, out] of Object.entries(result.metafile?.outputs ?? {})) if (file.endsWith('.js')) bytes += out.bytes;
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
