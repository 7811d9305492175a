import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { BuildOptions } from 'esbuild';
import { BUNDLED, packageFile } from '../package-files.ts';

/**
 * The browser bundles (the reader script and styles, the newsroom's Preact + TipTap bundle), made by esbuild from
 * src/client and src/admin. The production build (`npm run build`, scripts/build.js) makes them once into dist/assets/
 * with the tightest compression; a server started from dist/ reads those files, and one started from the sources
 * builds them in memory when it starts (the reader's) or on first use (the newsroom's).
 */
export interface Built {
  /** `/assets/<name>.<content hash>.<ext>` */
  url: string;
  type: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export type Bundle = 'reader' | 'admin';

const clientDir = packageFile('src/client');
const adminDir = packageFile('src/admin');

/** What a start from dist/ reads instead of building: written by the production build beside the server bundle. */
export const PREBUILT_DIR = packageFile('dist/assets');
const MANIFEST = 'manifest.json';

const options: Record<Bundle, BuildOptions> = {
  reader: {
    entryPoints: { app: path.join(clientDir, 'main.ts'), site: path.join(clientDir, 'site.css'), print: path.join(clientDir, 'print.css') },
    format: 'iife',
    target: ['es2019', 'chrome69', 'safari12'],
  },
  // Current browsers only.
  admin: {
    entryPoints: { admin: path.join(adminDir, 'main.tsx'), 'admin-style': path.join(adminDir, 'admin.css') },
    format: 'esm',
    target: ['es2022', 'chrome100', 'safari15', 'firefox100'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
};

/**
 * Bundles and compresses one bundle's files. Brotli 11 for the reader's (small, read by every reader); the newsroom's
 * 400 KB at brotli 5 when built at start (11 costs a second there), 11 in the production build.
 */
export async function buildBundle(bundle: Bundle, brotliQuality = bundle === 'reader' ? 11 : 5): Promise<Built[]> {
  // Loaded here: a start from dist/ reads the prebuilt files and never loads esbuild.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    ...options[bundle],
    bundle: true,
    minify: true,
    write: false,
    outdir: 'out',
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles.map((f) => {
    const raw = Buffer.from(f.contents);
    const ext = path.extname(f.path);
    const hash = createHash('sha256').update(raw).digest('hex').slice(0, 12);
    return {
      url: `/assets/${path.basename(f.path, ext)}.${hash}${ext}`,
      type: ext === '.js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      raw,
      gzip: gzipSync(raw, { level: 9 }),
      br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: brotliQuality, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    };
  });
}

interface ManifestEntry {
  url: string;
  type: string;
  file: string;
}

/** Writes every bundle into `dir` (the build's dist/assets): each file as is, .gz and .br, and a manifest. */
export async function writePrebuilt(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const manifest: Record<string, ManifestEntry[]> = {};
  for (const bundle of ['reader', 'admin'] as const) {
    manifest[bundle] = [];
    for (const b of await buildBundle(bundle, 11)) {
      const file = path.basename(b.url);
      writeFileSync(path.join(dir, file), b.raw);
      writeFileSync(path.join(dir, `${file}.gz`), b.gzip);
      writeFileSync(path.join(dir, `${file}.br`), b.br);
      manifest[bundle].push({ url: b.url, type: b.type, file });
    }
  }
  writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * A bundle's files as the production build wrote them, when this code runs from that build (dist/); undefined when
 * it runs from the sources, whose bundles may differ from any dist/ lying beside them. dist/ is rebuilt whenever a
 * source file changes (scripts/build.js), so its bundles are those of the sources it was built from.
 */
export function readPrebuilt(bundle: Bundle, dir = PREBUILT_DIR, bundled = BUNDLED): Built[] | undefined {
  if (!bundled || !existsSync(path.join(dir, MANIFEST))) return undefined;
  const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Record<string, ManifestEntry[]>;
  return manifest[bundle]?.map((e) => ({
    url: e.url,
    type: e.type,
    raw: readFileSync(path.join(dir, e.file)),
    gzip: readFileSync(path.join(dir, `${e.file}.gz`)),
    br: readFileSync(path.join(dir, `${e.file}.br`)),
  }));
}

/** The bundle: prebuilt when there is one, else built now. */
export async function loadBundle(bundle: Bundle): Promise<Built[]> {
  return readPrebuilt(bundle) ?? buildBundle(bundle);
}
