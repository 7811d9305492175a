import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseMoods, type Mood } from './domain/reactions/moods.ts';

/** Environment parsed once into a typed object; bad values fail at start with a clear message. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /**
   * A PostgreSQL read replica (DATABASE_READ_URL) for reader pages, public JSON reads and search; unset = everything
   * on DATABASE_URL. Refused without DATABASE_URL (SQLite has no replicas).
   */
  databaseReadUrl: string | undefined;
  /** The replica serves only while it has replayed what the primary had this long ago (INKSTONE_REPLICA_MAX_LAG, seconds, default 5). */
  replicaMaxLagMs: number;
  redisUrl: string | undefined;
  siteUrl: string;
  siteName: string;
  secret: string;
  demo: boolean;
  adminPassword: string | undefined;
  trustProxy: boolean | number | string[];
  timeZone: string;
  logLevel: string;
  /** App processes `serve` runs (node:cluster); 1 = this process only. */
  workers: number;
  /** WeChat official account credentials for the JS-SDK signature endpoint; both unset = endpoint off. */
  wechat: { appId: string; secret: string; apiBase: string } | undefined;
  /** Moods readers vote on, in display order (INKSTONE_MOODS). */
  moods: Mood[];
  /** New readers' votes one address may cast on one article per hour; 0 = no cap (INKSTONE_REACTION_CAP). */
  reactionCapPerHour: number;
  /** Reader cookies one address may be given per hour by voting without one; 0 = no cap (INKSTONE_READER_COOKIE_CAP). */
  readerCookiesPerHour: number;
  /** Votes on one article from one address prefix in a minute above which new votes are held for review; 0 = off. */
  reactionBurstPerMinute: number;
  /** Largest accepted media upload in bytes (INKSTONE_MEDIA_MAX_BYTES, default 20 MiB). */
  mediaMaxBytes: number;
  /** Largest archive file the newsroom's 导入 page takes (INKSTONE_IMPORT_MAX_BYTES, default 256 MiB; larger files: the CLI). */
  importMaxBytes: number;
  /** How long a rendered reader page is served from memory (INKSTONE_PAGE_CACHE_TTL, seconds, default 60). */
  pageCacheTtlMs: number;
  /**
   * Memory the page cache may use (INKSTONE_PAGE_CACHE_MB, default 128): with a 60 s TTL the popular pages need a
   * fraction of it; the budget bounds what a crawler walking the archive adds to the process (issue #12: < 500 MB).
   */
  pageCacheMaxBytes: number;
  /** How long an idle keep-alive connection stays open (INKSTONE_KEEP_ALIVE_TIMEOUT, seconds, default 75). */
  keepAliveMs: number;
  /**
   * How long a shutdown (SIGTERM, SIGINT) lets open connections finish their answers before it cuts them, and (5 s
   * more) the whole shutdown before the process exits anyway, saying what it was waiting for (INKSTONE_SHUTDOWN_TIMEOUT,
   * seconds, default 10).
   */
  shutdownMs: number;
  /** Share posters kept in memory, each tens of KB (INKSTONE_POSTER_CACHE, default 500). */
  posterCacheEntries: number;
  /**
   * An external search engine for both search indexes (INKSTONE_SEARCH_URL): OpenSearch or Elasticsearch, as
   * `opensearch://host:9200/prefix`, `elasticsearch://…`, or `http(s)://[user:password@]host:9200/prefix` (with
   * INKSTONE_SEARCH_ENGINE=opensearch|elasticsearch, the default); queries time out after INKSTONE_SEARCH_TIMEOUT_MS
   * (default 3000). Unset: the built-in index in the database.
   */
  searchEngine: SearchEngineSettings | undefined;
  /** A CDN's purge webhook (INKSTONE_CDN_PURGE_URL) and its bearer token (INKSTONE_CDN_PURGE_TOKEN); unset = none. */
  cdnPurge: { url: string; token: string | undefined } | undefined;
  /** URLs per article sitemap file (INKSTONE_SITEMAP_URLS, default and most 50,000, the protocol's limit). */
  sitemapUrls: number;
  /**
   * Where finished media files live (INKSTONE_MEDIA_URL): the local media folder (unset), or an S3-compatible bucket
   * (`s3://bucket/prefix`) with INKSTONE_S3_ENDPOINT (OSS, COS, MinIO; path-style), INKSTONE_S3_REGION and
   * INKSTONE_S3_ACCESS_KEY_ID / INKSTONE_S3_SECRET_ACCESS_KEY (else the SDK's default credential chain).
   */
  mediaStore: MediaStoreConfig;
  /** Origin + path reader pages, feeds and the newsroom load media from (INKSTONE_MEDIA_PUBLIC_URL, a CDN); unset = /media/ on this site. */
  mediaPublicUrl: string | undefined;
  /** Bearer token that /metrics asks for (INKSTONE_METRICS_TOKEN); unset = /metrics is off. */
  metricsToken: string | undefined;
}

export type MediaStoreConfig =
  | { kind: 'local' }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix without slashes at either end; '' = the bucket's root. */
      prefix: string;
      endpoint: string | undefined;
      region: string;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a whole number from 0 to 65535, got "${value}"`);
  }
  return port;
}

/** TRUST_PROXY: unset/false = trust nobody; true = trust all; a number = hops; else a comma list of addresses/CIDRs. */
export function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  const v = (value ?? '').trim();
  if (v === '' || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseCount(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new ConfigError(`${name} must be a whole number from 0 to 1000000, got "${value}"`);
  return n;
}

/** The engine's address, credentials and index prefix (the shape storage/search/external.ts takes). */
export interface SearchEngineSettings {
  kind: 'opensearch';
  endpoint: { base: string; authorization: string | undefined; timeoutMs: number };
  prefix: string;
}

const SEARCH_SCHEMES: Record<string, string> = { 'opensearch:': 'http:', 'elasticsearch:': 'http:', 'http:': 'http:', 'https:': 'https:' };

export function parseSearchEngine(env: Env): SearchEngineSettings | undefined {
  const raw = (env.INKSTONE_SEARCH_URL ?? '').trim();
  if (raw === '') return undefined;
  const bad = (why: string) =>
    new ConfigError(
      `INKSTONE_SEARCH_URL ${why}: use opensearch://host:9200/prefix or http(s)://[user:password@]host:9200/prefix, got "${raw.replace(/\/\/[^@/]*@/, '//…@')}"`,
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a URL');
  }
  const engine = (env.INKSTONE_SEARCH_ENGINE ?? '').trim().toLowerCase();
  if (url.protocol === 'meili:' || url.protocol === 'meilisearch:' || engine === 'meilisearch') {
    throw new ConfigError('INKSTONE_SEARCH_URL: Meilisearch is not supported yet; use OpenSearch or Elasticsearch (docs/DEPLOY.md)');
  }
  const protocol = SEARCH_SCHEMES[url.protocol];
  if (!protocol) throw bad(`has an unknown scheme (${url.protocol})`);
  if (engine !== '' && engine !== 'opensearch' && engine !== 'elasticsearch') {
    throw new ConfigError(`INKSTONE_SEARCH_ENGINE must be opensearch or elasticsearch (the same API), got "${env.INKSTONE_SEARCH_ENGINE}"`);
  }
  const prefix = url.pathname.replace(/^\/+|\/+$/g, '') || 'inkstone';
  // Index names: lower case, no slashes or other characters the engines refuse.
  if (!/^[a-z0-9][a-z0-9_-]{0,100}$/.test(prefix)) throw bad('must name one index prefix of lower-case letters, digits, - and _');
  if (url.search !== '' || url.hash !== '') throw bad('takes no query or fragment');
  const authorization =
    url.username !== '' ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` : undefined;
  const timeoutMs = parseCount('INKSTONE_SEARCH_TIMEOUT_MS', env.INKSTONE_SEARCH_TIMEOUT_MS, 3000);
  if (timeoutMs < 100 || timeoutMs > 60_000)
    throw new ConfigError(`INKSTONE_SEARCH_TIMEOUT_MS must be from 100 to 60000, got "${env.INKSTONE_SEARCH_TIMEOUT_MS}"`);
  return { kind: 'opensearch', endpoint: { base: `${protocol}//${url.host}`, authorization, timeoutMs }, prefix };
}

function parseCdnPurge(url: string | undefined, token: string | undefined): Config['cdnPurge'] {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url.replace('{keys}', 'k'));
  } catch {
    throw new ConfigError(`INKSTONE_CDN_PURGE_URL must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError(`INKSTONE_CDN_PURGE_URL must be an http(s) URL, got "${url}"`);
  return { url, token: token || undefined };
}

function parseSitemapUrls(value: string | undefined): number {
  const n = parseCount('INKSTONE_SITEMAP_URLS', value, 50_000);
  if (n < 1 || n > 50_000) throw new ConfigError(`INKSTONE_SITEMAP_URLS must be a whole number from 1 to 50000, got "${value}"`);
  return n;
}

/** A byte count from 1 KiB to 1 GiB. */
function parseBytes(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > 1024 ** 3)
    throw new ConfigError(`${name} must be a whole number of bytes from 1024 to 1073741824, got "${value}"`);
  return n;
}

function parseMoodList(value: string | undefined): Mood[] {
  try {
    return parseMoods(value);
  } catch (err) {
    throw new ConfigError(`INKSTONE_MOODS: ${(err as Error).message}`);
  }
}

function parseDatabaseUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (leave it unset for SQLite)');
  }
  return value;
}

/** DATABASE_READ_URL: a postgres:// URL of a streaming replica of DATABASE_URL's server; PostgreSQL only. */
export function parseDatabaseReadUrl(value: string | undefined, databaseUrl: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (databaseUrl === undefined) {
    throw new ConfigError(
      'DATABASE_READ_URL is set but DATABASE_URL is not: a read replica needs PostgreSQL, and SQLite has no replicas. Unset DATABASE_READ_URL, or set DATABASE_URL to the primary',
    );
  }
  if (!/^postgres(ql)?:\/\//.test(value.trim())) throw new ConfigError('DATABASE_READ_URL must be a postgres:// URL of a read replica of DATABASE_URL');
  return value.trim();
}

function parseSiteUrl(value: string | undefined, host: string, port: number): string {
  const raw = value && value.trim() !== '' ? value.trim() : `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`INKSTONE_SITE_URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('INKSTONE_SITE_URL must be http:// or https://');
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** The secret signs reader cookies and salts address hashes; generated once into the data dir when not given. */
function loadSecret(value: string | undefined, dataDir: string): string {
  if (value && value.trim() !== '') {
    if (value.length < 16) throw new ConfigError('INKSTONE_SECRET must be at least 16 characters');
    return value;
  }
  const file = path.join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

function parseMetricsToken(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.trim().length < 16) throw new ConfigError('INKSTONE_METRICS_TOKEN must be at least 16 characters');
  return value.trim();
}

function parseWorkers(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new ConfigError(`INKSTONE_WORKERS must be a whole number from 1 to 64, got "${value}"`);
  return n;
}

/** Bucket names as S3, OSS and COS allow them: 3–63 lower-case letters, digits, dots and dashes. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseMediaStore(env: Env): MediaStoreConfig {
  const url = (env.INKSTONE_MEDIA_URL ?? '').trim();
  const s3Settings = ['INKSTONE_S3_ENDPOINT', 'INKSTONE_S3_REGION', 'INKSTONE_S3_ACCESS_KEY_ID', 'INKSTONE_S3_SECRET_ACCESS_KEY'].filter(
    (k) => (env[k] ?? '').trim() !== '',
  );
  if (url === '' || url === 'local') {
    if (s3Settings.length > 0)
      throw new ConfigError(`${s3Settings[0]} is set but INKSTONE_MEDIA_URL is not an s3:// URL; set INKSTONE_MEDIA_URL=s3://bucket/prefix or unset it`);
    return { kind: 'local' };
  }
  const m = /^s3:\/\/([^/?#]+)((?:\/[^?#]*)?)$/.exec(url);
  if (!m) throw new ConfigError(`INKSTONE_MEDIA_URL must be s3://bucket or s3://bucket/prefix (or unset for the local folder), got "${url}"`);
  const bucket = m[1]!;
  if (!BUCKET.test(bucket)) throw new ConfigError(`INKSTONE_MEDIA_URL: "${bucket}" is not a bucket name (3–63 lower-case letters, digits, dots and dashes)`);
  const prefix = m[2]!.replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !prefix.split('/').every((s) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s))) {
    throw new ConfigError(`INKSTONE_MEDIA_URL: the key prefix "${prefix}" may hold only letters, digits, dots, dashes and underscores between slashes`);
  }
  const endpointRaw = (env.INKSTONE_S3_ENDPOINT ?? '').trim();
  let endpoint: string | undefined;
  if (endpointRaw !== '') {
    let parsed: URL;
    try {
      parsed = new URL(endpointRaw);
    } catch {
      throw new ConfigError(`INKSTONE_S3_ENDPOINT must be an http(s) URL such as https://oss-cn-hangzhou.aliyuncs.com, got "${endpointRaw}"`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError(`INKSTONE_S3_ENDPOINT must be an http(s) URL, got "${endpointRaw}"`);
    endpoint = parsed.origin;
  }
  const accessKeyId = (env.INKSTONE_S3_ACCESS_KEY_ID ?? '').trim();
  const secretAccessKey = (env.INKSTONE_S3_SECRET_ACCESS_KEY ?? '').trim();
  if ((accessKeyId === '') !== (secretAccessKey === '')) {
    throw new ConfigError('INKSTONE_S3_ACCESS_KEY_ID and INKSTONE_S3_SECRET_ACCESS_KEY go together: set both, or neither for the SDK’s default credentials');
  }
  const region = (env.INKSTONE_S3_REGION ?? '').trim() || (endpoint ? 'us-east-1' : '');
  if (region === '')
    throw new ConfigError(
      'INKSTONE_S3_REGION is required with an s3:// INKSTONE_MEDIA_URL on AWS (e.g. ap-east-1), unless INKSTONE_S3_ENDPOINT names another service',
    );
  return { kind: 's3', bucket, prefix, endpoint, region, credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined };
}

/** INKSTONE_MEDIA_PUBLIC_URL: an http(s) URL standing for /media (https://img.example.cn/media); no query or fragment. */
export function parseMediaPublicUrl(value: string | undefined): string | undefined {
  const raw = (value ?? '').trim();
  if (raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`INKSTONE_MEDIA_PUBLIC_URL must be an http(s) URL such as https://img.example.cn/media, got "${raw}"`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`INKSTONE_MEDIA_PUBLIC_URL must be an http(s) URL without query, fragment or credentials, got "${raw}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env): Config {
  const port = parsePort(env.PORT);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1';
  const dataDir = path.resolve(env.INKSTONE_DATA_DIR && env.INKSTONE_DATA_DIR !== '' ? env.INKSTONE_DATA_DIR : './data');
  mkdirSync(dataDir, { recursive: true });
  const demoFlag = (env.INKSTONE_DEMO ?? '1').trim();
  const databaseUrl = parseDatabaseUrl(env.DATABASE_URL);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    databaseReadUrl: parseDatabaseReadUrl(env.DATABASE_READ_URL, databaseUrl),
    replicaMaxLagMs: Math.max(1, parseCount('INKSTONE_REPLICA_MAX_LAG', env.INKSTONE_REPLICA_MAX_LAG, 5)) * 1000,
    redisUrl: env.REDIS_URL && env.REDIS_URL !== '' ? env.REDIS_URL : undefined,
    siteUrl: parseSiteUrl(env.INKSTONE_SITE_URL, host, port),
    siteName: env.INKSTONE_SITE_NAME && env.INKSTONE_SITE_NAME !== '' ? env.INKSTONE_SITE_NAME : '砚台新闻',
    secret: loadSecret(env.INKSTONE_SECRET, dataDir),
    demo: !(demoFlag === '0' || demoFlag === 'false'),
    adminPassword: env.INKSTONE_ADMIN_PASSWORD && env.INKSTONE_ADMIN_PASSWORD !== '' ? env.INKSTONE_ADMIN_PASSWORD : undefined,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    timeZone: env.INKSTONE_TIMEZONE && env.INKSTONE_TIMEZONE !== '' ? env.INKSTONE_TIMEZONE : 'Asia/Shanghai',
    logLevel: env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : 'info',
    workers: parseWorkers(env.INKSTONE_WORKERS),
    wechat:
      env.INKSTONE_WECHAT_APPID && env.INKSTONE_WECHAT_SECRET
        ? { appId: env.INKSTONE_WECHAT_APPID, secret: env.INKSTONE_WECHAT_SECRET, apiBase: env.INKSTONE_WECHAT_API || 'https://api.weixin.qq.com' }
        : undefined,
    moods: parseMoodList(env.INKSTONE_MOODS),
    reactionCapPerHour: parseCount('INKSTONE_REACTION_CAP', env.INKSTONE_REACTION_CAP, 20),
    readerCookiesPerHour: parseCount('INKSTONE_READER_COOKIE_CAP', env.INKSTONE_READER_COOKIE_CAP, 60),
    reactionBurstPerMinute: parseCount('INKSTONE_REACTION_BURST', env.INKSTONE_REACTION_BURST, 30),
    mediaMaxBytes: parseBytes('INKSTONE_MEDIA_MAX_BYTES', env.INKSTONE_MEDIA_MAX_BYTES, 20 * 1024 * 1024),
    importMaxBytes: parseBytes('INKSTONE_IMPORT_MAX_BYTES', env.INKSTONE_IMPORT_MAX_BYTES, 256 * 1024 * 1024),
    pageCacheTtlMs: parseCount('INKSTONE_PAGE_CACHE_TTL', env.INKSTONE_PAGE_CACHE_TTL, 60) * 1000,
    metricsToken: parseMetricsToken(env.INKSTONE_METRICS_TOKEN),
    mediaStore: parseMediaStore(env),
    mediaPublicUrl: parseMediaPublicUrl(env.INKSTONE_MEDIA_PUBLIC_URL),
    sitemapUrls: parseSitemapUrls(env.INKSTONE_SITEMAP_URLS),
    cdnPurge: parseCdnPurge(env.INKSTONE_CDN_PURGE_URL, env.INKSTONE_CDN_PURGE_TOKEN),
    searchEngine: parseSearchEngine(env),
    posterCacheEntries: Math.max(1, parseCount('INKSTONE_POSTER_CACHE', env.INKSTONE_POSTER_CACHE, 500)),
    keepAliveMs: Math.max(1, parseCount('INKSTONE_KEEP_ALIVE_TIMEOUT', env.INKSTONE_KEEP_ALIVE_TIMEOUT, 75)) * 1000,
    shutdownMs: Math.max(1, parseCount('INKSTONE_SHUTDOWN_TIMEOUT', env.INKSTONE_SHUTDOWN_TIMEOUT, 10)) * 1000,
    pageCacheMaxBytes: parseCount('INKSTONE_PAGE_CACHE_MB', env.INKSTONE_PAGE_CACHE_MB, 128) * 1024 * 1024,
  };
}
