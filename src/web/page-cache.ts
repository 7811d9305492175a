import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContentChange } from '../domain/events.ts';
import { SESSION_COOKIE } from './auth.ts';
import { acceptedEncoding } from './encoding.ts';

interface Entry {
  status: number;
  type: string;
  cacheControl: string;
  /** Every header the first response carried (security headers included), replayed on hits. */
  headers: Record<string, string>;
  replay?: Partial<Replay>;
  raw: Buffer;
  /** Compressed forms, each made when a reader first asks for it (a crawler's one-off render compresses once). */
  gzip?: Buffer;
  br?: Buffer;
  expires: number;
  /**
   * When what it shows was rendered (a 繁 or care page: when the page it was made from was): hits say how long ago in
   * `Age`, so no browser or CDN counts its max-age from our answer and keeps it longer than that from the render.
   */
  rendered: number;
  /**
   * When what the page shows changes by itself (a poll it shows open closes): never served after it, not even stale
   * while its next render runs, and its Cache-Control on a hit says only the time left, counted from the render like
   * its Age (see cacheControlUntil).
   */
  until?: number;
  bytes: number;
  /** Read since it was stored or last spared: the eviction passes over it once (CLOCK, LRU without reordering on hits). */
  used?: boolean;
  /** In the protected part: read again after it was stored (see PageCache). */
  protected?: boolean;
  /** Its surrogate keys: what it shows (see pageSurrogateKeys); a purge of any of them drops it. */
  keys: ReadonlySet<string>;
  /** Its key in the cache, once stored. */
  key?: string;
}

export interface PageCacheOptions {
  /** How long a rendered page is served from memory; other processes' edits show up within this time. */
  ttlMs: number;
  /** Memory the entries may take (their three encodings and headers); the least recently used go first. */
  maxBytes: number;
}

/**
 * The query parameters reader pages read. Everything else (utm_*, cache busters) is left out of the key, so it
 * can neither split one page into many entries nor fill memory. A page route that reads another parameter
 * must be listed here, or its variants would share one entry.
 */
// `p`: WordPress's /?p=123 of an imported article, answered by the home route with a redirect (never a cached page).
export const PAGE_QUERY_PARAMS = ['cursor', 'full', 'p'] as const;

/** Routes whose responses may be cached opt in with `config: PUBLIC_PAGE`; nothing else is ever stored. */
export const PUBLIC_PAGE = { pageCache: true } as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route renders a reader page with no per-reader data: the page cache may keep its response. */
    pageCache?: boolean;
  }
  interface FastifyRequest {
    pageCacheKey?: string;
    pageCacheGeneration?: number;
    /** Set while this request renders a page others wait for; called once it is stored (or not). */
    pageCacheRender?: () => void;
  }
}

/** How long a reader waits for someone else's render of the same page before rendering it too. */
const RENDER_WAIT_MS = 5_000;
// `age` is the hit's own (see ageOf), never the render's.
const SKIPPED_HEADERS = new Set(['content-length', 'content-encoding', 'x-cache', 'vary', 'set-cookie', 'age']);
const CACHEABLE_STATUS = new Set([200, 404, 410]);
/** The part of the byte budget pages read more than once may hold; the rest is where new pages prove themselves. */
const PROTECTED_SHARE = 0.8;
const SIMPLE_PATH = /^\/[A-Za-z0-9/_.-]*$/;

/**
 * The key of a URL: the path as the router matches it (percent-decoded like find-my-way's decodeURI, without the
 * trailing slash it ignores) and the page parameters in a fixed order. Undefined when the URL cannot be a page.
 */
export function pageKey(url: string): string | undefined {
  // The common case, a plain path like /a/32: it is its own key.
  if (SIMPLE_PATH.test(url) && (url.length === 1 || url.charCodeAt(url.length - 1) !== 47)) return url;
  const q = url.indexOf('?');
  const hash = url.indexOf('#');
  const pathEnd = Math.min(q < 0 ? url.length : q, hash < 0 ? url.length : hash);
  let path = url.slice(0, pathEnd);
  if (!SIMPLE_PATH.test(path)) {
    try {
      path = decodeURI(path);
    } catch {
      return undefined;
    }
  }
  if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '') || '/';
  return q < 0 ? path : path + pageQuery(url.slice(q + 1));
}

/** The part of a query a page's key keeps (`?cursor=…&full=…`, or ''): all a cached page may show of its URL's query. */
export function pageQuery(query: string): string {
  const params = new URLSearchParams(query);
  const kept: string[] = [];
  for (const name of PAGE_QUERY_PARAMS) for (const value of params.getAll(name)) kept.push(`${name}=${encodeURIComponent(value)}`);
  return kept.length ? `?${kept.join('&')}` : '';
}

/** A request that carries credentials may be answered from the cache but never fills it. */
function hasCredentials(req: FastifyRequest): boolean {
  return req.headers.authorization !== undefined || req.cookies?.[SESSION_COOKIE] !== undefined;
}

/** Only a response its route marked public, that says so itself and sets no cookie, is kept. */
function storable(req: FastifyRequest, reply: FastifyReply): boolean {
  if (req.routeOptions.config?.pageCache !== true || hasCredentials(req)) return false;
  if (!CACHEABLE_STATUS.has(reply.statusCode) || reply.hasHeader('set-cookie')) return false;
  if (!String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return false;
  const cacheControl = String(reply.getHeader('cache-control') ?? '').toLowerCase();
  return /\bpublic\b/.test(cacheControl) && !/\b(no-store|private|no-cache)\b/.test(cacheControl);
}

/**
 * Surrogate keys name what a page shows, so a change purges the pages that show it and no others:
 * `a<id>` every page linking to an article (its own page, the lists and related reading that show it; found in the
 * HTML, so no renderer can forget one), `c<id>` the pages listing a channel's newest articles, `t<id>` a topic
 * page, `home` the home page. The same keys go out in `Surrogate-Key` / `Cache-Tag` for a CDN.
 */
export const surrogateKey = {
  /** Every page showing or linking the article. */
  article: (id: number) => `a${id}`,
  /** The article's own page (and its 繁 mirror): what changes when only its related reading does. */
  articlePage: (id: number) => `p${id}`,
  channel: (id: number) => `c${id}`,
  topic: (id: number) => `t${id}`,
  /** Every page showing a poll: its own page (/p/<id>), an article embedding it, a topic page listing it. */
  poll: (id: number) => `v${id}`,
  home: 'home',
} as const;

/** A route adds the keys of what it lists (beyond the articles it links) with this header. */
export const SURROGATE_KEY_HEADER = 'surrogate-key';

/**
 * A page that shows a state ending at a known time (a poll open until its closing time) says when in `Expires`
 * (an HTTP date: whole seconds, as polls close), which the 繁 and care mirrors copy like the surrogate keys: the page
 * cache keeps it no longer, and no Cache-Control it sends lets a browser or a CDN keep or serve it past that time.
 */
export const EXPIRES_HEADER = 'expires';

/**
 * `cacheControl` with its lifetimes cut to end by `until`: max-age and s-maxage at most the whole seconds left, and
 * stale-while-revalidate (which a cache may use after max-age) at most what then remains, dropped when nothing does.
 * An answer that says `Age: age` has them counted from the render, as a cache counts them (it subtracts the age, RFC
 * 9111 §4.2.3): `age` more seconds each, so that less the age they still end by `until`, not `age` seconds before it.
 */
export function cacheControlUntil(cacheControl: string, until: number, now: number, age = 0): string {
  const left = age + secondsLeft(until, now);
  const parts = cacheControl
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf('=');
      return { part, name: (at < 0 ? part : part.slice(0, at)).toLowerCase(), seconds: at < 0 ? NaN : Number(part.slice(at + 1)) };
    });
  const cut = (p: { name: string; seconds: number }) => Math.min(p.seconds, left);
  const fresh = Math.max(0, ...parts.filter((p) => (p.name === 'max-age' || p.name === 's-maxage') && Number.isFinite(p.seconds)).map(cut));
  return parts
    .flatMap((p) => {
      if (!Number.isFinite(p.seconds)) return [p.part];
      if (p.name === 'max-age' || p.name === 's-maxage') return [`${p.name}=${cut(p)}`];
      if (p.name !== 'stale-while-revalidate' && p.name !== 'stale-if-error') return [p.part];
      const stale = Math.min(p.seconds, left - fresh);
      return stale > 0 ? [`${p.name}=${stale}`] : [];
    })
    .join(', ');
}

/** The whole seconds since the entry was rendered: its `Age` on a hit (RFC 9111 §5.1). */
function ageOf(entry: Entry, now: number): number {
  return Math.max(0, Math.floor((now - entry.rendered) / 1000));
}

/**
 * A response a route made from a cached page (the 繁 and care mirrors) carries that page's `Age`: its own entry counts
 * from that page's render, so it lives no longer than the page and says the same age on its hits.
 */
function renderedAt(age: unknown, now: number): number {
  const seconds = Number(age);
  return Number.isFinite(seconds) && seconds > 0 ? now - seconds * 1000 : now;
}

/** The whole seconds left until `until` (none once it has passed). */
function secondsLeft(until: number, now: number): number {
  return Math.max(0, Math.floor((until - now) / 1000));
}

/** The time a response's `Expires` names, if it names one (see EXPIRES_HEADER). */
function expiresAt(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : undefined;
}

/** The pages a committed change may alter, by surrogate key; 'all' when every page can (navigation, names). */
export function purgeKeysFor(change: ContentChange): string[] | 'all' | undefined {
  switch (change.kind) {
    case 'article':
      // Drafts nobody can read (before or after) change no reader page: autosaves do not purge.
      // A new or changed article appears on its channel's lists and the home page; pages linking it show it.
      return change.public ? [surrogateKey.article(change.articleId), surrogateKey.channel(change.channelId), surrogateKey.home] : undefined;
    case 'topic':
      return [surrogateKey.topic(Number(change.id)), surrogateKey.home];
    case 'slot':
      return [surrogateKey.home];
    case 'related':
    case 'comments':
      return [surrogateKey.articlePage(Number(change.id))];
    case 'poll':
      return [surrogateKey.poll(Number(change.id))];
    // A live's entries show on its own page only.
    case 'live':
      return change.public ? [surrogateKey.articlePage(change.articleId)] : undefined;
    case 'channel':
    case 'account':
      return 'all';
  }
}

/**
 * Keys kept per page: a page linking more articles than this is still purged by its route's keys, its own, and the
 * first links', and otherwise expires. Bounds the two headers (~1.5 KB each) below proxies' default header buffers.
 */
const MAX_KEYS = 200;

/**
 * A page's keys: those its route named plus an `a<id>` for every article it links to (`/a/` and 1 to 10 digits, not
 * followed by another digit). Found with indexOf rather than a regular expression: on a 19 KB article page 46 → ~25 µs.
 */
export function pageSurrogateKeys(routeKeys: string | undefined, html: string): string[] {
  const keys = new Set<string>(routeKeys ? routeKeys.split(' ').filter(Boolean) : []);
  for (let at = html.indexOf('/a/'); at !== -1 && keys.size < MAX_KEYS; at = html.indexOf('/a/', at + 3)) {
    const start = at + 3;
    let end = start;
    for (; end < html.length && end - start <= 10; end++) {
      const c = html.charCodeAt(end);
      if (c < 48 || c > 57) break;
    }
    if (end > start && end - start <= 10) keys.add(surrogateKey.article(Number(html.slice(start, end))));
  }
  return [...keys];
}

/**
 * Where pages are encoded: Buffer.from(string) measures a string's UTF-8 length and then encodes it, two passes over it;
 * encoding into room for the longest it could be and copying the bytes out is one (a 19 KB article page: 36 → ~20 µs).
 */
const scratch = Buffer.allocUnsafeSlow(256 * 1024);

export function utf8Bytes(text: string): Buffer {
  if (text.length * 3 > scratch.length) return Buffer.from(text);
  const length = scratch.write(text, 0);
  const bytes = Buffer.allocUnsafe(length);
  scratch.copy(bytes, 0, 0, length);
  return bytes;
}

/**
 * Reader pages carry no per-reader data, so each page renders once and is served from memory, pre-compressed,
 * until it expires or a committed change that readers can see purges the cache.
 */
export class PageCache {
  /** Every entry, by key. */
  private readonly entries = new Map<string, Entry>();
  /**
   * Segmented LRU, so that a flood of one-off pages (404s for junk addresses, forged cursors, a crawler's old
   * articles) cannot push out the pages readers come back to: a page enters `probation` when it is rendered and moves
   * to `protected` on its first hit. Eviction takes the oldest page on probation first, and touches the protected part
   * only when probation is empty; the protected part holds at most PROTECTED_SHARE of the budget, its overflow going
   * back on probation. Not-found and gone pages never leave probation: answering one again is no sign of readers.
   * Both in insertion order; the protected part spares entries read since (second chance), so hits stay a lookup
   * and a flag.
   */
  private readonly probation = new Map<string, Entry>();
  private readonly protectedPart = new Map<string, Entry>();
  private generation = 0;
  private bytes = 0;
  private protectedBytes = 0;
  /** Pages being rendered, by key: readers asking for one meanwhile wait for that render, or take the stale copy. */
  readonly rendering = new Map<string, Promise<void>>();
  private nextSweep = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly options: PageCacheOptions) {}

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** Called on a local purge with its keys (undefined: everything), so other processes can be told (see server.ts). */
  onPurge: ((keys: string[] | undefined) => void) | undefined;
  /** Told of every purge, local or heard from another process. */
  afterPurge: (() => void) | undefined;

  /** Drops the pages showing any of `keys`, or every page. Renders that began before a purge are not stored. */
  purge(keys?: readonly string[], { propagate = true } = {}): void {
    this.generation++;
    if (keys === undefined) {
      this.entries.clear();
      this.probation.clear();
      this.protectedPart.clear();
      this.bytes = 0;
      this.protectedBytes = 0;
    } else if (keys.length > 0) {
      for (const [key, entry] of this.entries) if (keys.some((k) => entry.keys.has(k))) this.drop(key, entry);
    }
    if (propagate) this.onPurge?.(keys ? [...keys] : undefined);
    this.afterPurge?.();
  }

  lookup(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      // Kept a while past its time, to be served while its next render runs (stale-while-revalidate).
      if (entry.expires + this.options.ttlMs <= now) this.drop(key, entry);
      return undefined;
    }
    if (entry.protected) entry.used = true;
    else if (entry.status === 200) this.protect(key, entry);
    return entry;
  }

  /** A page read again moves from probation to the protected part, whose oldest unread pages go back on probation. */
  private protect(key: string, entry: Entry): void {
    this.probation.delete(key);
    entry.protected = true;
    entry.used = false;
    this.protectedPart.set(key, entry);
    this.protectedBytes += entry.bytes;
    const limit = this.options.maxBytes * PROTECTED_SHARE;
    while (this.protectedBytes > limit) {
      const [oldestKey, oldest] = this.protectedPart.entries().next().value!;
      this.protectedPart.delete(oldestKey);
      if (oldest.used) {
        oldest.used = false;
        this.protectedPart.set(oldestKey, oldest);
      } else {
        oldest.protected = false;
        this.protectedBytes -= oldest.bytes;
        this.probation.set(oldestKey, oldest);
      }
    }
  }

  /**
   * An expired page (within one more TTL) while someone renders its successor: readers get it at once instead of
   * waiting. Never after a purge, which deletes entries outright.
   */
  staleWhileRendering(key: string, now: number): Entry | undefined {
    if (!this.rendering.has(key)) return undefined;
    const entry = this.entries.get(key);
    // A page showing a state that ended (a poll closed) is never served again.
    if (entry?.until !== undefined && entry.until <= now) return undefined;
    return entry && entry.expires <= now && entry.expires + this.options.ttlMs > now ? entry : undefined;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    if (entry.protected) {
      this.protectedPart.delete(key);
      this.protectedBytes -= entry.bytes;
    } else {
      this.probation.delete(key);
    }
  }

  /** Frees room: the oldest page on probation, else the protected part's oldest not read since it was last spared. */
  private evictOne(): void {
    const onProbation = this.probation.entries().next();
    if (!onProbation.done) {
      const [key, entry] = onProbation.value;
      this.drop(key, entry);
      return;
    }
    for (;;) {
      const [key, entry] = this.protectedPart.entries().next().value!;
      if (!entry.used) {
        this.drop(key, entry);
        return;
      }
      entry.used = false;
      this.protectedPart.delete(key);
      this.protectedPart.set(key, entry);
    }
  }

  store(key: string, entry: Entry, generation: number, now: number): void {
    // A page rendered while a purge happened may be stale already: keep it out.
    if (generation !== this.generation) return;
    const bytes = entry.raw.length + (entry.gzip?.length ?? 0) + (entry.br?.length ?? 0) + key.length * 2 + 1024;
    if (bytes > this.options.maxBytes / 4) return;
    this.sweep(now);
    const previous = this.entries.get(key);
    // A page re-rendered (expired, purged by TTL) keeps its standing: readers came back to it.
    const wasProtected = previous?.protected === true && entry.status === 200;
    if (previous) this.drop(key, previous);
    while (this.bytes + bytes > this.options.maxBytes) this.evictOne();
    // The very object the caller holds: encodings it adds later are the stored entry's.
    const stored = Object.assign(entry, { bytes, key, protected: false, used: false });
    this.entries.set(key, stored);
    this.bytes += bytes;
    this.probation.set(key, stored);
    if (wasProtected) this.protect(key, stored);
  }

  /** Frees expired entries, at most once per TTL: memory goes back without a timer. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.options.ttlMs;
    for (const [key, entry] of this.entries) if (entry.expires + this.options.ttlMs <= now) this.drop(key, entry);
  }

  /** The entry's body in an encoding, compressing it the first time it is asked for (and counting its bytes). */
  encoded(entry: Entry, encoding: Encoding): Buffer {
    if (encoding === 'identity') return entry.raw;
    let body = entry[encoding];
    if (!body) {
      body = compress(entry.raw, encoding, false);
      entry[encoding] = body;
      // Counted only while the entry is the one kept under its key (not refused, evicted or replaced meanwhile).
      if (entry.key !== undefined && this.entries.get(entry.key) === entry) {
        entry.bytes += body.length;
        this.bytes += body.length;
        if (entry.protected) this.protectedBytes += body.length;
      }
    }
    return body;
  }

  currentGeneration(): number {
    return this.generation;
  }
}

type Encoding = 'br' | 'gzip' | 'identity';

/**
 * Kept pages: brotli 4 and gzip 6, within a few per cent of brotli 5's size at about half its CPU. A render's own
 * response (`quick`): brotli 0 and gzip 1, not kept. On article pages of the million-article archive (20 KB) brotli 0
 * took 49 µs for 8.8 KB, brotli 1 71 µs for 8.4 KB, brotli 4 276 µs for 7.5 KB (of CPU, the mean over five such
 * pages, 3,000 rounds). Most renders are a crawler's one-off visit to an old article; only a page read again
 * (a hit) is worth the tighter form, made then by `encoded` and kept for every later hit.
 */
function compress(raw: Buffer, encoding: 'br' | 'gzip', quick: boolean): Buffer {
  return encoding === 'br'
    ? brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: quick ? 0 : 4, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } })
    : gzipSync(raw, { level: quick ? 1 : 6 });
}

function encodingFor(req: { headers: IncomingMessage['headers'] }): 'br' | 'gzip' | undefined {
  return acceptedEncoding(req.headers['accept-encoding']);
}

function sendEntry(cache: PageCache, req: FastifyRequest, reply: FastifyReply, entry: Entry, rendered = false): Buffer {
  reply.header('vary', 'accept-encoding');
  const encoding = encodingFor(req);
  if (!encoding) return entry.raw;
  reply.header('content-encoding', encoding);
  return rendered ? compress(entry.raw, encoding, true) : cache.encoded(entry, encoding);
}

export function registerPageCache(app: FastifyInstance, cache: PageCache, now: () => number = Date.now): void {
  const { rendering } = cache;
  const settle = (req: FastifyRequest) => {
    if (!req.pageCacheRender) return;
    rendering.delete(req.pageCacheKey!);
    req.pageCacheRender();
    req.pageCacheRender = undefined;
  };

  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const key = pageKey(req.url);
    if (key === undefined) return;
    let entry = cache.lookup(key, now()) ?? cache.staleWhileRendering(key, now());
    const collapsible = !entry && req.routeOptions.config?.pageCache === true && !hasCredentials(req);
    const running = collapsible ? rendering.get(key) : undefined;
    if (running) {
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, RENDER_WAIT_MS).unref())]);
      entry = cache.lookup(key, now());
    }
    if (!entry) {
      cache.misses++;
      req.pageCacheKey = key;
      req.pageCacheGeneration = cache.currentGeneration();
      if (collapsible && !rendering.has(key)) rendering.set(key, new Promise<void>((resolve) => (req.pageCacheRender = resolve)));
      return;
    }
    cache.hits++;
    const at = now();
    const age = ageOf(entry, at);
    reply.code(entry.status).headers(entry.headers).header('x-cache', 'hit').header('age', String(age));
    if (entry.until !== undefined) reply.header('cache-control', cacheControlUntil(entry.cacheControl, entry.until, at, age));
    return reply.send(sendEntry(cache, req, reply, entry));
  });

  // Callback style: every request runs these, and a promise each was measurable on an uncached page.
  app.addHook('onResponse', (req, _reply, done) => {
    settle(req);
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    settle(req);
    done();
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.pageCacheKey === undefined || req.pageCacheGeneration === undefined || typeof payload !== 'string') return done(null, payload);
    if (!storable(req, reply)) return done(null, payload);
    const status = reply.statusCode;
    const raw = utf8Bytes(payload);
    const keys = pageSurrogateKeys(reply.getHeader(SURROGATE_KEY_HEADER) as string | undefined, payload);
    reply.header(SURROGATE_KEY_HEADER, keys.join(' ')).header('cache-tag', keys.join(','));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined && !SKIPPED_HEADERS.has(name)) headers[name] = String(value);
    }
    const at = now();
    const rendered = renderedAt(reply.getHeader('age'), at);
    const until = expiresAt(reply.getHeader(EXPIRES_HEADER));
    const entry: Entry = {
      bytes: 0,
      status,
      type: String(reply.getHeader('content-type')),
      cacheControl: String(reply.getHeader('cache-control')),
      headers,
      raw,
      // Error pages expire sooner: the article may be published any moment.
      expires: Math.min(rendered + (status === 200 ? cache.ttlMs : cache.ttlMs / 2), until ?? Infinity),
      rendered,
      ...(until !== undefined ? { until } : {}),
      keys: new Set(keys),
    };
    cache.store(req.pageCacheKey, entry, req.pageCacheGeneration, at);
    reply.header('x-cache', 'miss');
    done(null, sendEntry(cache, req, reply, entry, true));
  });
}

/**
 * The hot path for cached pages, in front of Fastify: a hit is answered straight from memory with the headers
 * the first render carried, skipping routing and hooks. Misses and everything else go on to Fastify.
 */
export function serveFromCache(cache: PageCache, req: IncomingMessage, res: ServerResponse, now = Date.now()): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const key = pageKey(req.url ?? '');
  if (key === undefined) return false;
  const entry = cache.lookup(key, now) ?? cache.staleWhileRendering(key, now);
  if (!entry) return false;
  cache.hits++;
  const encoding = encodingFor(req) ?? 'identity';
  const replay = (entry.replay ??= {});
  const variant = (replay[encoding] ??= replayHeaders(entry, encoding, cache.encoded(entry, encoding)));
  // Age, and what is left of a page shown until a time, change once a second: the list is rebuilt then, not per hit.
  const age = ageOf(entry, now);
  const left = entry.until === undefined ? 0 : secondsLeft(entry.until, now);
  if (variant.age !== age || variant.left !== left) {
    const headers = variant.headers.slice();
    headers[variant.ageAt] = String(age);
    variant.headers = entry.until === undefined ? headers : withHeader(headers, 'cache-control', cacheControlUntil(entry.cacheControl, entry.until, now, age));
    variant.age = age;
    variant.left = left;
  }
  res.writeHead(entry.status, variant.headers);
  res.end(req.method === 'HEAD' ? undefined : variant.body);
  return true;
}

interface Variant {
  body: Buffer;
  /** The flat header list of a hit, as last sent. */
  headers: string[];
  /** Where in it the value of `age` is. */
  ageAt: number;
  /** The Age it says, and the seconds left of a page shown until a time (cacheControlUntil's); -1 before the first hit. */
  age: number;
  left: number;
}

type Replay = Record<Encoding, Variant>;

/** A flat header list with one header's value replaced. */
function withHeader(headers: string[], name: string, value: string): string[] {
  const out = headers.slice();
  for (let i = 0; i < out.length; i += 2) if (out[i] === name) out[i + 1] = value;
  return out;
}

/** The header list of a hit, built once per entry and encoding: the hot path only writes it out. */
function replayHeaders(entry: Entry, encoding: Encoding, body: Buffer): Variant {
  const headers = Object.entries(entry.headers).flat();
  headers.push('vary', 'accept-encoding', 'x-cache', 'hit', 'content-length', String(body.length));
  if (encoding !== 'identity') headers.push('content-encoding', encoding);
  headers.push('age', '0');
  return { body, headers, ageAt: headers.length - 1, age: -1, left: -1 };
}
