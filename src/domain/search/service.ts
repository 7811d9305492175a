import type { Article } from '../articles/article.ts';
import { normalizeChannelPath } from '../channels/channel.ts';
import type { Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import type { Store } from '../store.ts';
import { searchDocument, type PreparedSearchFields } from './document.ts';
import { parseQuery, type ParsedQuery } from './query.ts';
import { SEARCH_CAPS, type RebuildProgress, type RebuildReport, type RebuildStart } from './search-index.ts';
import { highlight, lead, snippet } from './snippet.ts';

export interface SearchInput {
  q: string;
  /** A channel path; its subchannels are searched too. */
  channel?: string;
  /** `YYYY-MM-DD` (a day in the site's time zone) or an ISO 8601 time with offset; inclusive. */
  from?: string;
  /** As `from`; a day includes all of that day. */
  to?: string;
  limit?: number;
  cursor?: string;
  /** The site's time zone, for dates given as days. */
  timeZone: string;
}

export interface SearchHit {
  article: Article;
  /** The title, escaped, with matches in <mark>. */
  titleHtml: string;
  /** A passage of the body (or summary), escaped, with matches in <mark>. */
  snippet: string;
}

export interface SearchResult {
  query: ParsedQuery;
  hits: SearchHit[];
  /** Matching articles, counted up to SEARCH_CAPS.total. */
  total: number;
  offset: number;
  limit: number;
  nextCursor: string | null;
}

export const SEARCH_LIMIT = { min: 1, max: 50, default: 10 };

/** Snippets are looked for in this much of a body: enough for any news story, bounded for a book-length one. */
const SNIPPET_SCAN_CHARS = 20_000;

/** Result pages are positions in a ranked list: the cursor is the offset, opaque so clients do not build them. */
export function encodeSearchCursor(offset: number): string {
  return Buffer.from(`o${offset.toString(36)}`).toString('base64url');
}

export function decodeSearchCursor(cursor: string): number {
  const bad = invalid('cursor is not one this server gave out', 'cursor', 'invalid_cursor');
  if (cursor.length > 16 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad;
  const match = /^o([0-9a-z]{1,3})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match) throw bad;
  const offset = parseInt(match[1]!, 36);
  if (offset >= SEARCH_CAPS.candidates) throw bad;
  return offset;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** How far the zone's wall clock is ahead of UTC at instant ms. */
function zoneOffset(ms: number, timeZone: string): number {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const { type, value } of f.formatToParts(ms)) p[type] = Number(value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000;
}

/** Midnight starting the given day in the zone, as epoch ms. */
function startOfDay(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  const first = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(first, timeZone);
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date bound: a day (start of it, or start of the next for `to`) or an exact instant. */
export function dateBound(value: string | undefined, field: 'from' | 'to', timeZone: string): number | undefined {
  const v = (value ?? '').trim();
  if (v === '') return undefined;
  const day = DAY.exec(v);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const check = new Date(Date.UTC(y, m - 1, d));
    if (y < 1970 || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) throw invalid(`${field} is not a date`, field, 'invalid_date');
    return field === 'from' ? startOfDay(y, m, d, timeZone) : startOfDay(y, m, d + 1, timeZone);
  }
  const at = INSTANT.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(at) || at < 0) throw invalid(`${field} must be a date (YYYY-MM-DD) or an ISO 8601 time`, field, 'invalid_date');
  return field === 'to' ? at + 1 : at;
}

/**
 * Chinese full-text search over published articles: words first; when the words find nothing, each part of the
 * query as exact text. Results are ranked by relevance (title above tags, summary and body), then newer first.
 */
/** A `from`/`to` pair of days or times (see dateBound), refused when it is empty or inverted. */
export function dateRange(fromRaw: string | undefined, toRaw: string | undefined, timeZone: string): { from?: number; to?: number } {
  const from = dateBound(fromRaw, 'from', timeZone);
  const to = dateBound(toRaw, 'to', timeZone);
  if (from !== undefined && to !== undefined && from >= to) throw invalid('from must be before to', 'to', 'invalid_range');
  return { from, to };
}

/** The ids of a channel and its subchannels, from its path; undefined for no channel, 400 for an unknown one. */
export async function channelSubtree(ctx: Ctx, raw: string | undefined): Promise<number[] | undefined> {
  const channel = normalizeChannelPath(raw ?? '');
  if (channel === '') return undefined;
  if (!(await ctx.store.channels.findByPath(channel))) throw invalid(`No channel at path "${channel}"`, 'channel', 'unknown_channel');
  return ctx.store.channels.subtreeIds(channel);
}

export async function searchArticles(ctx: Ctx, input: SearchInput): Promise<SearchResult> {
  const query = parseQuery(input.q);
  const limit = Math.min(SEARCH_LIMIT.max, Math.max(SEARCH_LIMIT.min, Math.trunc(input.limit ?? SEARCH_LIMIT.default)));
  const offset = input.cursor ? decodeSearchCursor(input.cursor) : 0;
  const { from, to } = dateRange(input.from, input.to, input.timeZone);
  const channelIds = await channelSubtree(ctx, input.channel);

  const empty: SearchResult = { query, hits: [], total: 0, offset, limit, nextCursor: null };
  if (query.terms.length === 0) return empty;
  const request = { channelIds, from, to };
  let found = await ctx.store.search.search({ ...request, terms: query.terms });
  if (found.total === 0 && query.fallback) found = await ctx.store.search.search({ ...request, terms: query.fallback });

  const pageIds = found.ids.slice(offset, offset + limit);
  // The index may briefly lag a concurrent unpublish: only published articles are shown.
  const articles = (await ctx.store.articles.findMany(pageIds)).filter((a) => a.status === 'published');
  const hits = articles.map((article) => ({
    article,
    titleHtml: highlight(article.title, query.highlights),
    snippet:
      snippet(article.bodyText.slice(0, SNIPPET_SCAN_CHARS), query.highlights) ??
      snippet(article.summary, query.highlights) ??
      lead(article.summary || article.bodyText.slice(0, SNIPPET_SCAN_CHARS)),
  }));
  const next = offset + limit;
  return { query, hits, total: found.total, offset, limit, nextCursor: next < found.ids.length ? encodeSearchCursor(next) : null };
}

/** Archives up to this size are indexed at start (about a minute); larger ones wait for `inkstone reindex`. */
export interface IndexBacklog {
  /** Published articles without a document in the public index. */
  published: number;
  /** Other articles without one in the draft index. */
  unpublished: number;
}

/**
 * How many articles each index lacks, from counts alone (index-only, cheap at a million rows): an archive bulk-loaded,
 * restored or imported, or older than search, has articles the outbox never indexed.
 */
export async function searchBacklog(ctx: Ctx): Promise<IndexBacklog> {
  const [published, ...others] = await Promise.all(
    (['published', 'draft', 'submitted', 'scheduled', 'unpublished'] as const).map((s) => ctx.store.articles.countByStatus(s)),
  );
  const [indexed, drafts] = await Promise.all([ctx.store.search.count(), ctx.store.draftSearch.count()]);
  return { published: Math.max(0, published! - indexed), unpublished: Math.max(0, others.reduce((a, b) => a + b, 0) - drafts) };
}

/**
 * Indexes the articles each index lacks, in batches, while the site serves (jobs/backlog.ts runs it after the server
 * listens); resumable by construction: it asks the index what is missing, so a stopped run loses nothing.
 */
export async function fillSearchIndexes(ctx: Ctx, { signal, progress }: { signal?: AbortSignal; progress?: (indexed: number) => void } = {}): Promise<number> {
  const published = await ctx.store.search.fill((article) => searchDocument(article), progress, signal);
  const unpublished = await ctx.store.draftSearch.fill(
    (article) => searchDocument(article),
    (n) => progress?.(published + n),
    signal,
  );
  return published + unpublished;
}

/** Rebuilds the index from the published articles, the documents made here (inkstone reindex; an empty index at start). */
export function rebuildSearchIndex(ctx: Ctx, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
  return ctx.store.search.rebuild((article) => searchDocument(article), progress, from);
}

/**
 * Keeps the indexes in step with an article: its document in the public index while it is published, in the draft
 * index otherwise, never in both. Call inside the transaction that changed it (so a status change moves it between
 * them atomically); `prepared` fields (the body worker's) are used only if made of these very texts.
 */
export async function indexArticle(store: Store, article: Article, prepared?: PreparedSearchFields): Promise<void> {
  const document = searchDocument(article, prepared);
  if (article.status === 'published') {
    await store.draftSearch.remove(article.id);
    await store.search.put(document);
  } else {
    await store.search.remove(article.id);
    await store.draftSearch.put(document);
  }
}

/** Rebuilds the draft index from the articles that are not published (inkstone reindex; an empty one at start). */
export function rebuildDraftIndex(ctx: Ctx, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
  return ctx.store.draftSearch.rebuild((article) => searchDocument(article), progress, from);
}
