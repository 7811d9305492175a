import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface Entry {
  status: number;
  type: string;
  cacheControl: string;
  /** Every header the first response carried (security headers included), replayed on hits. */
  headers: Record<string, string>;
  replay?: Replay;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
  expires: number;
  generation: number;
}

export interface PageCacheOptions {
  /** How long a rendered page is served from memory; other processes' edits show up within this time. */
  ttlMs: number;
  maxEntries: number;
}

const SKIPPED_HEADERS = new Set(['content-length', 'content-encoding', 'x-cache', 'vary', 'set-cookie']);

// Search results are one URL per query: caching them would push out the pages all readers share.
const UNCACHED = /^\/(api|assets|media|static|admin|healthz|metrics|search|zh-hant\/search)(\/|$|\?)/;

/**
 * Reader pages carry no per-reader data, so each URL renders once and is served from memory, pre-compressed,
 * until it expires or the newsroom changes something (every successful write purges the whole cache).
 */
export class PageCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly options: PageCacheOptions) {}

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** Called on a local purge, so other processes can be told (see server.ts). */
  onPurge: (() => void) | undefined;

  purge({ propagate = true } = {}): void {
    this.generation++;
    this.entries.clear();
    if (propagate) this.onPurge?.();
  }

  lookup(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now || entry.generation !== this.generation) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  store(key: string, entry: Omit<Entry, 'generation'>, generation: number): void {
    // A page rendered while a purge happened may be stale already: keep it out.
    if (generation !== this.generation) return;
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { ...entry, generation });
  }

  currentGeneration(): number {
    return this.generation;
  }
}

function encodingFor(req: { headers: IncomingMessage['headers'] }): 'br' | 'gzip' | undefined {
  const accept = req.headers['accept-encoding'];
  if (!accept) return undefined;
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

function sendEntry(req: FastifyRequest, reply: FastifyReply, entry: Pick<Entry, 'raw' | 'gzip' | 'br'>): Buffer {
  reply.header('vary', 'accept-encoding');
  const encoding = encodingFor(req);
  if (encoding) reply.header('content-encoding', encoding);
  return encoding === 'br' ? entry.br : encoding === 'gzip' ? entry.gzip : entry.raw;
}

declare module 'fastify' {
  interface FastifyRequest {
    pageCacheGeneration?: number;
  }
}

export function registerPageCache(app: FastifyInstance, cache: PageCache, now: () => number = Date.now): void {
  app.addHook('onRequest', async (req, reply) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || UNCACHED.test(req.url)) return;
    const entry = cache.lookup(req.url, now());
    if (!entry) {
      cache.misses++;
      req.pageCacheGeneration = cache.currentGeneration();
      return;
    }
    cache.hits++;
    reply.code(entry.status).header('content-type', entry.type).header('cache-control', entry.cacheControl).header('x-cache', 'hit');
    return reply.send(sendEntry(req, reply, entry));
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (req.pageCacheGeneration === undefined || typeof payload !== 'string') return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    const status = reply.statusCode;
    if (!type.startsWith('text/html') || ![200, 404, 410].includes(status) || reply.hasHeader('set-cookie')) return payload;
    const raw = Buffer.from(payload);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined && !SKIPPED_HEADERS.has(name)) headers[name] = String(value);
    }
    const entry = {
      status,
      type,
      cacheControl: String(reply.getHeader('cache-control') ?? ''),
      headers,
      raw,
      gzip: gzipSync(raw, { level: 6 }),
      br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } }),
      // Error pages expire sooner: the article may be published any moment.
      expires: now() + (status === 200 ? cache.ttlMs : cache.ttlMs / 2),
    };
    cache.store(req.url, entry, req.pageCacheGeneration);
    reply.header('x-cache', 'miss');
    return sendEntry(req, reply, entry);
  });

  // Any successful change through the newsroom API can alter any page (lists, rankings, navigation); an assist changes nothing.
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 400) return;
    if (!req.url.startsWith('/api/v1/') || /^\/api\/v1\/(session|assist|articles\/\d+\/(reactions|views))/.test(req.url)) return;
    cache.purge();
  });
}

/**
 * The hot path for cached pages, in front of Fastify: a hit is answered straight from memory with the headers
 * the first render carried, skipping routing and hooks. Misses and everything else go on to Fastify.
 */
export function serveFromCache(cache: PageCache, req: IncomingMessage, res: ServerResponse, now = Date.now()): boolean {
  const url = req.url ?? '';
  if ((req.method !== 'GET' && req.method !== 'HEAD') || UNCACHED.test(url)) return false;
  const entry = cache.lookup(url, now);
  if (!entry) return false;
  cache.hits++;
  const encoding = encodingFor(req) ?? 'identity';
  const variant = (entry.replay ??= replayHeaders(entry))[encoding];
  res.writeHead(entry.status, variant.headers);
  res.end(req.method === 'HEAD' ? undefined : variant.body);
  return true;
}

type Replay = Record<'br' | 'gzip' | 'identity', { body: Buffer; headers: string[] }>;

/** The header list of a hit, built once per entry and encoding: the hot path only writes it out. */
function replayHeaders(entry: Entry): Replay {
  const make = (encoding: 'br' | 'gzip' | 'identity', body: Buffer) => {
    const headers = Object.entries(entry.headers).flat();
    headers.push('vary', 'accept-encoding', 'x-cache', 'hit', 'content-length', String(body.length));
    if (encoding !== 'identity') headers.push('content-encoding', encoding);
    return { body, headers };
  };
  return { br: make('br', entry.br), gzip: make('gzip', entry.gzip), identity: make('identity', entry.raw) };
}
