import { promisify } from 'node:util';
import { publicMediaRewriter, type PublicMedia } from '../media-url.ts';
import { gunzipSync, gzip as gzipCallback } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContentChange } from '../../domain/events.ts';
import type { WebDeps } from '../context.ts';
import type { Store } from '../../domain/store.ts';
import { readerLoad } from '../reads.ts';
import { articlePath } from '../presenters/articles.ts';
import { xmlText } from './xml.ts';
import { acceptsEncoding } from '../encoding.ts';

const gzip = promisify(gzipCallback);

/** The sitemap protocol's limit of URLs per file; INKSTONE_SITEMAP_URLS may lower it. */
export const SITEMAP_MAX_URLS = 50_000;
/** Google News reads articles of the last two days, at most 1,000 of them. */
const NEWS_WINDOW_MS = 2 * 24 * 3600_000;
const NEWS_MAX_URLS = 1_000;
/** Rows read per query while a shard is written: each read is short, so readers are served in between. */
const READ_BATCH = 5_000;
/**
 * How long a written sitemap is served before its range is checked again (count and latest update): edits made by
 * other app processes show up within this time; this process's own edits mark it stale at once.
 */
const RECHECK_MS = 60_000;

interface Written {
  gzip: Buffer;
  etag: string;
  /** What the range looked like when it was written; a recheck that finds the same keeps the bytes. */
  version: string;
  checkedAt: number;
  stale: boolean;
}

interface ShardStats {
  count: number;
  lastmod: number | null;
  checkedAt: number;
  stale: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Sitemaps for an archive of millions: `/sitemap.xml` is an index of shards, each the published articles of one
 * fixed range of ids (`/sitemap-articles-<n>.xml`, ≤ 50,000 URLs, well under 50 MB), plus `/sitemap-pages.xml`
 * (home, channels, topics) and `/sitemap-news.xml`. An article always lies in the same shard, so a change rewrites
 * one shard and the index line that dates it, nothing else. Each file is written once, kept gzipped in memory and
 * served as static bytes (with ETag) until a change of this process marks it stale or a recheck of its range shows
 * another process changed it; a rewrite reads its rows in short batches and happens once however many crawlers ask.
 */
export class Sitemaps {
  private readonly files = new Map<string, Written>();
  private readonly stats = new Map<number, ShardStats>();
  private readonly writing = new Map<string, Promise<Written | undefined>>();

  constructor(
    private readonly deps: Pick<WebDeps, 'ctx' | 'config' | 'reads'>,
    private readonly shardSize: number,
  ) {}

  private get site(): string {
    return this.deps.config.siteUrl;
  }

  /** Cover images on the public media host when there is one. */
  private get publicMedia(): PublicMedia {
    return publicMediaRewriter(this.deps.config.mediaPublicUrl, this.site);
  }

  private now(): number {
    return this.deps.ctx.clock.now();
  }

  /** Which files a committed change makes stale. */
  changed(change: ContentChange): void {
    if (change.kind === 'article') {
      if (!change.public) return;
      const shard = this.shardOf(change.articleId);
      this.markStale(`articles-${shard}`);
      const stats = this.stats.get(shard);
      if (stats) stats.stale = true;
      this.markStale('index');
      this.markStale('news');
    } else if (change.kind === 'channel' || change.kind === 'topic') {
      this.markStale('pages');
      this.markStale('index');
    }
  }

  private markStale(name: string): void {
    const file = this.files.get(name);
    if (file) file.stale = true;
  }

  shardOf(articleId: number): number {
    return Math.floor(articleId / this.shardSize);
  }

  /** The bytes of one file, gzipped; undefined when there is no such file (an empty or unknown shard). */
  async file(name: string): Promise<Written | undefined> {
    const cached = this.files.get(name);
    if (cached && !cached.stale && this.now() - cached.checkedAt < RECHECK_MS) return cached;
    // One write at a time per file; everyone else waits for it, or takes the previous bytes if there are some.
    let pending = this.writing.get(name);
    if (!pending) {
      // A reader-side read: from the read replica when it has replayed every change heard of (web/reads.ts).
      pending = readerLoad(this.deps, undefined, (ctx) => this.write(name, cached, ctx.store)).finally(() => this.writing.delete(name));
      this.writing.set(name, pending);
    }
    if (cached && !cached.stale) {
      // Served from the previous bytes; a failed recheck is tried again by the next request.
      pending.catch(() => undefined);
      return cached;
    }
    return pending;
  }

  private async write(name: string, previous: Written | undefined, store: Store): Promise<Written | undefined> {
    const made = await this.make(name, previous?.version, store);
    if (made === undefined) {
      this.files.delete(name);
      return undefined;
    }
    if (made === 'unchanged' && previous) {
      const kept = { ...previous, checkedAt: this.now(), stale: false };
      this.files.set(name, kept);
      return kept;
    }
    if (made === 'unchanged') return undefined;
    const bytes = await gzip(made.xml);
    const written: Written = { gzip: bytes, etag: `"${name}-${hash(made.version)}"`, version: made.version, checkedAt: this.now(), stale: false };
    this.files.set(name, written);
    return written;
  }

  /** The file's XML, 'unchanged' when its version is still `known`, undefined when it does not exist. */
  private async make(name: string, known: string | undefined, store: Store): Promise<{ xml: string; version: string } | 'unchanged' | undefined> {
    if (name === 'index') return this.makeIndex(store);
    if (name === 'pages') return this.makePages(store);
    if (name === 'news') return this.makeNews(store);
    const match = /^articles-(\d{1,7})$/.exec(name);
    if (!match) return undefined;
    const shard = Number(match[1]);
    const stats = await this.shardStats(shard, store);
    if (stats.count === 0) return undefined;
    const version = `${stats.count}:${stats.lastmod}`;
    if (version === known) return 'unchanged';
    return { xml: await this.makeShard(shard, store), version };
  }

  private async shardStats(shard: number, store: Store): Promise<ShardStats> {
    const known = this.stats.get(shard);
    if (known && !known.stale && this.now() - known.checkedAt < RECHECK_MS) return known;
    const from = shard * this.shardSize;
    const { count, lastmod } = await store.articles.sitemapStats(from, from + this.shardSize);
    const stats = { count, lastmod, checkedAt: this.now(), stale: false };
    // Only ranges with articles are remembered: asking for made-up shard numbers cannot fill memory.
    if (count > 0) this.stats.set(shard, stats);
    else this.stats.delete(shard);
    return stats;
  }

  private async makeShard(shard: number, store: Store): Promise<string> {
    const from = shard * this.shardSize;
    const to = from + this.shardSize;
    const lines: string[] = [];
    let after = from - 1;
    for (;;) {
      const batch = await store.articles.sitemapArticles(after, to, READ_BATCH);
      for (const a of batch) {
        const image = a.cover ? `<image:image><image:loc>${xmlText(this.publicMedia(this.absolute(a.cover)))}</image:loc></image:image>` : '';
        lines.push(`<url><loc>${xmlText(this.site + articlePath(a.id))}</loc><lastmod>${iso(a.updatedAt)}</lastmod>${image}</url>`);
      }
      if (batch.length < READ_BATCH) break;
      after = batch[batch.length - 1]!.id;
    }
    return `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
${lines.join('\n')}
</urlset>
`;
  }

  private absolute(url: string): string {
    return url.startsWith('/') ? this.site + url : url;
  }

  private async makeIndex(store: Store): Promise<{ xml: string; version: string }> {
    const maxId = await store.articles.maxPublishedId();
    const entries: string[] = [];
    const versions: string[] = [];
    const sitemap = (loc: string, lastmod: number | null) =>
      `<sitemap><loc>${xmlText(loc)}</loc>${lastmod === null ? '' : `<lastmod>${iso(lastmod)}</lastmod>`}</sitemap>`;
    entries.push(sitemap(`${this.site}/sitemap-pages.xml`, null));
    let newest: number | null = null;
    for (let shard = 0; shard <= this.shardOf(maxId); shard++) {
      // Each range is recounted at most once a RECHECK_MS (other processes' changes), and at once after this one's.
      const stats = await this.shardStats(shard, store);
      if (stats.count === 0) continue;
      entries.push(sitemap(`${this.site}/sitemap-articles-${shard}.xml`, stats.lastmod));
      versions.push(`${shard}:${stats.count}:${stats.lastmod}`);
      if (stats.lastmod !== null && (newest === null || stats.lastmod > newest)) newest = stats.lastmod;
    }
    entries.push(sitemap(`${this.site}/sitemap-news.xml`, newest));
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${entries.join('\n')}
</sitemapindex>
`;
    return { xml, version: versions.join(',') };
  }

  private async makePages(store: Store): Promise<{ xml: string; version: string }> {
    const [channels, topics] = await Promise.all([store.channels.all(), store.topics.all()]);
    const url = (loc: string, lastmod?: number) => `<url><loc>${xmlText(loc)}</loc>${lastmod ? `<lastmod>${iso(lastmod)}</lastmod>` : ''}</url>`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${url(`${this.site}/`)}
${channels.map((c) => url(`${this.site}/c/${c.path}`)).join('\n')}
${topics.map((t) => url(`${this.site}/t/${t.slug}`, t.updatedAt)).join('\n')}
</urlset>
`;
    return { xml, version: xml };
  }

  private async makeNews(store: Store): Promise<{ xml: string; version: string }> {
    const { config } = this.deps;
    const articles = await store.articles.recentNews(this.now() - NEWS_WINDOW_MS, NEWS_MAX_URLS);
    const lines = articles.map(
      (a) =>
        `<url><loc>${xmlText(this.site + articlePath(a.id))}</loc><news:news><news:publication><news:name>${xmlText(config.siteName)}</news:name><news:language>zh-cn</news:language></news:publication><news:publication_date>${iso(a.publishedAt)}</news:publication_date><news:title>${xmlText(a.title)}</news:title>${a.tags.length ? `<news:keywords>${xmlText(a.tags.join(', '))}</news:keywords>` : ''}</news:news></url>`,
    );
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
${lines.join('\n')}
</urlset>
`;
    return { xml, version: xml };
  }
}

/** A short, stable digest of a version string for the ETag. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36) + s.length.toString(36);
}

function send(req: FastifyRequest, reply: FastifyReply, file: Written | undefined, maxAge: number): FastifyReply {
  // No such sitemap is a missing page like any other: the site's own 404 answer (the reader's 404 page, under the CSP).
  if (!file) {
    reply.callNotFound();
    return reply;
  }
  reply.header('content-type', 'application/xml; charset=utf-8');
  reply.header('cache-control', `public, max-age=${maxAge}`);
  reply.header('etag', file.etag);
  reply.header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  if (acceptsEncoding(req.headers['accept-encoding'], 'gzip')) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(gunzipSync(file.gzip));
}

/** The sitemap routes; the index stays at /sitemap.xml, where robots.txt and search consoles already point. */
export function sitemapRoutes(app: FastifyInstance, deps: WebDeps): Sitemaps {
  const sitemaps = new Sitemaps(deps, deps.config.sitemapUrls);
  deps.ctx.events.subscribe((change) => sitemaps.changed(change));
  app.get('/sitemap.xml', async (req, reply) => send(req, reply, await sitemaps.file('index'), 600));
  app.get('/sitemap-pages.xml', async (req, reply) => send(req, reply, await sitemaps.file('pages'), 600));
  app.get('/sitemap-news.xml', async (req, reply) => send(req, reply, await sitemaps.file('news'), 300));
  app.get<{ Params: { shard: string } }>('/sitemap-articles-:shard', async (req, reply) => {
    const match = /^(0|[1-9]\d{0,6})\.xml$/.exec(req.params.shard);
    return send(req, reply, match ? await sitemaps.file(`articles-${Number(match[1])}`) : undefined, 600);
  });
  return sitemaps;
}
