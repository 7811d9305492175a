import { createHash } from 'node:crypto';
import path from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';
import type { FastifyInstance } from 'fastify';

import { packageFile } from '../package-files.ts';

const clientDir = packageFile('src/client');
const adminDir = packageFile('src/admin');

interface Built {
  url: string;
  type: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export interface Assets {
  scriptUrl: string;
  styleUrl: string;
  printStyleUrl: string;
  /** Bytes each asset costs a reader (gzip), for the page budget. */
  gzipBytes: Record<string, number>;
  /** The newsroom bundle, built on first use: reader-only processes and most tests never pay for TipTap. */
  admin(): Promise<AdminAssets>;
}

export interface AdminAssets {
  adminScriptUrl: string;
  adminStyleUrl: string;
}

/**
 * Reader scripts and styles are bundled and minified by esbuild when the app starts, named by content
 * hash and served from memory, pre-compressed, with a year of immutable caching.
 */
async function build(): Promise<Built[]> {
  return (
    await esbuild.build({
      entryPoints: {
        app: path.join(clientDir, 'main.ts'),
        site: path.join(clientDir, 'site.css'),
        print: path.join(clientDir, 'print.css'),
      },
      bundle: true,
      minify: true,
      write: false,
      format: 'iife',
      target: ['es2019', 'chrome69', 'safari12'],
      outdir: 'out',
      legalComments: 'none',
      logLevel: 'silent',
    })
  ).outputFiles.map((f) => named(f, 11));
}

/** The newsroom: Preact + TipTap for current browsers only; brotli 5 because 11 costs a second on 400 KB. */
async function buildAdmin(): Promise<Built[]> {
  return (
    await esbuild.build({
      entryPoints: {
        admin: path.join(adminDir, 'main.tsx'),
        'admin-style': path.join(adminDir, 'admin.css'),
      },
      bundle: true,
      minify: true,
      write: false,
      format: 'esm',
      target: ['es2022', 'chrome100', 'safari15', 'firefox100'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      outdir: 'out',
      legalComments: 'none',
      logLevel: 'silent',
    })
  ).outputFiles.map((f) => named(f, 5));
}

function named(f: esbuild.OutputFile, brotliQuality: number): Built {
  const raw = Buffer.from(f.contents);
  const ext = path.extname(f.path);
  const name = path.basename(f.path, ext);
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 12);
  return {
    url: `/assets/${name}.${hash}${ext}`,
    type: ext === '.js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
    raw,
    gzip: gzipSync(raw, { level: 9 }),
    br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: brotliQuality } }),
  };
}

let cached: Promise<Built[]> | undefined;
let cachedAdmin: Promise<Built[]> | undefined;

export async function registerAssets(app: FastifyInstance): Promise<Assets> {
  cached ??= build();
  const built = await cached;
  const byUrl = new Map(built.map((b) => [b.url, b]));
  const admin = async (): Promise<AdminAssets> => {
    cachedAdmin ??= buildAdmin();
    const adminBuilt = await cachedAdmin;
    for (const b of adminBuilt) byUrl.set(b.url, b);
    const url = (prefix: string) => adminBuilt.find((b) => b.url.startsWith(prefix))!.url;
    return { adminScriptUrl: url('/assets/admin.'), adminStyleUrl: url('/assets/admin-style.') };
  };
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    // A newsroom page open across a restart asks for its bundle before any /admin page has built it.
    if (req.params.file.startsWith('admin') && !byUrl.has(`/assets/${req.params.file}`)) await admin();
    const asset = byUrl.get(`/assets/${req.params.file}`);
    if (!asset) return reply.callNotFound();
    const accept = String(req.headers['accept-encoding'] ?? '');
    reply.header('content-type', asset.type).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding');
    if (/\bbr\b/.test(accept)) return reply.header('content-encoding', 'br').send(asset.br);
    if (/\bgzip\b/.test(accept)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.raw);
  });
  const find = (prefix: string) => built.find((b) => b.url.startsWith(prefix))!;
  return {
    scriptUrl: find('/assets/app.').url,
    styleUrl: find('/assets/site.').url,
    printStyleUrl: find('/assets/print.').url,
    gzipBytes: Object.fromEntries(built.map((b) => [b.url, b.gzip.length])),
    admin,
  };
}
