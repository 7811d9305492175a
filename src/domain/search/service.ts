import { BODY_THREADS } from '../articles/body-pool.ts';
import { prepareSearchBatch } from '../articles/body.ts';
import type { Article } from '../articles/article.ts';
import { normalizeChannelPath } from '../channels/channel.ts';
import type { Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import type { Store } from '../store.ts';
import { fieldsFor, preparedMatches, searchDocument, type PreparedSearchFields } from './document.ts';
import { exactText, parseQuery, type ParsedQuery, type Synonyms } from './query.ts';
import { length } from '../text.ts';
import {
  SEARCH_CAPS,
  type DocumentMaker,
  type RebuildProgress,
  type RebuildReport,
  type RebuildStart,
  type SearchIndex,
  type SearchRequest,
  type Term,
} from './search-index.ts';
import { highlight, lead, snippet } from './snippet.ts';
import { corrections, suggestionsReady, warmSuggestions } from './suggest.ts';

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
  /**
   * Where, in the whole ranked list, the articles holding only some of the query's words begin (they follow those
   * holding all of them); null when there are none.
   */
  partialFrom: number | null;
  /** 您是不是要找: when no article holds all the words, a query one character away whose words some article holds. */
  suggestion: string | null;
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

/** Corrections of a query without results checked against the index, at most. */
const SUGGESTION_CHECKS = 3;

/** Partial matches: each term's newest matches read, at most. */
const PARTIAL_PER_TERM = 200;

/**
 * How much finding a term says, by how many articles have it (up to SEARCH_CAPS.termCount, so the index's size is never
 * counted): a rare word far more than a common one.
 */
const rarity = (count: number) => Math.log(1 + SEARCH_CAPS.termCount / Math.max(1, count));

/** A term found in the title counts fully, then tags, summary, body (the order of ranking.ts' FIELD_WEIGHTS; the built-in indexes tell title, tags and the rest). */
const FIELD_FACTOR = [1, 0.8, 0.65, 0.55] as const;

/** A single character (车, 江) is no subject on its own: an article sharing only that with the query is not shown. */
const substantive = (t: Term) => t.kind !== 'word' || length(t.token) > 1;

/**
 * Articles holding some of the terms but not all, best first: the sum over the terms each has of the term's rarity
 * times where it is (title > tags > summary > body), then newer, then higher id — the same on both stores, as it is
 * worked out here from what each gives. Each term's newest PARTIAL_PER_TERM matches are read, so the work is bounded
 * however common a word is. Never an article that shares only single characters with the query.
 */
export async function partialMatches(
  index: SearchIndex,
  request: SearchRequest,
  exclude: ReadonlySet<number>,
  room: number,
  now = Date.now(),
): Promise<number[]> {
  if (request.terms.length < 2 || room <= 0 || !request.terms.some(substantive)) return [];
  const counts = termCountsOf(index);
  const keys = request.terms.map((term) => JSON.stringify([term, request.channelIds, request.from, request.to]));
  const known = keys.map((k) => counts.get(k, now));
  const perTerm = await index.termMatches(request, PARTIAL_PER_TERM, known);
  // Kept from when they were counted, not from when they were last used: a busy word is counted again every few minutes.
  perTerm.forEach((m, i) => {
    if (known[i] === undefined && m.count >= PARTIAL_PER_TERM) counts.set(keys[i]!, m.count, now);
  });
  const scored = new Map<number, { id: number; at: number; score: number; substantive: boolean }>();
  perTerm.forEach((matches, i) => {
    const weight = rarity(matches.count);
    const term = request.terms[i]!;
    for (const hit of matches.hits) {
      if (exclude.has(hit.id)) continue;
      const entry = scored.get(hit.id) ?? { id: hit.id, at: hit.at, score: 0, substantive: false };
      entry.score += weight * FIELD_FACTOR[hit.field];
      entry.substantive ||= substantive(term);
      scored.set(hit.id, entry);
    }
  });
  return [...scored.values()]
    .filter((e) => e.substantive)
    .sort((a, b) => b.score - a.score || b.at - a.at || b.id - a.id)
    .slice(0, room)
    .map((e) => e.id);
}

/**
 * Terms' counts for their rarity in partial matches, remembered for a few minutes per index: counting a common word's
 * matches (up to SEARCH_CAPS.termCount) was most of a partial search's time (PostgreSQL at 300,000 articles: 13 ms of
 * a two-word query's 26), a word's count moves slowly, and readers' queries repeat their words. Only counts past the
 * matches read are kept: fewer are exact from the read itself.
 */
class TermCounts {
  private readonly counts = new Map<string, { count: number; until: number }>();

  get(key: string, now: number): number | undefined {
    const known = this.counts.get(key);
    if (known && known.until > now) return known.count;
    if (known) this.counts.delete(key);
    return undefined;
  }

  set(key: string, count: number, now: number): void {
    this.counts.delete(key);
    if (this.counts.size >= TERM_COUNTS.max) this.counts.delete(this.counts.keys().next().value!);
    this.counts.set(key, { count, until: now + TERM_COUNTS.ttlMs });
  }
}

export const TERM_COUNTS = { ttlMs: 5 * 60_000, max: 20_000 };
const termCounts = new WeakMap<SearchIndex, TermCounts>();
const termCountsOf = (index: SearchIndex) => {
  let counts = termCounts.get(index);
  if (!counts) termCounts.set(index, (counts = new TermCounts()));
  return counts;
};

/** Queries up to this long are checked for a typo even when their words are found (apart, in a long article). */
const SHORT_QUERY_CHARS = 8;

/**
 * 您是不是要找: a query one character away (suggest.ts) that the index has results for. Offered when no article holds
 * every word, or, for a short query, when the part the correction changes occurs in no article as typed (人工只能:
 * some long article has 人工 and 只能 apart, hundreds have 人工智能). A few ordinary searches at most.
 */
async function suggest(
  ctx: Ctx,
  query: ParsedQuery,
  synonyms: Synonyms,
  request: Omit<SearchRequest, 'terms'>,
  found: number,
  byFallback: boolean,
): Promise<string | null> {
  if (found > 0 && query.normalized.length > SHORT_QUERY_CHARS) return null;
  if (found > 0 && !suggestionsReady()) {
    // Not worth a wait while there are results: the tables are built meanwhile, for the next queries.
    warmSuggestions().catch(() => {
      // corrections() tries again when a query without results needs the tables.
    });
    return null;
  }
  // Found as one word or one exact text that is the whole query: articles hold it as typed (an index's words are runs
  // of its text), so no correction is offered over them; working out corrections and asking the index would only
  // confirm that (a name jieba does not know: ~7 ms at 300,000 articles on PostgreSQL).
  const [only] = query.terms;
  const whole = only?.kind === 'word' ? only.token : only?.kind === 'text' ? only.text : undefined;
  if (found > 0 && !byFallback && query.terms.length === 1 && whole === query.normalized) return null;
  const candidates = await corrections(query.normalized, SUGGESTION_CHECKS);
  if (candidates.length === 0) return null;
  if (found > 0) {
    const typed = exactText(candidates[0]!.chunk);
    // Not known to be in no article (the index could not tell cheaply): no correction over results.
    if (!typed || (await ctx.store.search.anyMatch({ ...request, terms: [typed] })) !== false) return null;
  }
  for (const { text, chunk, corrected } of candidates) {
    // With results already, the corrected part itself must be in some article as written, not only its words.
    if (found > 0 && chunk !== candidates[0]!.chunk) continue;
    const exact = exactText(corrected);
    const terms = found > 0 ? (exact ? [exact] : []) : parseQuery(text, synonyms).terms;
    if (terms.length > 0 && (await ctx.store.search.anyMatch({ ...request, terms })) === true) return text;
  }
  return null;
}

export async function searchArticles(ctx: Ctx, input: SearchInput): Promise<SearchResult> {
  const synonyms = await ctx.synonyms.get(ctx.store);
  const query = parseQuery(input.q, synonyms);
  const limit = Math.min(SEARCH_LIMIT.max, Math.max(SEARCH_LIMIT.min, Math.trunc(input.limit ?? SEARCH_LIMIT.default)));
  const offset = input.cursor ? decodeSearchCursor(input.cursor) : 0;
  const { from, to } = dateRange(input.from, input.to, input.timeZone);
  const channelIds = await channelSubtree(ctx, input.channel);

  const empty: SearchResult = { query, hits: [], total: 0, offset, limit, nextCursor: null, partialFrom: null, suggestion: null };
  if (query.terms.length === 0) return empty;
  const request = { channelIds, from, to };
  let found = await ctx.store.search.search({ ...request, terms: query.terms });
  const fallback = found.total === 0 && query.fallback !== undefined;
  if (fallback) found = await ctx.store.search.search({ ...request, terms: query.fallback! });
  const suggestion = await suggest(ctx, query, synonyms, request, found.total, fallback);
  let partialFrom: number | null = null;
  // Fewer than a page hold every word: the page goes on with those that hold most of them (the same list on every
  // page of a query, so offsets stay stable).
  if (found.ids.length < limit) {
    const partial = await partialMatches(ctx.store.search, { ...request, terms: query.terms }, new Set(found.ids), SEARCH_CAPS.candidates - found.ids.length);
    if (partial.length > 0) {
      partialFrom = found.ids.length;
      found = { ids: [...found.ids, ...partial], total: found.total + partial.length };
    }
  }

  const pageIds = found.ids.slice(offset, offset + limit);
  // The index may briefly lag a concurrent unpublish: only published articles are shown.
  // Without their HTML, and the text only as far as a snippet looks: a hit's whole body (up to 2 MB, twice) is not read.
  const articles = (await ctx.store.articles.findMany(pageIds, { openingChars: SNIPPET_SCAN_CHARS })).filter((a) => a.status === 'published');
  const hits = articles.map((article) => ({
    article,
    titleHtml: highlight(article.title, query.highlights),
    snippet:
      snippet(article.bodyText.slice(0, SNIPPET_SCAN_CHARS), query.highlights) ??
      snippet(article.summary, query.highlights) ??
      lead(article.summary || article.bodyText.slice(0, SNIPPET_SCAN_CHARS)),
  }));
  const next = offset + limit;
  return { query, hits, total: found.total, offset, limit, nextCursor: next < found.ids.length ? encodeSearchCursor(next) : null, partialFrom, suggestion };
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
 * Documents for a rebuild or a fill: each batch's fields are worked out in the body worker thread while the store writes
 * the batch before (two cores: one segments, one writes), and used for an article whose texts are still those.
 */
export function documentMaker(): DocumentMaker {
  const ready = new Map<number, PreparedSearchFields>();
  const make: DocumentMaker = (article) => {
    const prepared = ready.get(article.id);
    ready.delete(article.id);
    return searchDocument(article, prepared);
  };
  make.ahead = async (articles) => {
    if (articles.length === 0) return;
    // In as many pieces as the pool has threads, worked on at once.
    const pieces = BODY_THREADS > 1 && articles.length > 1 ? [articles.slice(0, articles.length >> 1), articles.slice(articles.length >> 1)] : [articles];
    const prepared = (await Promise.all(pieces.map(prepareSearchBatch))).flat();
    // Work for articles that left the batch meanwhile (a status change) is not kept past a couple of batches.
    if (ready.size > 4 * articles.length) ready.clear();
    articles.forEach((a, i) => {
      ready.set(a.id, prepared[i]!);
    });
  };
  return make;
}

/**
 * Indexes the articles each index lacks, in batches, while the site serves (jobs/backlog.ts runs it after the server
 * listens); resumable by construction: it asks the index what is missing, so a stopped run loses nothing.
 */
export async function fillSearchIndexes(ctx: Ctx, { signal, progress }: { signal?: AbortSignal; progress?: (indexed: number) => void } = {}): Promise<number> {
  const published = await ctx.store.search.fill(documentMaker(), progress, signal);
  const unpublished = await ctx.store.draftSearch.fill(documentMaker(), (n) => progress?.(published + n), signal);
  return published + unpublished;
}

/** Rebuilds the index from the published articles, the documents made here (inkstone reindex; an empty index at start). */
export function rebuildSearchIndex(ctx: Ctx, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
  return ctx.store.search.rebuild(documentMaker(), progress, from);
}

/**
 * The fields made for the articles this process indexed most recently. The outbox indexes an article after each of
 * its changes, and most changes after the first leave its text as it was (a publish, an unpublish, a move to another
 * channel, a cover): segmenting it again cost ~5 ms of the event loop for 1,500 characters, a tenth of what a create
 * and a publish cost the app. Used only for the very texts they were made of (fieldsFor); a long body is not kept.
 */
const recentlyIndexed = new Map<number, PreparedSearchFields>();
const RECENTLY_INDEXED = 64;
const RECENT_BODY_CHARS = 16_000;

/** Whether this process's last indexing of the article segmented its text as it is now: indexing it again segments nothing. */
export function segmentedRecently(article: Article): boolean {
  return preparedMatches(article, recentlyIndexed.get(article.id));
}

/**
 * Keeps the indexes in step with an article: its document in the public index while it is published, in the draft
 * index otherwise, never in both. Call inside the transaction that changed it (so a status change moves it between
 * them atomically); `prepared` fields (the body worker's) are used only if made of these very texts.
 */
export async function indexArticle(store: Store, article: Article, prepared?: PreparedSearchFields): Promise<void> {
  const fields = fieldsFor(article, prepared ?? recentlyIndexed.get(article.id));
  if (article.bodyText.length <= RECENT_BODY_CHARS) {
    recentlyIndexed.delete(article.id);
    recentlyIndexed.set(article.id, fields);
    if (recentlyIndexed.size > RECENTLY_INDEXED) recentlyIndexed.delete(recentlyIndexed.keys().next().value!);
  }
  const document = searchDocument(article, fields);
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
  return ctx.store.draftSearch.rebuild(documentMaker(), progress, from);
}
