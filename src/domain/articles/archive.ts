import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import { can } from '../policy.ts';
import { parseQuery, type ParsedQuery } from '../search/query.ts';
import { SEARCH_CAPS, type SearchRequest, type Term } from '../search/search-index.ts';
import { channelSubtree, dateRange } from '../search/service.ts';
import { highlight } from '../search/snippet.ts';
import { ARCHIVE_SORTS, type ArchivePosition, type ArchiveQuery, type ArchiveSort, type Article } from './article.ts';
import { ARTICLE_STATUSES, type ArticleStatus } from './status.ts';

/**
 * 稿件库, the newsroom's archive: every article the caller may read, filtered, sorted by a time (or by relevance to
 * keywords) and paged by an opaque keyset cursor, so edits between pages never repeat or skip an article.
 *
 * Keywords use the readers' search (the same query parsing and documents) over two indexes kept in the same
 * transactions: the public one (published articles) and the draft index (all others). Each gives at most
 * ARCHIVE_MATCH_CAP matches, its newest; the filters and the sort then run in the database on those. A search with more
 * matches says so (`capped`), and the newsroom asks for a narrower one: nothing is dropped without a word.
 */

export const ARCHIVE_LIMIT = { min: 1, max: 100, default: 30 };

/** Matches taken from each index for a keyword search sorted by time: the newest of them. */
export const ARCHIVE_MATCH_CAP = 5_000;

export type ArchiveOrder = ArchiveSort | 'relevance';

export interface ArchiveInput {
  q?: string;
  /** One or several statuses; each value may list several, comma-separated. */
  status?: readonly string[];
  /** Only the caller's own articles. */
  mine?: boolean;
  /** A channel path; its subchannels too. */
  channel?: string;
  /** A username. */
  author?: string;
  /** A day (`YYYY-MM-DD` in the site's time zone) or an ISO 8601 time, on the sort's time (publication time for relevance). */
  from?: string;
  to?: string;
  hasImage?: boolean;
  /** `updated` (default), `published`, `created`, or `relevance` with keywords. */
  sort?: string;
  cursor?: string;
  limit?: number;
  /** Legacy id paging: only articles with a lower id. */
  before?: number;
  timeZone: string;
}

export interface ArchiveHit {
  article: Article;
  /** The title, escaped, with the matched words in <mark> (plain escaped text without keywords). */
  titleHtml: string;
}

export interface ArchivePage {
  hits: ArchiveHit[];
  next: string | null;
  /** With keywords: how many articles match them and the filters (counted among the matches taken). */
  total?: number;
  /** With keywords: an index had more matches than were taken (its newest ARCHIVE_MATCH_CAP, or the best-ranked SEARCH_CAPS.candidates). */
  capped: boolean;
  query?: ParsedQuery;
}

const SORT_KEY: Record<ArchiveOrder, string> = { updated: 'u', published: 'p', created: 'c', relevance: 'r' };

/** Cursors name the sort they belong to and the last article seen: (time or score, id). Opaque to clients. */
export function encodeArchiveCursor(sort: ArchiveOrder, at: number | null, id: number): string {
  const key = at === null ? 'n' : sort === 'relevance' ? at.toString() : at.toString(36);
  return Buffer.from(`${SORT_KEY[sort]}:${key}:${id.toString(36)}`).toString('base64url');
}

export function decodeArchiveCursor(cursor: string, sort: ArchiveOrder): ArchivePosition {
  const bad = invalid('cursor is not one this server gave out for this sort', 'cursor', 'invalid_cursor');
  if (cursor.length > 96 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad;
  const m = /^([upcr]):([^:]{1,40}):([0-9a-z]{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m || m[1] !== SORT_KEY[sort]) throw bad;
  const id = parseInt(m[3]!, 36);
  let at: number | null;
  if (m[2] === 'n') at = null;
  else if (sort === 'relevance') at = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/.test(m[2]!) ? Number(m[2]) : NaN;
  else at = /^[0-9a-z]{1,12}$/.test(m[2]!) ? parseInt(m[2]!, 36) : NaN;
  if (!Number.isSafeInteger(id) || (at !== null && !Number.isFinite(at))) throw bad;
  // Only the published sort has articles without its time.
  if (at === null && sort !== 'published') throw bad;
  return { at, id };
}

function statuses(values: readonly string[] | undefined): ArticleStatus[] | undefined {
  if (values === undefined) return undefined;
  const out = new Set<ArticleStatus>();
  for (const v of values.flatMap((s) => s.split(','))) {
    const s = v.trim();
    if (s === '') continue;
    if (!(ARTICLE_STATUSES as readonly string[]).includes(s)) throw invalid(`status must be among ${ARTICLE_STATUSES.join(', ')}`, 'status', 'invalid_status');
    out.add(s as ArticleStatus);
  }
  return out.size ? [...out] : undefined;
}

function order(sort: string | undefined, hasKeywords: boolean): ArchiveOrder {
  if (sort === undefined || sort === '') return 'updated';
  if (sort === 'relevance') {
    if (!hasKeywords) throw invalid('sort=relevance needs keywords (q)', 'sort', 'invalid_sort');
    return 'relevance';
  }
  if (!(ARCHIVE_SORTS as readonly string[]).includes(sort))
    throw invalid(`sort must be one of ${[...ARCHIVE_SORTS, 'relevance'].join(', ')}`, 'sort', 'invalid_sort');
  return sort as ArchiveSort;
}

/**
 * One page of the archive for an actor. Who sees what is decided here: editors and admins every article, reporters
 * their own of any status and everyone's published ones (the policy's article.read, as a filter).
 */
export async function listArchive(ctx: Ctx, actor: Actor, input: ArchiveInput): Promise<ArchivePage> {
  const query = input.q !== undefined && input.q.trim() !== '' ? parseQuery(input.q, await ctx.synonyms.get(ctx.store)) : undefined;
  const sort = order(input.sort, query !== undefined);
  const limit = Math.min(ARCHIVE_LIMIT.max, Math.max(ARCHIVE_LIMIT.min, Math.trunc(input.limit ?? ARCHIVE_LIMIT.default)));
  const after = input.cursor ? decodeArchiveCursor(input.cursor, sort) : undefined;
  const { from, to } = dateRange(input.from, input.to, input.timeZone);
  const channelIds = await channelSubtree(ctx, input.channel);
  let authorId: number | undefined;
  if (input.author !== undefined && input.author.trim() !== '') {
    const author = await ctx.store.accounts.findByUsername(input.author.trim());
    if (!author) throw invalid(`No account named "${input.author.trim()}"`, 'author', 'unknown_author');
    authorId = author.id;
  }
  if (input.mine === true) {
    if (authorId !== undefined && authorId !== actor.id) return { hits: [], next: null, capped: false, ...(query ? { query, total: 0 } : {}) };
    authorId = actor.id;
  }

  const filter: Omit<ArchiveQuery, 'after' | 'limit'> = {
    // Relevance pages filter dates on the publication time, as the readers' search does.
    sort: sort === 'relevance' ? 'published' : sort,
    statuses: statuses(input.status),
    channelIds,
    authorId,
    ownOrPublishedOf: can(actor, 'article.list_all') ? undefined : actor.id,
    from,
    to,
    hasImage: input.hasImage,
    beforeId: input.before,
  };

  const load = async (ids: number[]) => {
    // Lists never show bodies: they are not read (see archiveItem).
    const articles = await ctx.store.articles.findMany(ids, { bodies: false });
    return articles.map((article) => ({ article, titleHtml: highlight(article.title, query?.highlights ?? []) }));
  };

  if (!query) {
    const rows = await ctx.store.articles.archivePage({ ...filter, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { hits: await load(page.map((r) => r.id)), next: rows.length > limit && last ? encodeArchiveCursor(sort, last.at, last.id) : null, capped: false };
  }

  if (query.terms.length === 0) return { hits: [], next: null, total: 0, capped: false, query };
  // Which indexes can hold a match: a status filter without `published` needs no public index, and the reverse.
  const wantPublished = !filter.statuses || filter.statuses.includes('published');
  const wantOthers = !filter.statuses || filter.statuses.some((s) => s !== 'published');
  const request = (terms: Term[], index: 'public' | 'drafts'): SearchRequest => ({
    terms,
    channelIds,
    // The public index is keyed by publication time: a range on it is answered by the index.
    ...(index === 'public' && filter.sort === 'published' ? { from, to } : {}),
  });

  if (sort === 'relevance') {
    const search = async (terms: Term[]) => {
      const [pub, drafts] = await Promise.all([
        wantPublished ? ctx.store.search.search(request(terms, 'public')) : { ids: [], total: 0 },
        wantOthers ? ctx.store.draftSearch.search(request(terms, 'drafts')) : { ids: [], total: 0 },
      ]);
      return { pub, drafts };
    };
    let found = await search(query.terms);
    if (found.pub.total + found.drafts.total === 0 && query.fallback) found = await search(query.fallback);
    // Both lists are best first; each is scored by its own index, so the merge interleaves them by rank.
    const score = new Map<number, number>();
    for (const list of [found.pub.ids, found.drafts.ids]) {
      for (const [rank, id] of list.entries()) score.set(id, Math.max(score.get(id) ?? 0, 1 - rank / SEARCH_CAPS.candidates));
    }
    const passing = await ctx.store.articles.archiveFilter({ ...filter, ids: [...score.keys()] });
    const ranked = passing.map((id) => ({ id, at: score.get(id)! })).sort((a, b) => b.at - a.at || b.id - a.id);
    const start = after ? ranked.filter((r) => r.at < after.at! || (r.at === after.at && r.id < after.id)) : ranked;
    const page = start.slice(0, limit);
    const last = page[page.length - 1];
    return {
      hits: await load(page.map((r) => r.id)),
      next: start.length > limit && last ? encodeArchiveCursor('relevance', last.at, last.id) : null,
      total: ranked.length,
      capped: found.pub.total > found.pub.ids.length || found.drafts.total > found.drafts.ids.length,
      query,
    };
  }

  const match = async (terms: Term[]) => {
    const [pub, drafts] = await Promise.all([
      wantPublished ? ctx.store.search.matching(request(terms, 'public'), ARCHIVE_MATCH_CAP) : { ids: [], capped: false },
      wantOthers ? ctx.store.draftSearch.matching(request(terms, 'drafts'), ARCHIVE_MATCH_CAP) : { ids: [], capped: false },
    ]);
    return { ids: [...pub.ids, ...drafts.ids], capped: pub.capped || drafts.capped };
  };
  let found = await match(query.terms);
  if (found.ids.length === 0 && query.fallback) found = await match(query.fallback);
  const matched = { ...filter, ids: found.ids };
  const [rows, passing] = await Promise.all([
    found.ids.length ? ctx.store.articles.archivePage({ ...matched, after, limit: limit + 1 }) : [],
    // The total is counted on the first page only; the next pages keep it from there.
    after === undefined && found.ids.length ? ctx.store.articles.archiveFilter(matched) : undefined,
  ]);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    hits: await load(page.map((r) => r.id)),
    next: rows.length > limit && last ? encodeArchiveCursor(sort, last.at, last.id) : null,
    ...(passing !== undefined || found.ids.length === 0 ? { total: passing?.length ?? 0 } : {}),
    capped: found.capped,
    query,
  };
}
