import type { FastifyInstance } from 'fastify';
import { type Built, loadBundle } from './asset-build.ts';
import { acceptedEncoding } from './encoding.ts';

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
 * Reader scripts and styles and the newsroom's bundle (asset-build.ts), named by content hash and served from memory,
 * pre-compressed, with a year of immutable caching.
 */
let cached: Promise<Built[]> | undefined;
let cachedAdmin: Promise<Built[]> | undefined;

export async function registerAssets(app: FastifyInstance): Promise<Assets> {
  cached ??= loadBundle('reader');
  const built = await cached;
  const byUrl = new Map(built.map((b) => [b.url, b]));
  const admin = async (): Promise<AdminAssets> => {
    cachedAdmin ??= loadBundle('admin');
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
    const encoding = acceptedEncoding(req.headers['accept-encoding']);
    reply.header('content-type', asset.type).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding');
    if (encoding === 'br') return reply.header('content-encoding', 'br').send(asset.br);
    if (encoding === 'gzip') return reply.header('content-encoding', 'gzip').send(asset.gzip);
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
