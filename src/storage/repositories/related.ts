import { writeBehind } from '../write-behind.ts';
import { sql, type Kysely } from 'kysely';
import type {
  BatchScoring,
  Candidate,
  RelatedDocument,
  RelatedItem,
  RelatedPick,
  ScoredItem,
  PickMode,
  StaleList,
} from '../../domain/articles/related-reading.ts';
import { freshPostings, type KeptPostings } from '../../domain/articles/kept-postings.ts';
import { findCandidates, kthLargestOf, POSTINGS, postingsDepth } from '../../domain/articles/related-candidates.ts';
import type { Dialect } from '../migrations/index.ts';
import { type ApartSource, findInWorker, scanApart, sqliteFileOf } from '../related-finder.ts';
import { scoringThread } from '../related-scoring.ts';
import type { DB } from '../schema.ts';
import { prepared } from '../prepared.ts';
import type * as Port from '../../domain/store.ts';

/**
 * PostgreSQL: the rows of a narrow table as one parameter per column, spread by unnest() (as the importer writes), so a
 * batch of thousands of rows is one statement.
 */
function unnested(columns: readonly (readonly [name: string, type: string])[], rows: readonly (readonly unknown[])[]) {
  const arrays = columns.map((_, c) => rows.map((r) => r[c]));
  return sql`select * from unnest(${sql.join(columns.map(([, type], c) => sql`${arrays[c]}::${sql.raw(type)}[]`))}) as r(${sql.join(columns.map(([name]) => sql.ref(name)))})`;
}

/**
 * An article's kept vector (JSON `[["term",weight],…]`, as saveDocuments writes it) dotted with a query's weights, and
 * how many terms they share. Read in place, without JSON.parse's arrays: a publish scores 400 vectors, and on
 * PostgreSQL on the event loop (3.3 → 1.2 ms for 400 forty-term vectors, and none of the garbage). A vector whose terms
 * hold an escape (a quote or backslash, which terms never have today) is parsed whole.
 */
export function dotWithVector(json: string, weightOf: ReadonlyMap<string, number>): { similarity: number; shared: number } {
  let similarity = 0;
  let shared = 0;
  if (json.includes('\\')) {
    for (const [term, weight] of JSON.parse(json) as [string, number][]) {
      const w = weightOf.get(term);
      if (w === undefined) continue;
      similarity += weight * w;
      shared++;
    }
    return { similarity, shared };
  }
  // Each entry is `["term",weight]`: no escapes, so the term ends at the next quote and the weight at the next `]`.
  for (let at = json.indexOf('["'); at >= 0; at = json.indexOf('["', at)) {
    const close = json.indexOf('",', at + 2);
    const end = json.indexOf(']', close + 2);
    if (close < 0 || end < 0) break;
    const w = weightOf.get(json.slice(at + 2, close));
    if (w !== undefined) {
      similarity += Number(json.slice(close + 2, end)) * w;
      shared++;
    }
    at = end + 1;
  }
  return { similarity, shared };
}

/** Ids per IN list of the bulk statements, and rows per multi-row INSERT on SQLite (3 columns each, well under its variable limit). */
const IDS_PER_STATEMENT = 1_000;
const ROWS_PER_INSERT = 2_000;
/**
 * Postings per statement of a bulk read: SQLite runs it on the event loop (tens of milliseconds at most, so readers
 * get a turn between two), and at most 100 terms (SQLite's compound SELECT allows 500).
 */
const POSTINGS_PER_STATEMENT = 40_000;
const TERMS_PER_STATEMENT = 100;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Tables of the related-reading migration (2026-11-29T0400). */
export type RelatedTables = {
  related_terms: { term: string; article_id: number; weight: number };
  related_fingerprints: {
    article_id: number;
    source_hash: string;
    signature: string;
    shingles: number;
    updated_at: number;
    /** The article's term vector, JSON `[[term, weight], …]` (2026-12-06T0100); null until filled for older rows. */
    terms: string | null;
    /** The article's revision its own list was made from (2026-12-09T0200); null before, and once withdrawn. */
    items_revision: number | null;
  };
  related_buckets: { bucket: string; article_id: number };
  related_items: { article_id: number; related_id: number; score: number };
  related_picks: { article_id: number; related_id: number; mode: string; position: number; account_id: number | null; created_at: number };
  /** Each article's list as its page shows it (2026-12-08T0100): JSON `[[id, title, publishedAt, pinned (0/1)], …]`, null to be made again. */
  related_lists: { article_id: number; items: string | null; stamp: number };
};

/** Postings read per publish and how many of the best by them are scored exactly (see similarPublished). */
const RESCORED = POSTINGS.rescored;
/** Postings of one term counted exactly for its document frequency, and the ids counted for the documents (see documentFrequencies). */
const COUNTED_POSTINGS = 400;
const DENSITY_SPAN = 5_000;
/** From this archive size on, SQLite reads related candidates in the reader thread (see candidatesApart). */
const APART_FROM = 5_000;

/**
 * A posting read for a shortlist as one integer: article_id × 2^21 + its weight in 2^21 − 1 steps (a weight is a
 * component of a unit vector, in [0, 1]; exact below 2^53, so for any id under 2^32). The steps (5 × 10^-7) only
 * order the shortlist, whose members are then scored exactly from their vectors.
 */
const PACKED = { idFactor: 2_097_152, weightSteps: 2_097_151 };
const COMMA = 44;
const ZERO = 48;

/**
 * Running sums of one shortlist by article id, kept from call to call (a thread makes one at a time, synchronously):
 * NaN where no posting was summed, so a sum of 0 is still a candidate; reset after each. 4 bytes an article id.
 */
export class ShortlistSums {
  private sums = new Float32Array(0);
  private touched = new Int32Array(1 << 16);
  private count = 0;
  private values = new Float64Array(1 << 16);

  add(id: number, s: number): void {
    if (id >= this.sums.length) {
      const grown = new Float32Array(Math.max(id + 1, Math.ceil(this.sums.length * 1.5))).fill(Number.NaN);
      grown.set(this.sums);
      this.sums = grown;
    }
    const sum = this.sums[id]!;
    if (!Number.isNaN(sum)) {
      this.sums[id] = sum + s;
      return;
    }
    this.sums[id] = s;
    if (this.count === this.touched.length) {
      const grown = new Int32Array(this.touched.length * 2);
      grown.set(this.touched);
      this.touched = grown;
    }
    this.touched[this.count++] = id;
  }

  /** The `limit` ids with the highest sums (ties: the newer id first), best first; and the sums cleared. */
  best(limit: number): number[] {
    const { sums, touched, count } = this;
    if (this.values.length < count) this.values = new Float64Array(count * 2);
    const values = this.values.subarray(0, count);
    for (let i = 0; i < count; i++) values[i] = sums[touched[i]!]!;
    // The limit-th largest sum, in linear time (sorting the ~36,000 sums of a publish at 300,000 articles took ~2 ms).
    const threshold = count > limit ? kthLargestOf(values, limit) : Number.NEGATIVE_INFINITY;
    const found: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = touched[i]!;
      if (sums[id]! >= threshold) found.push(id);
    }
    found.sort((a, b) => sums[b]! - sums[a]! || b - a);
    for (let i = 0; i < count; i++) sums[touched[i]!] = Number.NaN;
    this.count = 0;
    return found.length > limit ? found.slice(0, limit) : found;
  }
}
const shortlistSums = new ShortlistSums();

/**
 * Packed lists as read (a row per term: `i`, from `first`, its place in `terms`; see PACKED) as each term's postings,
 * their weights in the packing's steps. Digit by digit: a slice and Number() for each of ~40,000 postings was twice the
 * time.
 */
function unpacked(
  rows: readonly { i: number | string; p: string | null }[],
  first: number,
  terms: readonly (readonly [string, number])[],
  allocate: (n: number) => Port.Postings,
): Map<string, Port.Postings> {
  const out = new Map<string, Port.Postings>();
  for (const { i, p } of rows) {
    if (p === null) continue;
    let n = 1;
    for (let k = 0; k < p.length; k++) if (p.charCodeAt(k) === COMMA) n++;
    const { ids, weights } = allocate(n);
    let packed = 0;
    let m = 0;
    for (let k = 0, len = p.length; k <= len; k++) {
      const c = k < len ? p.charCodeAt(k) : COMMA;
      if (c !== COMMA) {
        packed = packed * 10 + (c - ZERO);
        continue;
      }
      const id = Math.floor(packed / PACKED.idFactor);
      ids[m] = id;
      weights[m++] = (packed - id * PACKED.idFactor) / PACKED.weightSteps;
      packed = 0;
    }
    out.set(terms[Number(i) - first]![0], { ids, weights });
  }
  return out;
}

/**
 * The RESCORED best of a query's terms' postings, each posting's weight times its term's, summed by article (the
 * query's own article left out). Synchronous: the sums are this thread's, and clean again when it returns.
 */
function bestOfPostings(lists: ReadonlyMap<string, Port.Postings>, articleId: number, terms: readonly [string, number][]): number[] {
  const sums = shortlistSums;
  for (const [term, w] of terms) {
    const p = lists.get(term);
    if (!p) continue;
    const { ids, weights } = p;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (id !== articleId) sums.add(id, weights[k]! * w);
    }
  }
  return sums.best(RESCORED);
}

/** The write path's small reads of one article's analysis, prepared (parsed and planned once per connection). */
const sourceHashOf = prepared((db: Kysely<DB & RelatedTables>, articleId: number) =>
  db.selectFrom('related_fingerprints').select('source_hash').where('article_id', '=', articleId),
);
const itemsRevisionOf = prepared((db: Kysely<DB & RelatedTables>, articleId: number) =>
  db.selectFrom('related_fingerprints').select('items_revision').where('article_id', '=', articleId),
);
const termsOf = prepared((db: Kysely<DB & RelatedTables>, articleId: number) =>
  db.selectFrom('related_terms').select(['term', 'weight']).where('article_id', '=', articleId),
);
const refreshLock = prepared((_db: Kysely<DB & RelatedTables>) => sql`select pg_advisory_xact_lock(${REFRESH_LOCK})`);
/** What an article page reads of its related reading, prepared (see prepared.ts). */
const itemsOf = prepared(
  (db: Kysely<DB & RelatedTables>, articleId: number) =>
    db.selectFrom('related_items').select(['related_id', 'score']).where('article_id', '=', articleId).orderBy('score', 'desc').orderBy('related_id', 'desc'),
  { batched: true },
);
const listOf = prepared(
  (db: Kysely<DB & RelatedTables>, articleId: number) => db.selectFrom('related_lists').select('items').where('article_id', '=', articleId),
  { batched: true },
);
const picksOf = prepared(
  (db: Kysely<DB & RelatedTables>, articleId: number) =>
    db.selectFrom('related_picks').select(['related_id', 'mode']).where('article_id', '=', articleId).orderBy('position'),
  { batched: true },
);

/**
 * PostgreSQL's reads of a publish's candidates (see similarPublished), each one named statement with array parameters:
 * a row per term (its position in the query), its cut list packed as on SQLite (see PACKED; floor() truncates as
 * SQLite's cast does, so both stores sum the same numbers).
 */
const postingsShortlist = prepared(
  (_db: Kysely<DB & RelatedTables>, terms: readonly string[], depths: readonly number[]) =>
    sql<{ i: number; p: string | null }>`select q.i, (select string_agg((article_id::int8 * ${sql.lit(PACKED.idFactor)} +
      floor(least(greatest(weight, 0), 1) * ${sql.lit(PACKED.weightSteps)})::int8)::text, ',') from (select article_id, weight
      from related_terms where term = q.t order by weight desc limit q.d) x) as p
    from unnest(${terms}::text[], ${depths}::int4[]) with ordinality q(t, d, i)`,
);
const vectorsOf = prepared(
  (_db: Kysely<DB & RelatedTables>, ids: readonly number[]) =>
    sql<{ article_id: number; terms: string | null }>`select article_id, terms from related_fingerprints where article_id = any(${ids}::int4[])`,
);
const publishedOf = prepared(
  (_db: Kysely<DB & RelatedTables>, ids: readonly number[]) =>
    sql<{ id: number; channel_id: number; published_at: number | null }>`select id, channel_id, published_at from articles
    where status = 'published' and id = any(${ids}::int4[])`,
);

/**
 * In how many analysed articles a term is, from its newest postings (at most COUNTED_POSTINGS: `n` of them, from id
 * `oldest` to `newest`): exact below the cap, else its density over those ids spread over the archive's range. A range
 * remembered from minutes ago may end before the term's newest postings (an import since): the range is then read as
 * reaching them, so a term found only in new articles is not taken to be in every article.
 */
export function termDocuments(n: number, oldest: number, newest: number, range: Port.AnalysedRange): number {
  if (n < COUNTED_POSTINGS) return Math.min(range.documents, n);
  const top = Math.max(range.last, newest);
  return Math.min(range.documents, Math.round((n * (top - range.first + 1)) / Math.max(1, top - oldest + 1)));
}

/** Any fixed number works; it names the lock that serializes related-list updates on PostgreSQL. */
export const REFRESH_LOCK = 7_316_001;

/** Term vectors, fingerprints and related lists; the domain decides what goes in, this keeps and queries it. */
export class RelatedRepository implements Port.RelatedRepository {
  private readonly db: Kysely<DB & RelatedTables>;
  /** The newest analysed id has reached apartFrom (candidatesApart). */
  private largeEnough = false;

  /**
   * What the reader thread reads for candidatesApart (SQLite's file, PostgreSQL's primary); none (an in-memory
   * database, a test's repository) and they are read here.
   */
  private readonly apart: ApartSource | undefined;
  /** Below this many articles (by the newest analysed id) candidates cost a millisecond or two, read here. */
  private readonly apartFrom: number;
  /**
   * Postings kept from one publish's candidates to the next (the reader thread's; see KeptPostings), told of each
   * publish's analysis by `remember`. None: each read goes to the database.
   */
  private readonly kept: KeptPostings | undefined;

  constructor(
    db: Kysely<DB>,
    private readonly dialect: Dialect,
    { apart, apartFrom = APART_FROM, kept }: { apart?: ApartSource; apartFrom?: number; kept?: KeptPostings } = {},
  ) {
    this.apart = apart;
    this.apartFrom = apartFrom;
    this.kept = kept;
    this.db = db.withTables<RelatedTables>();
  }

  get writesHoldReaders(): boolean {
    return this.dialect === 'sqlite';
  }

  async candidatesApart(articleId: number, terms: readonly [string, number][], limit: number): Promise<Candidate[] | undefined> {
    if (this.db.isTransaction) return undefined;
    const source = this.apart;
    // PostgreSQL without a source for the thread: outside the transaction, here.
    if (!source) return this.dialect === 'postgres' ? findCandidates(this, articleId, terms, limit) : undefined;
    if (this.apartFrom > 0 && !this.largeEnough) {
      const newest = await this.db
        .selectFrom('related_fingerprints')
        .select((eb) => eb.fn.max('article_id').as('id'))
        .executeTakeFirst();
      if (Number(newest?.id ?? 0) < this.apartFrom) return undefined;
      // Ids only grow: not asked again.
      this.largeEnough = true;
    }
    return findInWorker({ source, articleId, terms: [...terms], limit });
  }

  scoringApart(): BatchScoring | undefined {
    return this.apart ? scoringThread(this.apart) : undefined;
  }

  /** An article's analysis, committed, into the kept postings (if this repository keeps them; see KeptPostings). */
  remember(articleId: number, terms: readonly (readonly [string, number])[]): void {
    this.kept?.add(articleId, terms, { replace: true });
  }

  /**
   * Two publishes that each add themselves to the other's list would lock rows in opposite orders; one lock per
   * transaction makes them take turns. SQLite already runs one writer at a time.
   */
  async lockForRefresh(): Promise<void> {
    if (this.dialect === 'postgres') await refreshLock(this.db);
  }

  async sourceHash(articleId: number): Promise<string | undefined> {
    const [row] = await sourceHashOf(this.db, articleId);
    return row?.source_hash;
  }

  /** One article's analysis: the batch write with one document (the terms, band keys, fingerprint and vector together). */
  saveDocument(articleId: number, doc: RelatedDocument, at: number): Promise<void> {
    return this.saveDocuments([{ articleId, doc }], at);
  }

  /**
   * How many analysed articles there are, and in how many of them each term is among the heaviest: exact up to
   * COUNTED_POSTINGS, and for a commoner term estimated from how densely its newest postings fill the range of analysed
   * ids (counting every posting of a word in a fifth of a million articles was most of a publish's time; the damping
   * it feeds only needs the share to a few per cent).
   */
  async documentFrequencies(
    terms: readonly string[],
    known?: Port.AnalysedRange,
  ): Promise<{ documents: number; df: Map<string, number>; range?: Port.AnalysedRange }> {
    const range = known ?? (await this.analysedRange());
    if (!range) return { documents: 0, df: new Map() };
    const { documents } = range;
    if (terms.length === 0) return { documents, df: new Map(), range };
    const counts = sql.join(
      [...new Set(terms)].map(
        (term) => sql`select term, count(*) as n, min(article_id) as oldest, max(article_id) as newest from (select term, article_id
          from related_terms where term = ${term} order by article_id desc limit ${COUNTED_POSTINGS}) p group by term`,
      ),
      sql` union all `,
    );
    const { rows } = await sql<{ term: string; n: number; oldest: number; newest: number }>`${counts}`.execute(this.db);
    const df = new Map<string, number>();
    for (const r of rows) df.set(r.term, termDocuments(Number(r.n), Number(r.oldest), Number(r.newest), range));
    return { documents, df, range };
  }

  /** The analysed articles' count and id range; undefined when none is analysed. */
  private async analysedRange(): Promise<Port.AnalysedRange | undefined> {
    // min and max are two index probes; a count over a million rows is not: past DENSITY_SPAN ids the documents are
    // estimated from how densely the newest span is analysed.
    // Two statements: SQLite answers a lone min() or max() from the index, but scans the table for both in one.
    const oldest = await this.db
      .selectFrom('related_fingerprints')
      .select((eb) => eb.fn.min('article_id').as('id'))
      .executeTakeFirstOrThrow();
    const newest = await this.db
      .selectFrom('related_fingerprints')
      .select((eb) => eb.fn.max('article_id').as('id'))
      .executeTakeFirstOrThrow();
    if (oldest.id === null || newest.id === null) return undefined;
    const first = Number(oldest.id);
    const last = Number(newest.id);
    const span = Math.min(DENSITY_SPAN, last - first + 1);
    const { n: inSpan } = await this.db
      .selectFrom('related_fingerprints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('article_id', '>', last - span)
      .executeTakeFirstOrThrow();
    return { documents: Math.round((Number(inSpan) * (last - first + 1)) / span), first, last };
  }

  /** Articles never analysed: written before this table existed, or by a process that skipped it. */
  async unanalysed(): Promise<number> {
    const { n } = await this.db
      .selectFrom('articles as a')
      .leftJoin('related_fingerprints as f', 'f.article_id', 'a.id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('f.article_id', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async unanalysedIds(afterId: number, limit: number, upTo?: number): Promise<number[]> {
    // A window of the walk reads each id's fingerprint row (long with its vector): 100-240 ms from a cold cache at a
    // million articles, 200 windows after every start, each holding every reader up when read here.
    const apart = await scanApart<number[]>(this.db, sqliteFileOf(this.apart), this.apartFrom, (file) => ({ kind: 'unanalysed', file, afterId, limit, upTo }));
    if (apart !== undefined) return apart;
    let query = this.db
      .selectFrom('articles as a')
      .leftJoin('related_fingerprints as f', 'f.article_id', 'a.id')
      .select('a.id')
      .where('f.article_id', 'is', null)
      .where('a.id', '>', afterId);
    if (upTo !== undefined) query = query.where('a.id', '<=', upTo);
    const rows = await query.orderBy('a.id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async lastArticleId(): Promise<number> {
    const row = await this.db
      .selectFrom('articles')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  async terms(articleId: number): Promise<[string, number][]> {
    const rows = await termsOf(this.db, articleId);
    return rows.map((r) => [r.term, Number(r.weight)]);
  }

  /**
   * Published articles sharing terms with the vector, most similar first. Each term's postings are read heaviest first
   * (impact order: the articles the term is most about, which give a cosine most of its value) and cut, so a publish
   * reads a bounded number of index entries however large the archive: POSTINGS.budget, shared out by the terms' weights
   * in the query, so the terms that say what the story is about are read deepest; a rare term is read whole. Measured
   * with bench/related.ts --db on bench:scale's archives: at 100,000 articles the exact scan's top 8 are 89 % found
   * (p50 92 ms against 1,020 ms for the scan; a budget of 16,000 gave 76 % in 55 ms, 80,000 gave 98 % in 169 ms), at
   * 20,000 97 %. The best by this first count are then scored exactly.
   */
  async similarPublished(articleId: number, terms: readonly [string, number][], limit: number): Promise<Candidate[]> {
    if (terms.length === 0) return [];
    const total = terms.reduce((sum, [, w]) => sum + Math.max(0, w), 0);
    const depth = (w: number) => postingsDepth(w, total);
    const depths = new Map<string, number>();
    for (const [term, w] of terms) depths.set(term, Math.max(depths.get(term) ?? 0, depth(w)));
    const lists = this.kept
      ? await this.kept.read((missing, allocate) => this.packedPostings(missing, allocate), depths)
      : await this.packedPostings([...depths]);
    const shortlist = bestOfPostings(lists, articleId, terms);
    const weightOf = new Map(terms);
    // The cut lists undercount an article's lighter terms: the best by this first count are scored again exactly,
    // from their own vectors (one short row each; the articles' rows, long with their bodies, only for the best below).
    const exact = new Map<number, { similarity: number; shared: number }>();
    for (let i = 0; i < shortlist.length; i += 500) {
      const ids = shortlist.slice(i, i + 500);
      const rows =
        this.dialect === 'postgres'
          ? await vectorsOf(this.db, ids)
          : await this.db.selectFrom('related_fingerprints').select(['article_id', 'terms']).where('article_id', 'in', ids).execute();
      const unvectored = new Set(ids);
      for (const r of rows) {
        if (r.terms === null) continue;
        unvectored.delete(r.article_id);
        const score = dotWithVector(r.terms, weightOf);
        if (score.shared > 0) exact.set(r.article_id, score);
      }
      if (unvectored.size > 0) await this.scoreFromPostings([...unvectored], terms, exact);
    }
    const ranked = [...exact].sort((a, b) => b[1].similarity - a[1].similarity || b[0] - a[0]);
    // Only published articles are candidates: the best are checked in batches until `limit` of them are found.
    const found: Candidate[] = [];
    for (let i = 0; i < ranked.length && found.length < limit; i += limit * 4) {
      const batch = ranked.slice(i, i + limit * 4);
      const batchIds = batch.map(([id]) => id);
      const meta =
        this.dialect === 'postgres'
          ? await publishedOf(this.db, batchIds)
          : await this.db
              .selectFrom('articles')
              .select(['id', 'channel_id', 'published_at'])
              .where('status', '=', 'published')
              .where('id', 'in', batchIds)
              .execute();
      const byId = new Map(meta.map((m) => [m.id, m]));
      for (const [id, score] of batch) {
        const m = byId.get(id);
        if (!m || found.length >= limit) continue;
        found.push({ articleId: id, similarity: score.similarity, sharedTerms: score.shared, channelId: m.channel_id, publishedAt: m.published_at ?? 0 });
      }
    }
    return found;
  }

  /**
   * Each term's first `depth` postings for a shortlist, in one statement, each term's cut list packed as one text of
   * integers (see PACKED). SQLite: a compound SELECT of a row per term. Summing in SQL (GROUP BY over it, then ORDER BY
   * the sums) was half the read: 24 ms of the reader thread a publish at 20,000 articles against 15 ms so, for the same
   * 400 candidates. PostgreSQL: the terms and depths as two arrays, each term's cut list read by a lateral index scan, in
   * one named statement (planned once per connection); summing in the server (~40,000 postings into ~36,000 articles,
   * nearly each met once) was 32 ms of its CPU a publish at 300,000 articles, the packed lists 15 ms and their sums here
   * ~2 ms.
   */
  private async packedPostings(terms: readonly (readonly [string, number])[], allocate = freshPostings): Promise<Map<string, Port.Postings>> {
    if (this.dialect === 'postgres') {
      const rows = await postingsShortlist(
        this.db,
        terms.map(([t]) => t),
        terms.map(([, d]) => d),
      );
      // WITH ORDINALITY counts from 1.
      return unpacked(rows, 1, terms, allocate);
    }
    const lists = sql.join(
      terms.map(
        ([term, d], i) => sql`select ${sql.lit(i)} as i, group_concat(article_id * ${sql.lit(PACKED.idFactor)} + cast(min(max(weight, 0), 1) *
          ${sql.lit(PACKED.weightSteps)} as integer)) as p from (select article_id, weight from related_terms where term = ${term}
          order by weight desc limit ${d})`,
      ),
      sql` union all `,
    );
    const { rows } = await sql<{ i: number; p: string | null }>`${lists}`.execute(this.db);
    return unpacked(rows, 0, terms, allocate);
  }

  /** Exact scores of articles analysed before their vectors were kept (see fillVectors), from related_terms. */
  private async scoreFromPostings(
    ids: number[],
    terms: readonly [string, number][],
    exact: Map<number, { similarity: number; shared: number }>,
  ): Promise<void> {
    const weightOf = new Map(terms);
    const shared = (someTerms: string[]) =>
      this.db.selectFrom('related_terms').select(['article_id', 'term', 'weight']).where('term', 'in', someTerms).where('article_id', 'in', ids).execute();
    // SQLite answers both IN lists by reading each term's whole postings when a term is common (40 ms at 20,000
    // articles); one term at a time it probes the primary key (term, article_id), ~10 ms whatever the terms.
    const vectors = this.dialect === 'sqlite' ? (await Promise.all(terms.map(([t]) => shared([t])))).flat() : await shared(terms.map(([t]) => t));
    for (const v of vectors) {
      const w = weightOf.get(v.term);
      if (w === undefined) continue;
      const score = exact.get(v.article_id) ?? { similarity: 0, shared: 0 };
      score.similarity += Number(v.weight) * w;
      score.shared++;
      exact.set(v.article_id, score);
    }
  }

  /**
   * Keeps the term vector on the fingerprint row of up to `limit` articles analysed before it was kept there (the
   * 2026-12-06T0100 migration), from their related_terms; returns how many it filled (0: none left).
   */
  async fillVectors(limit: number): Promise<number> {
    const ids = (
      await this.db.selectFrom('related_fingerprints').select('article_id').where('terms', 'is', null).orderBy('article_id').limit(limit).execute()
    ).map((r) => r.article_id);
    if (ids.length === 0) return 0;
    const vector =
      this.dialect === 'sqlite'
        ? sql<string>`(select json_group_array(json_array(t.term, t.weight)) from related_terms t where t.article_id = related_fingerprints.article_id)`
        : sql<string>`coalesce((select json_agg(json_build_array(t.term, t.weight))::text from related_terms t where t.article_id = related_fingerprints.article_id), '[]')`;
    // Only rows still without one: an article analysed again meanwhile keeps the vector its analysis wrote.
    await this.db.updateTable('related_fingerprints').set({ terms: vector }).where('article_id', 'in', ids).where('terms', 'is', null).execute();
    return ids.length;
  }

  /** The computed list of an article, best first. */
  async items(articleId: number): Promise<ScoredItem[]> {
    const rows = await itemsOf(this.db, articleId);
    return rows.map((r) => ({ id: r.related_id, score: Number(r.score) }));
  }

  async replaceItems(articleId: number, items: readonly ScoredItem[]): Promise<void> {
    await this.db.deleteFrom('related_items').where('article_id', '=', articleId).execute();
    if (items.length === 0) return;
    await this.db
      .insertInto('related_items')
      .values(items.map((i) => ({ article_id: articleId, related_id: i.id, score: i.score })))
      .execute();
  }

  /**
   * Puts one article into other articles' lists (each with its own score) and keeps each list to its `keep` best;
   * lists of articles not offered to lose it, since it no longer resembles them enough.
   */
  async offer(relatedId: number, to: readonly ScoredItem[], keep: number): Promise<void> {
    const targets = to.map((t) => t.id);
    let stale = this.db.deleteFrom('related_items').where('related_id', '=', relatedId);
    if (targets.length > 0) stale = stale.where('article_id', 'not in', targets);
    await stale.execute();
    if (targets.length === 0) return;
    await this.db
      .insertInto('related_items')
      .values(to.map((t) => ({ article_id: t.id, related_id: relatedId, score: t.score })))
      .onConflict((oc) => oc.columns(['article_id', 'related_id']).doUpdateSet((eb) => ({ score: eb.ref('excluded.score') })))
      .execute();
    // What the offer pushed out of every list (past `keep`, the lowest scores first, the older of equals), found and
    // deleted in one statement: a publish offers into 24 lists, whose ~400 rows read into JavaScript to pick those out
    // took twice as long on SQLite (and on PostgreSQL a round trip per list was ~20 statements a publish).
    await sql`delete from related_items where (article_id, related_id) in (select article_id, related_id from (select article_id,
      related_id, row_number() over (partition by article_id order by score desc, related_id desc) as n from related_items
      where article_id in (${sql.join(targets)})) r where n > ${keep})`.execute(this.db);
  }

  /** The items of these articles' lists, each list in its order (score, then the newer id). */
  private itemsOfMany(ids: readonly number[]) {
    return this.db
      .selectFrom('related_items')
      .select(['article_id', 'related_id', 'score'])
      .where('article_id', 'in', [...ids])
      .orderBy('article_id')
      .orderBy('score', 'desc')
      .orderBy('related_id', 'desc')
      .execute();
  }

  /** Deletes these (article_id, related_id) items, each found by the primary key (a row-value IN over a VALUES list). */
  private async deletePairs(pairs: readonly (readonly [number, number])[]): Promise<void> {
    if (pairs.length === 0) return;
    // PostgreSQL types a VALUES list's parameters as text: two int4 arrays instead, one statement for any number.
    if (this.dialect === 'postgres') {
      await sql`delete from related_items where (article_id, related_id) in (select * from unnest(${pairs.map((p) => p[0])}::int4[], ${pairs.map((p) => p[1])}::int4[]))`.execute(
        this.db,
      );
      return;
    }
    for (const part of chunks(pairs, ROWS_PER_INSERT))
      await sql`delete from related_items where (article_id, related_id) in (values ${sql.join(part.map(([a, r]) => sql`(${a}, ${r})`))})`.execute(this.db);
  }

  /** Takes an article out of every related list, its own included (it is no longer public). */
  async withdraw(articleId: number): Promise<void> {
    await this.db
      .deleteFrom('related_items')
      .where((eb) => eb.or([eb('article_id', '=', articleId), eb('related_id', '=', articleId)]))
      .execute();
    await this.markItems(articleId, null);
  }

  async itemsRevision(articleId: number): Promise<number | undefined> {
    const [row] = await itemsRevisionOf(this.db, articleId);
    return row?.items_revision ?? undefined;
  }

  async markItems(articleId: number, revision: number | null): Promise<void> {
    await this.db
      .updateTable('related_fingerprints')
      .set({ items_revision: revision })
      .where('article_id', '=', articleId)
      .where('items_revision', 'is distinct from', revision)
      .execute();
  }

  async picks(articleId: number): Promise<RelatedPick[]> {
    const rows = await picksOf(this.db, articleId);
    return rows.map((r) => ({ relatedId: r.related_id, mode: r.mode as PickMode }));
  }

  async replacePicks(articleId: number, picks: readonly RelatedPick[], accountId: number | null, at: number): Promise<void> {
    await this.db.deleteFrom('related_picks').where('article_id', '=', articleId).execute();
    if (picks.length === 0) return;
    await this.db
      .insertInto('related_picks')
      .values(picks.map((p, position) => ({ article_id: articleId, related_id: p.relatedId, mode: p.mode, position, account_id: accountId, created_at: at })))
      .execute();
  }

  async keptList(articleId: number): Promise<RelatedItem[] | undefined> {
    const items = (await listOf(this.db, articleId))[0]?.items;
    if (items === null || items === undefined) return undefined;
    return (JSON.parse(items) as [number, string, number, number][]).map(([id, title, publishedAt, pinned]) => ({
      article: { id, title, publishedAt },
      pinned: pinned === 1,
    }));
  }

  async staleLists(limit: number): Promise<StaleList[]> {
    const rows = await this.db
      .selectFrom('related_lists')
      .select(['article_id', 'stamp'])
      .where('items', 'is', null)
      .orderBy('article_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ articleId: r.article_id, stamp: Number(r.stamp) }));
  }

  async listParts(articleIds: readonly number[]): Promise<Map<number, { picks: RelatedPick[]; items: ScoredItem[] }>> {
    const parts = new Map(articleIds.map((id) => [id, { picks: [] as RelatedPick[], items: [] as ScoredItem[] }]));
    for (const ids of chunks([...new Set(articleIds)], IDS_PER_STATEMENT)) {
      const [picks, items] = await Promise.all([
        this.db
          .selectFrom('related_picks')
          .select(['article_id', 'related_id', 'mode'])
          .where('article_id', 'in', ids)
          .orderBy('article_id')
          .orderBy('position')
          .execute(),
        this.itemsOfMany(ids),
      ]);
      for (const r of picks) parts.get(r.article_id)?.picks.push({ relatedId: r.related_id, mode: r.mode as PickMode });
      for (const r of items) parts.get(r.article_id)?.items.push({ id: r.related_id, score: Number(r.score) });
    }
    return parts;
  }

  async keepLists(lists: readonly (StaleList & { items: readonly RelatedItem[] })[]): Promise<number> {
    const encoded = lists.map((l) => ({
      ...l,
      json: JSON.stringify(l.items.map((i) => [i.article.id, i.article.title, i.article.publishedAt, i.pinned ? 1 : 0])),
    }));
    // Compare-and-set: a change since the reads bumped the stamp (the triggers), and the list stays to be made again.
    if (this.dialect === 'postgres') {
      // One statement for the batch (a round trip per list was most of a publish's work after it on PostgreSQL).
      if (encoded.length === 0) return 0;
      const { numAffectedRows } = await sql`update related_lists r set items = v.items
        from (${unnested(
          [
            ['article_id', 'int4'],
            ['stamp', 'int8'],
            ['items', 'text'],
          ],
          encoded.map((l) => [l.articleId, l.stamp, l.json] as const),
        )}) v
        where r.article_id = v.article_id and r.stamp = v.stamp and r.items is null`.execute(this.db);
      return Number(numAffectedRows ?? 0);
    }
    let kept = 0;
    for (const list of encoded) {
      const { numUpdatedRows } = await this.db
        .updateTable('related_lists')
        .set({ items: list.json })
        .where('article_id', '=', list.articleId)
        .where('stamp', '=', list.stamp)
        .where('items', 'is', null)
        .executeTakeFirst();
      kept += Number(numUpdatedRows);
    }
    return kept;
  }

  async postings(terms: readonly (readonly [term: string, depth: number])[]): Promise<Map<string, Port.Postings>> {
    const out = new Map<string, Port.Postings>();
    const groups: (readonly [string, number])[][] = [];
    let group: (readonly [string, number])[] = [];
    let rows = 0;
    for (const t of terms) {
      if (group.length > 0 && (rows + t[1] > POSTINGS_PER_STATEMENT || group.length >= TERMS_PER_STATEMENT)) {
        groups.push(group);
        group = [];
        rows = 0;
      }
      group.push(t);
      rows += t[1];
    }
    if (group.length > 0) groups.push(group);
    for (const g of groups) {
      if (this.dialect === 'postgres') {
        // One row per term, its postings as two arrays: a posting is not a JavaScript object here.
        const { rows: found } = await sql<{ term: string; ids: number[]; weights: number[] }>`select q.term, p.ids, p.weights
          from unnest(${g.map(([t]) => t)}::text[], ${g.map(([, d]) => d)}::int[]) as q(term, depth)
          cross join lateral (select array_agg(article_id) as ids, array_agg(weight) as weights from (select article_id, weight
            from related_terms where term = q.term order by weight desc limit q.depth) s) p
          where p.ids is not null`.execute(this.db);
        for (const r of found) out.set(r.term, { ids: Int32Array.from(r.ids, Number), weights: Float64Array.from(r.weights, Number) });
        continue;
      }
      // One row per term here too, its postings as two lists of numbers in text (weights at full precision): a row
      // object per posting was most of the read's time.
      const union = sql.join(
        g.map(
          ([term, depth]) => sql`select ${term} as term, group_concat(article_id) as ids, group_concat(printf('%.17g', weight)) as weights
            from (select article_id, weight from related_terms where term = ${term} order by weight desc limit ${depth})`,
        ),
        sql` union all `,
      );
      const { rows: found } = await sql<{ term: string; ids: string | null; weights: string | null }>`${union}`.execute(this.db);
      for (const r of found) {
        if (r.ids === null || r.weights === null) continue;
        const ids = r.ids.split(',');
        const weights = r.weights.split(',');
        out.set(r.term, { ids: Int32Array.from(ids, Number), weights: Float64Array.from(weights, Number) });
      }
    }
    return out;
  }

  async publishedAmong(ids: readonly number[]): Promise<Map<number, { channelId: number; publishedAt: number }>> {
    const out = new Map<number, { channelId: number; publishedAt: number }>();
    for (const part of chunks([...new Set(ids)], IDS_PER_STATEMENT)) {
      const rows = await this.db
        .selectFrom('articles')
        .select(['id', 'channel_id', 'published_at'])
        .where('status', '=', 'published')
        .where('id', 'in', part)
        .execute();
      for (const r of rows) out.set(r.id, { channelId: r.channel_id, publishedAt: Number(r.published_at ?? 0) });
    }
    return out;
  }

  async analysisState(ids: readonly number[]): Promise<Map<number, { revision: number; analysed: boolean }>> {
    const out = new Map<number, { revision: number; analysed: boolean }>();
    for (const part of chunks(ids, IDS_PER_STATEMENT)) {
      const rows = await this.db
        .selectFrom('articles as a')
        .leftJoin('related_fingerprints as f', 'f.article_id', 'a.id')
        .select(['a.id', 'a.revision', 'f.article_id as analysed'])
        .where('a.id', 'in', part)
        .where('a.deleted_at', 'is', null)
        .execute();
      for (const r of rows) out.set(r.id, { revision: Number(r.revision), analysed: r.analysed !== null });
    }
    return out;
  }

  async saveDocuments(docs: readonly { articleId: number; doc: RelatedDocument }[], at: number): Promise<void> {
    if (docs.length === 0) return;
    const ids = docs.map((d) => d.articleId);
    for (const part of chunks(ids, IDS_PER_STATEMENT)) {
      await writeBehind(this.db, this.db.deleteFrom('related_terms').where('article_id', 'in', part));
      await writeBehind(this.db, this.db.deleteFrom('related_buckets').where('article_id', 'in', part));
    }
    const terms = docs.flatMap(({ articleId, doc }) => doc.terms.map(([term, weight]) => [term, articleId, weight] as const));
    const buckets = docs.flatMap(({ articleId, doc }) => [...new Set(doc.buckets)].map((bucket) => [bucket, articleId] as const));
    const prints = docs.map(({ articleId, doc }) => [articleId, doc.sourceHash, doc.signature, doc.shingles, at, JSON.stringify(doc.terms)] as const);
    // In key order: consecutive rows land on the same pages of the two indexes keyed by term (a batch's rows taken in
    // article order touch a different page with nearly every row).
    terms.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    buckets.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    if (this.dialect === 'postgres') {
      // The three go with the commit (or the next statement) on the way (writeBehind).
      if (terms.length > 0)
        await writeBehind(
          this.db,
          sql`insert into related_terms (term, article_id, weight) ${unnested(
            [
              ['term', 'text'],
              ['article_id', 'int4'],
              ['weight', 'float8'],
            ],
            terms,
          )}`,
        );
      if (buckets.length > 0)
        await writeBehind(
          this.db,
          sql`insert into related_buckets (bucket, article_id) ${unnested(
            [
              ['bucket', 'text'],
              ['article_id', 'int4'],
            ],
            buckets,
          )}`,
        );
      await writeBehind(
        this.db,
        sql`insert into related_fingerprints (article_id, source_hash, signature, shingles, updated_at, terms) ${unnested(
          [
            ['article_id', 'int4'],
            ['source_hash', 'text'],
            ['signature', 'text'],
            ['shingles', 'int4'],
            ['updated_at', 'int8'],
            ['terms', 'text'],
          ],
          prints,
        )} on conflict (article_id) do update set source_hash = excluded.source_hash, signature = excluded.signature,
        shingles = excluded.shingles, updated_at = excluded.updated_at, terms = excluded.terms`,
      );
      return;
    }
    for (const part of chunks(terms, ROWS_PER_INSERT))
      await this.db
        .insertInto('related_terms')
        .values(part.map(([term, article_id, weight]) => ({ term, article_id, weight })))
        .execute();
    for (const part of chunks(buckets, ROWS_PER_INSERT))
      await this.db
        .insertInto('related_buckets')
        .values(part.map(([bucket, article_id]) => ({ bucket, article_id })))
        .execute();
    for (const part of chunks(prints, ROWS_PER_INSERT / 2))
      await this.db
        .insertInto('related_fingerprints')
        .values(
          part.map(([article_id, source_hash, signature, shingles, updated_at, terms]) => ({
            article_id,
            source_hash,
            signature,
            shingles,
            updated_at,
            terms,
          })),
        )
        .onConflict((oc) =>
          oc.column('article_id').doUpdateSet((eb) => ({
            source_hash: eb.ref('excluded.source_hash'),
            signature: eb.ref('excluded.signature'),
            shingles: eb.ref('excluded.shingles'),
            updated_at: eb.ref('excluded.updated_at'),
            terms: eb.ref('excluded.terms'),
          })),
        )
        .execute();
  }

  async writeLists(
    lists: readonly { articleId: number; items: readonly ScoredItem[] }[],
    offers: readonly { targetId: number; relatedId: number; score: number }[],
    keep: number,
    keepIn: readonly number[],
  ): Promise<void> {
    const ids = lists.map((l) => l.articleId);
    for (const part of chunks(ids, IDS_PER_STATEMENT)) {
      await this.db.deleteFrom('related_items').where('article_id', 'in', part).execute();
      // As offer(): an article leaves the lists it is not offered to (those offered to get it back just below).
      let stale = this.db.deleteFrom('related_items').where('related_id', 'in', part);
      if (keepIn.length > 0) stale = stale.where('article_id', 'not in', [...keepIn]);
      await stale.execute();
    }
    const items = lists.flatMap((l) => l.items.map((i) => [l.articleId, i.id, i.score] as const));
    const columns = [
      ['article_id', 'int4'],
      ['related_id', 'int4'],
      ['score', 'float8'],
    ] as const;
    if (this.dialect === 'postgres') {
      // The server merges and trims: shipping every list offered into here and back cost more than its window function.
      const offered = offers.map((o) => [o.targetId, o.relatedId, o.score] as const);
      if (items.length > 0) await sql`insert into related_items (article_id, related_id, score) ${unnested(columns, items)}`.execute(this.db);
      if (offered.length === 0) return;
      await sql`insert into related_items (article_id, related_id, score) ${unnested(columns, offered)}
        on conflict (article_id, related_id) do update set score = excluded.score`.execute(this.db);
      // Each list offered into kept to its `keep` best, in the order a list is read (score, then the newer id).
      await sql`delete from related_items r using (select article_id, related_id from (select article_id, related_id,
        row_number() over (partition by article_id order by score desc, related_id desc) as n from related_items
        where article_id = any(${[...new Set(offers.map((o) => o.targetId))]}::int4[])) ranked where n > ${keep}) d
        where r.article_id = d.article_id and r.related_id = d.related_id`.execute(this.db);
      return;
    }
    // SQLite: the offers merged into the lists they go to here, as offer() followed by its trim would leave them: each list read
    // once (by the primary key), its best `keep` worked out, and only the offers that make it written and the items they
    // push out deleted (a window function over every list offered into cost ~20 ms per 1,000 lists on SQLite).
    const byTarget = new Map<number, Map<number, number>>();
    for (const part of chunks([...new Set(offers.map((o) => o.targetId))], IDS_PER_STATEMENT)) {
      const rows = await this.db.selectFrom('related_items').select(['article_id', 'related_id', 'score']).where('article_id', 'in', part).execute();
      for (const r of rows) {
        let list = byTarget.get(r.article_id);
        if (!list) byTarget.set(r.article_id, (list = new Map()));
        list.set(r.related_id, Number(r.score));
      }
    }
    const before = new Map([...byTarget].map(([target, list]) => [target, new Set(list.keys())]));
    for (const o of offers) {
      let list = byTarget.get(o.targetId);
      if (!list) byTarget.set(o.targetId, (list = new Map()));
      list.set(o.relatedId, o.score);
    }
    const kept = new Map<number, Set<number>>();
    const pushedOut: (readonly [number, number])[] = [];
    for (const [target, list] of byTarget) {
      const ranked = [...list].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
      kept.set(target, new Set(ranked.slice(0, keep).map(([id]) => id)));
      for (const [id] of ranked.slice(keep)) if (before.get(target)?.has(id)) pushedOut.push([target, id]);
    }
    const offered = offers.filter((o) => kept.get(o.targetId)?.has(o.relatedId)).map((o) => [o.targetId, o.relatedId, o.score] as const);
    for (const part of chunks(items, ROWS_PER_INSERT))
      await this.db
        .insertInto('related_items')
        .values(part.map(([article_id, related_id, score]) => ({ article_id, related_id, score })))
        .execute();
    for (const part of chunks(offered, ROWS_PER_INSERT))
      await this.db
        .insertInto('related_items')
        .values(part.map(([article_id, related_id, score]) => ({ article_id, related_id, score })))
        .onConflict((oc) => oc.columns(['article_id', 'related_id']).doUpdateSet((eb) => ({ score: eb.ref('excluded.score') })))
        .execute();
    await this.deletePairs(pushedOut);
  }

  /** Articles sharing at least one MinHash band key with the given ones, most shared bands first. */
  async bucketMates(buckets: readonly string[], limit: number): Promise<number[]> {
    if (buckets.length === 0) return [];
    const rows = await this.db
      .selectFrom('related_buckets')
      .select(['article_id', (eb) => eb.fn.countAll<number>().as('shared')])
      .where('bucket', 'in', [...buckets])
      .groupBy('article_id')
      .orderBy('shared', 'desc')
      .orderBy('article_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.article_id);
  }

  async signatures(ids: readonly number[]): Promise<Map<number, { signature: string; shingles: number }>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('related_fingerprints')
      .select(['article_id', 'signature', 'shingles'])
      .where('article_id', 'in', [...ids])
      .execute();
    return new Map(rows.map((r) => [r.article_id, { signature: r.signature, shingles: r.shingles }]));
  }
}
