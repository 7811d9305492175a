import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';
import type { FastifyInstance } from 'fastify';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../client');

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
}

/**
 * Reader scripts and styles are bundled and minified by esbuild when the app starts, named by content
 * hash and served from memory, pre-compressed, with a year of immutable caching.
 */
async function build(): Promise<Built[]> {
  const outputs = await esbuild.build({
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
  });
  return outputs.outputFiles.map((f) => {
    const raw = Buffer.from(f.contents);
    const ext = path.extname(f.path);
    const name = path.basename(f.path, ext);
    const hash = createHash('sha256').update(raw).digest('hex').slice(0, 12);
    return {
      url: `/assets/${name}.${hash}${ext}`,
      type: ext === '.js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      raw,
      gzip: gzipSync(raw, { level: 9 }),
      br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
    };
  });
}

let cached: Promise<Built[]> | undefined;

export async function registerAssets(app: FastifyInstance): Promise<Assets> {
  cached ??= build();
  const built = await cached;
  const byUrl = new Map(built.map((b) => [b.url, b]));
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
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
  };
}
