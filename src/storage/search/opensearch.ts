import type { Kysely } from 'kysely';
import type {
  FieldRank,
  DocumentMaker,
  RebuildProgress,
  RebuildReport,
  RebuildStart,
  SearchCandidates,
  SearchDocument,
  SearchIndex,
  SearchMatches,
  SearchRequest,
  Term,
  TermMatches,
  TextTerm,
  WordTerm,
} from '../../domain/search/search-index.ts';
import type { DB } from '../schema.ts';
import { engineRequest, EngineError, unavailable, type EngineEndpoint } from './engine-http.ts';
import { articleBatch, REBUILD_BATCH, SEARCH_CAPS, type IndexScope } from './shared.ts';

/**
 * The search index in an external OpenSearch or Elasticsearch (INKSTONE_SEARCH_URL), over its REST API with plain fetch.
 *
 * The engine indexes the very documents the built-in indexes do (domain/search/document.ts): jieba's words (with the
 * newsroom's dictionary, after OpenCC's normalization) and the character bigrams, per field, as whitespace-separated
 * tokens in `text` fields with the built-in `whitespace` analyzer. So it finds exactly what the built-in index finds
 * — regional vocabulary, synonyms, names jieba does not know, partial matches — and needs no analysis plugin; IK or
 * smartcn would segment differently from the queries, which are segmented here too. What differs is the ranking among
 * matches: BM25 over every match (the built-in ranks the 500 newest by where the words are, ranking.ts), with field
 * boosts 10/6/3/1. One shard, so scores do not depend on how documents fall across shards.
 */

/** Word field, gram field and boost, by FieldRank (title, tags, summary, body). */
const FIELDS = [
  { words: 't', grams: 'gt', boost: 10 },
  { words: 'k', grams: 'gk', boost: 6 },
  { words: 's', grams: 'gs', boost: 3 },
  { words: 'b', grams: 'gb', boost: 1 },
] as const;

/** A single-character prefix (the end of a query's exact text) stands for at most this many bigrams. */
const PREFIX_EXPANSIONS = 500;

/** The engine's bound on from + size (index.max_result_window's default). */
const RESULT_WINDOW = 10_000;

const textField = { type: 'text', analyzer: 'whitespace' } as const;

/** Index settings and mappings, created on first use when the index does not exist (idempotent). */
export const INDEX_BODY = {
  settings: { index: { number_of_shards: 1, max_result_window: RESULT_WINDOW } },
  mappings: {
    dynamic: 'strict',
    properties: {
      articleId: { type: 'long' },
      channelId: { type: 'long' },
      publishedAt: { type: 'long' },
      ...Object.fromEntries(FIELDS.flatMap((f) => [[f.words, textField] as const, [f.grams, textField] as const])),
    },
  },
} as const;

/** The engine's document for an article: each field's tokens joined by spaces (tokens never hold whitespace). */
export function engineDocument(d: SearchDocument): Record<string, string | number> {
  const f = d.fields;
  return {
    articleId: d.articleId,
    channelId: d.channelId,
    publishedAt: d.publishedAt,
    t: f.title.words.join(' '),
    k: f.tags.words.join(' '),
    s: f.summary.words.join(' '),
    b: f.body.words.join(' '),
    gt: f.title.grams.join(' '),
    gk: f.tags.grams.join(' '),
    gs: f.summary.grams.join(' '),
    gb: f.body.grams.join(' '),
  };
}

type Query = Record<string, unknown>;

/**
 * One term as a query: a word is that token in a word field, exact text the phrase of its bigrams in a gram field
 * (the last one a prefix when the text ends in a single character), either in any field, boosted by field. With
 * `named`, each field's clause carries its field letter, so a hit's matched_queries tell where the term is.
 */
export function termQuery(term: Term, named = false): Query {
  const one = (t: WordTerm | TextTerm): Query => ({
    bool: {
      should: FIELDS.map((f) => {
        const name = named ? { _name: f.words } : {};
        if (t.kind === 'word') return { term: { [f.words]: { value: t.token, boost: f.boost, ...name } } };
        const query = t.phrase.grams.join(' ');
        const grams = t.phrase.prefix
          ? { match_phrase_prefix: { [f.grams]: { query, boost: f.boost, max_expansions: PREFIX_EXPANSIONS, ...name } } }
          : { match_phrase: { [f.grams]: { query, boost: f.boost, ...name } } };
        if (!t.words) return grams;
        // Bodies keep grams only where jieba knows no word: there the text is its words in a row, with the parts
        // search mode puts before a long word between them (the slop).
        const slop = t.words.reduce((n, w, i) => n + (i === 0 ? 0 : w.gap - 1), 0);
        const words = { match_phrase: { [f.words]: { query: t.words.map((w) => w.token).join(' '), slop, boost: f.boost, ...name } } };
        return { bool: { should: [grams, words], minimum_should_match: 1 } };
      }),
      minimum_should_match: 1,
    },
  });
  return term.kind === 'any' ? { bool: { should: term.of.map(one), minimum_should_match: 1 } } : one(term);
}

/** The request's channels and dates as filters (no effect on scores). */
export function filters(request: SearchRequest): Query[] {
  const out: Query[] = [];
  if (request.channelIds) out.push({ terms: { channelId: request.channelIds } });
  if (request.from !== undefined || request.to !== undefined) {
    out.push({
      range: { publishedAt: { ...(request.from !== undefined ? { gte: request.from } : {}), ...(request.to !== undefined ? { lt: request.to } : {}) } },
    });
  }
  return out;
}

const NEWEST_FIRST = [{ publishedAt: 'desc' }, { articleId: 'desc' }];

/** The body of a search for every term (relevance, then newer, then higher id), the candidates and a bounded count. */
export function searchBody(request: SearchRequest): Query {
  return {
    size: SEARCH_CAPS.candidates,
    track_total_hits: SEARCH_CAPS.total,
    _source: false,
    query: { bool: { must: request.terms.map((t) => termQuery(t)), filter: filters(request) } },
    sort: [{ _score: 'desc' }, ...NEWEST_FIRST],
  };
}

/** One term's newest `cap` matches with the fields it is in (named clauses), and its count up to SEARCH_CAPS.termCount. */
export function termMatchesBody(request: SearchRequest, term: Term, cap: number): Query {
  return {
    size: Math.min(cap, RESULT_WINDOW),
    track_total_hits: SEARCH_CAPS.termCount,
    _source: false,
    query: { bool: { must: [termQuery(term, true)], filter: filters(request) } },
    sort: NEWEST_FIRST,
  };
}

export function matchingBody(request: SearchRequest, cap: number): Query {
  return {
    size: Math.min(cap + 1, RESULT_WINDOW),
    track_total_hits: false,
    _source: false,
    query: { bool: { must: request.terms.map((t) => termQuery(t)), filter: filters(request) } },
    sort: NEWEST_FIRST,
  };
}

/** What the adapter reads of a search answer (see the engines' Search API). */
export interface SearchAnswer {
  hits: {
    total?: { value: number; relation: string } | number;
    hits: { _id: string; sort?: unknown[]; matched_queries?: string[] | Record<string, number> }[];
  };
}

function hitsOf(body: unknown): SearchAnswer['hits'] {
  const hits = (body as Partial<SearchAnswer> | undefined)?.hits;
  if (!hits || !Array.isArray(hits.hits)) throw unavailable(new EngineError('a search answer without hits'));
  return hits;
}

const totalOf = (hits: SearchAnswer['hits']) => (typeof hits.total === 'number' ? hits.total : (hits.total?.value ?? hits.hits.length));

export function candidatesFrom(body: unknown): SearchCandidates {
  const hits = hitsOf(body);
  return { ids: hits.hits.map((h) => Number(h._id)), total: Math.min(SEARCH_CAPS.total, totalOf(hits)) };
}

/** A hit's best field from its matched named clauses (a list; Elasticsearch 8.8+ with include_named_queries_score a map). */
export function bestField(matched: string[] | Record<string, number> | undefined): FieldRank {
  const names = Array.isArray(matched) ? matched : Object.keys(matched ?? {});
  const ranks = names.map((n) => FIELDS.findIndex((f) => f.words === n)).filter((r) => r >= 0);
  return (ranks.length ? Math.min(...ranks) : 3) as FieldRank;
}

export function termMatchesFrom(body: unknown): TermMatches {
  const hits = hitsOf(body);
  return {
    hits: hits.hits.map((h) => ({ id: Number(h._id), at: Number(h.sort?.[0] ?? 0), field: bestField(h.matched_queries) })),
    count: Math.min(SEARCH_CAPS.termCount, totalOf(hits)),
  };
}

export function matchesFrom(body: unknown, cap: number): SearchMatches {
  const ids = hitsOf(body).hits.map((h) => Number(h._id));
  return { ids: ids.slice(0, cap), capped: ids.length > cap };
}

/** A _bulk answer: items failed other than as `allowed` (a create of a document that exists) are an error. */
export function checkBulk(body: unknown, allowed: number[] = []): void {
  const b = body as { errors?: boolean; items?: Record<string, { status: number; error?: { type?: string; reason?: string } }>[] } | undefined;
  if (!b || !Array.isArray(b.items)) throw unavailable(new EngineError('a _bulk answer without items'));
  if (!b.errors) return;
  for (const item of b.items) {
    const result = Object.values(item)[0];
    if (result && result.status >= 300 && !allowed.includes(result.status)) {
      throw unavailable(new EngineError(`_bulk: ${result.status} ${result.error?.type ?? ''}: ${result.error?.reason ?? ''}`.slice(0, 300), result.status));
    }
  }
}

/** NDJSON for _bulk: an action line, and the document for index and create. */
export function bulkBody(actions: ({ op: 'index' | 'create'; document: SearchDocument } | { op: 'delete'; id: number })[]): string {
  const lines: string[] = [];
  for (const a of actions) {
    if (a.op === 'delete') lines.push(JSON.stringify({ delete: { _id: String(a.id) } }));
    else lines.push(JSON.stringify({ [a.op]: { _id: String(a.document.articleId) } }), JSON.stringify(engineDocument(a.document)));
  }
  return `${lines.join('\n')}\n`;
}

/** Writes and batches get longer than a query; still bounded. */
const WRITE_TIMEOUT_MS = 30_000;
/** Documents of the engine compared with the database per page when a rebuild looks for stale ones. */
const SCAN_PAGE = 1_000;

export class OpenSearchIndex implements SearchIndex {
  readonly external = true;
  private readonly path: string;
  private readonly writes: EngineEndpoint;
  private created: Promise<void> | undefined;

  constructor(
    private readonly endpoint: EngineEndpoint,
    /** The engine's index name. */
    readonly name: string,
    private readonly db: Kysely<DB>,
    private readonly scope: IndexScope,
  ) {
    this.path = `/${encodeURIComponent(name)}`;
    this.writes = { ...endpoint, timeoutMs: Math.max(endpoint.timeoutMs, WRITE_TIMEOUT_MS) };
  }

  /** Creates the index with its settings and mappings unless it exists (once per process; again after a failure). */
  ready(): Promise<void> {
    this.created ??= this.create().catch((err: unknown) => {
      this.created = undefined;
      throw err;
    });
    return this.created;
  }

  private async create(): Promise<void> {
    const head = await engineRequest(this.endpoint, 'HEAD', this.path, undefined, { ok: [404] });
    if (head.status !== 404) return;
    const made = await engineRequest(this.writes, 'PUT', this.path, INDEX_BODY, { ok: [400] });
    // Another process created it meanwhile: fine. Any other refusal is a failure.
    const type = (made.body as { error?: { type?: string } } | undefined)?.error?.type;
    if (made.status === 400 && type !== 'resource_already_exists_exception') throw unavailable(new EngineError(`PUT ${this.path}: 400 ${type ?? ''}`, 400));
  }

  private async query(body: Query): Promise<unknown> {
    await this.ready();
    return (await engineRequest(this.endpoint, 'POST', `${this.path}/_search`, body)).body;
  }

  private async bulk(ndjson: string, { refresh, allowed = [] }: { refresh: boolean; allowed?: number[] }): Promise<void> {
    await this.ready();
    const res = await engineRequest(this.writes, 'POST', `${this.path}/_bulk${refresh ? '?refresh=true' : ''}`, ndjson, { ndjson: true });
    checkBulk(res.body, allowed);
  }

  async put(document: SearchDocument): Promise<void> {
    await this.ready();
    // Searchable when this returns, as the built-in index is after its commit: refresh=true refreshes the shard now
    // (wait_for would wait for the next scheduled refresh, which a search-idle shard skips). A newsroom writes a few
    // articles a second at most; the segments this makes are merged by the engine.
    await engineRequest(this.writes, 'PUT', `${this.path}/_doc/${document.articleId}?refresh=true`, engineDocument(document));
  }

  async putMany(documents: readonly SearchDocument[]): Promise<void> {
    if (documents.length === 0) return;
    await this.bulk(bulkBody(documents.map((document) => ({ op: 'index', document }))), { refresh: true });
  }

  async remove(articleId: number): Promise<void> {
    await this.ready();
    await engineRequest(this.writes, 'DELETE', `${this.path}/_doc/${articleId}?refresh=true`, undefined, { ok: [404] });
  }

  /** The engine merges its segments itself. */
  async settle(): Promise<void> {}

  async search(request: SearchRequest): Promise<SearchCandidates> {
    if (request.terms.length === 0) return { ids: [], total: 0 };
    return candidatesFrom(await this.query(searchBody(request)));
  }

  /** `known` is not used: the engine counts a term's matches with its hits (track_total_hits), at no extra request. */
  async termMatches(request: SearchRequest, cap: number): Promise<TermMatches[]> {
    if (request.terms.length === 0) return [];
    await this.ready();
    // One round trip for every term: _msearch, a header line and a body per search.
    const ndjson = `${request.terms.flatMap((t) => ['{}', JSON.stringify(termMatchesBody(request, t, cap))]).join('\n')}\n`;
    const res = await engineRequest(this.endpoint, 'POST', `${this.path}/_msearch`, ndjson, { ndjson: true });
    const responses = (res.body as { responses?: unknown[] } | undefined)?.responses;
    if (!Array.isArray(responses) || responses.length !== request.terms.length) throw unavailable(new EngineError('an _msearch answer without its responses'));
    return responses.map((r) => {
      const error = (r as { error?: { type?: string } }).error;
      if (error) throw unavailable(new EngineError(`_msearch: ${error.type ?? 'error'}`));
      return termMatchesFrom(r);
    });
  }

  async anyMatch(request: SearchRequest): Promise<boolean> {
    return (await this.matching(request, 1)).ids.length > 0;
  }

  async matching(request: SearchRequest, cap: number): Promise<SearchMatches> {
    if (request.terms.length === 0) return { ids: [], capped: false };
    return matchesFrom(await this.query(matchingBody(request, cap)), cap);
  }

  async rebuild(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
    let indexed = 0;
    let after = from?.afterId ?? 0;
    for (;;) {
      const batch = await articleBatch(this.db, this.scope, after, REBUILD_BATCH, false);
      if (batch.length === 0) break;
      await this.bulk(bulkBody(batch.map((a) => ({ op: 'index', document: document(a) }))), { refresh: false });
      indexed += batch.length;
      after = batch[batch.length - 1]!.id;
      progress?.(indexed, after);
    }
    const removed = await this.removeStale();
    await engineRequest(this.writes, 'POST', `${this.path}/_refresh`);
    return { indexed, removed };
  }

  /** Documents of articles gone, or no longer of this index's scope: every id in the engine checked against the database. */
  private async removeStale(): Promise<number> {
    let removed = 0;
    let last = 0;
    for (;;) {
      const body = await this.query({
        size: SCAN_PAGE,
        track_total_hits: false,
        _source: false,
        query: { range: { articleId: { gt: last } } },
        sort: [{ articleId: 'asc' }],
      });
      const ids = hitsOf(body).hits.map((h) => Number(h._id));
      if (ids.length === 0) return removed;
      last = ids[ids.length - 1]!;
      const keep = new Set(
        (
          await this.db
            .selectFrom('articles')
            .select('id')
            .where('id', 'in', ids)
            // As a rebuild's batches read them: the draft index keeps a deleted article (for an undelete).
            .where('status', this.scope === 'published' ? '=' : '<>', 'published')
            .execute()
        ).map((r) => r.id),
      );
      const stale = ids.filter((id) => !keep.has(id));
      if (stale.length > 0) await this.bulk(bulkBody(stale.map((id) => ({ op: 'delete', id }))), { refresh: false });
      removed += stale.length;
    }
  }

  async fill(document: DocumentMaker, progress?: (indexed: number) => void, signal?: AbortSignal): Promise<number> {
    let indexed = 0;
    let after = 0;
    while (!signal?.aborted) {
      const batch = await articleBatch(this.db, this.scope, after, REBUILD_BATCH, false);
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.id;
      const present = new Set(
        hitsOf(
          await this.query({ size: batch.length, track_total_hits: false, _source: false, query: { ids: { values: batch.map((a) => String(a.id)) } } }),
        ).hits.map((h) => Number(h._id)),
      );
      const missing = batch.filter((a) => !present.has(a.id));
      if (missing.length === 0) continue;
      // `create`: a document the outbox wrote meanwhile is newer, and stays (409 for it is no failure).
      await this.bulk(bulkBody(missing.map((a) => ({ op: 'create', document: document(a) }))), { refresh: false, allowed: [409] });
      indexed += missing.length;
      progress?.(indexed);
    }
    if (indexed > 0) await engineRequest(this.writes, 'POST', `${this.path}/_refresh`);
    return indexed;
  }

  async count(): Promise<number> {
    await this.ready();
    const res = await engineRequest(this.endpoint, 'GET', `${this.path}/_count`);
    return Number((res.body as { count?: number } | undefined)?.count ?? 0);
  }

  async isEmpty(): Promise<boolean> {
    return (await this.count()) === 0;
  }

  async stats(): Promise<{ documents: number; bytes: number }> {
    await this.ready();
    const res = await engineRequest(this.endpoint, 'GET', `${this.path}/_stats/docs,store`);
    const primaries = (res.body as { _all?: { primaries?: { docs?: { count?: number }; store?: { size_in_bytes?: number } } } } | undefined)?._all?.primaries;
    return { documents: Number(primaries?.docs?.count ?? 0), bytes: Number(primaries?.store?.size_in_bytes ?? 0) };
  }
}
