import { sql, type Kysely, type RawBuilder } from 'kysely';
import type {
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
import { gramText, wordText } from '../../domain/search/search-index.ts';
import type { DB } from '../schema.ts';
import { headField, headScore } from '../../domain/search/ranking.ts';
import { LockPacer } from '../lock-pacer.ts';
import { articleBatch, byRelevance, fillHeads, pipelinedBatches, REBUILD_BATCH, SEARCH_CAPS, wholeDocuments, type IndexScope } from './shared.ts';
import { SCAN_APART_FROM, scanApart } from '../related-finder.ts';

/**
 * SQLite: one contentless FTS5 table (search_fts) over pre-segmented text: four word columns, four gram
 * columns and the channel, beside search_docs (which article each FTS row is, and its head for ranking). The FTS
 * rowid ("doc") orders by publication time, so the newest matches and date ranges come straight off the index.
 * Nothing asks FTS5 for bm25: it counts each phrase's documents over its whole posting list, which cost more than the
 * match itself (see domain/search/ranking.ts).
 */

// Columns: b, t, k, s (words of body, title, tags, summary), gt, gk, gs, gb (their grams) and c (channel). The body's
// words come first (BODY_FIRST_COLUMNS): a posting in column 0 needs no column number, and they are most postings.
const WORD_COLUMNS = '{t k s b}';
const GRAM_COLUMNS = '{gt gk gs gb}';
/**
 * Doc keys leave this many slots per minute of publication time. Every posting in the index stores the gap to the
 * previous doc key as a varint: milliseconds × 1024 made keys 10¹⁵ apart-ish and the index twice the text; a minute's
 * 16 slots keep keys nearly dense (a busy newsroom publishes a few articles a minute) and the index near the text's size.
 */
const SLOTS = 16;
/** Keys read at once when a document's key is taken (see writeMany). */
const PROBE = 256;
/**
 * FTS5 settings a rebuild changes while it runs, and FTS5's own defaults it puts back after (see rebuild).
 */
const REBUILD_SETTINGS = {
  /**
   * Segments of a level merged at once, a bounded amount with each transaction's writes (FTS5: 4; 64 is its maximum).
   * Each transaction's commit adds a segment: at 4, a level's segments were merged again and again on the way to the
   * one segment the rebuild ends with. With automatic merges off (0) and crisis merges at 64, each crisis merge was one
   * statement: at a million articles some held the write lock for 10–13 s, past the server's 5 s busy timeout.
   * Searches meanwhile read up to ~100 segments a level.
   */
  automerge: { during: 64, after: 4 },
  /** Segments of a level merged at once whatever automerge says, past this many: only a backstop here (FTS5: 16). */
  crisismerge: { during: 200, after: 16 },
  /**
   * Bytes of pending postings before FTS5 writes them out as a segment of their own (FTS5: 1 MB): a rebuild's 500
   * articles are ~3 MB of them, and a transaction should make one segment.
   */
  hashsize: { during: 16 * 1024 * 1024, after: 1024 * 1024 },
  /**
   * Percentage of a contentless_delete table's segment deleted before it is merged alone (FTS5: 10). A rebuild over an
   * index that holds every article replaces each document, so the big segment the last rebuild left was rewritten at
   * each further tenth of it deleted (replacing half of a one-segment index of 40,000 documents: 11.7 s, 2.6 s with
   * 0, which turns it off). The rebuild's closing merge drops every deleted row once.
   */
  deletemerge: { during: 0, after: 10 },
};
/**
 * Articles in each of a rebuild's transactions. FTS5 writes a segment at each commit, so this is a segment's size:
 * at 200 a million articles made 5,000 segments for the merges to take through their levels; at 500, 2,000. A
 * transaction of 500 holds the write lock for a few tenths of a second (bench/search-build.ts at a million articles:
 * another process's write waited p99 437 ms, at most 1.1 s with the pacer).
 */
const REBUILD_BATCH_SQLITE = 500;
/** FTS5 pages a step of a rebuild's closing merge writes (see mergeAll): a tenth of a second's work or so. */
const MERGE_STEP_PAGES = 2000;
const MINUTE = 60_000;

/** Rows changed by this connection's statements so far (sqlite3_total_changes). */
async function totalChanges(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select total_changes() as n`.execute(db);
  return Number(rows[0]!.n);
}

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
const channelToken = (id: number) => `c${id}`;

/** An FTS5 expression built from terms only: every token is a quoted string, so no input is ever syntax. */
export function ftsExpression(terms: Term[], channelIds?: number[]): string {
  const one = (t: WordTerm | TextTerm) => {
    if (t.kind === 'word') return `${WORD_COLUMNS} : ${quote(t.token)}`;
    const grams = `${GRAM_COLUMNS} : ${quote(t.phrase.grams.join(' '))}${t.phrase.prefix ? ' *' : ''}`;
    if (!t.words) return grams;
    // Words each right after the one before (a number's digit groups: 7.3 is not 3.7) are a phrase, which keeps order.
    if (t.words.every((w, i) => i === 0 || w.gap === 1)) return `(${grams} OR ${WORD_COLUMNS} : ${quote(t.words.map((w) => w.token).join(' '))})`;
    // The words within their span: NEAR counts every token between the first and the last, the others' included.
    const between = t.words.reduce((n, w) => n + w.gap, 0) - 1;
    return `(${grams} OR ${WORD_COLUMNS} : NEAR(${t.words.map((w) => quote(w.token)).join(' ')}, ${between}))`;
  };
  const parts = terms.map((t) => (t.kind === 'any' ? `(${t.of.map(one).join(' OR ')})` : one(t)));
  if (channelIds) parts.push(`c : (${channelIds.length ? channelIds.map((id) => quote(channelToken(id))).join(' OR ') : '"none"'})`);
  return parts.join(' AND ');
}

const docKey = (publishedAt: number, articleId: number) => Math.floor(publishedAt / MINUTE) * SLOTS + (articleId % SLOTS);
/** The first doc key of the minute `ms` falls in or, if `ms` is not on a minute, of the next minute. */
const keyFrom = (ms: number) => Math.ceil(ms / MINUTE) * SLOTS;
/** The first doc key of the minute `ms` falls in: docs of earlier minutes are below it. */
const keyBefore = (ms: number) => Math.floor(ms / MINUTE) * SLOTS;

/**
 * Date bounds as a range of doc keys (FTS5 filters on it, see fromNewerEnd): whole minutes, so exact for bounds on a minute (a day in any time
 * zone); `exactTimes` then drops what a bound inside a minute leaves out of range.
 */
function keyRange(request: SearchRequest): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  if (request.from !== undefined) out.push(sql`rowid >= ${keyBefore(request.from)}`);
  if (request.to !== undefined) out.push(sql`rowid < ${keyFrom(request.to)}`);
  return out;
}

/**
 * SQLite's FTS5 (3.53) takes a rowid bound as a filter, not as a place to seek to: a read ordered by rowid walks the
 * term's doclist from that end until its LIMIT is met, whatever the bounds. At a million articles a common word's
 * doclist holds 600,000 entries: counting the first 1,000 matches in a window of 20,000 articles (four weeks of that
 * archive) took 18 ms for a window near the oldest end of the index and 137 ms for one near the newest, reading from the
 * oldest end as a bare count does; the other way round from the newest end. So a date-bounded count reads from the end of the index nearer its window (by
 * the doc keys' times, a guess that changes what the count costs, never what it returns).
 */
async function fromNewerEnd(db: Kysely<DB>, docs: RawBuilder<unknown>, request: SearchRequest): Promise<boolean> {
  if (request.from === undefined && request.to === undefined) return false;
  const { rows } = await sql<{ first: number | null; last: number | null }>`select min(doc) as first, max(doc) as last from ${docs}`.execute(db);
  const { first, last } = rows[0] ?? { first: null, last: null };
  if (first === null || last === null) return false;
  const lo = request.from === undefined ? first : keyBefore(request.from);
  const hi = request.to === undefined ? last : keyFrom(request.to);
  return last - hi < lo - first;
}

/** Matches of `where` up to `cap`, counted from the end of the index `fromNewerEnd` chose. */
function countUpTo(fts: RawBuilder<unknown>, where: RawBuilder<unknown>, cap: number, newerEnd: boolean): RawBuilder<{ n: number }> {
  return newerEnd
    ? sql`select count(*) as n from (select 1 from ${fts} where ${where} order by rowid desc limit ${cap}) x`
    : sql`select count(*) as n from (select 1 from ${fts} where ${where} limit ${cap}) x`;
}

function exactTimes(request: SearchRequest): RawBuilder<unknown> {
  const out: RawBuilder<unknown>[] = [sql`1 = 1`];
  if (request.from !== undefined && request.from % MINUTE !== 0) out.push(sql`d.published_at >= ${request.from}`);
  if (request.to !== undefined && request.to % MINUTE !== 0) out.push(sql`d.published_at < ${request.to}`);
  return sql.join(out, sql` and `);
}

interface Tables {
  docs: RawBuilder<unknown>;
  fts: RawBuilder<unknown>;
}

/**
 * The tables of one index: the public one (search_docs, search_fts) or the draft index (draft_docs, draft_fts), and
 * the `*_legacy` ones an upgrade left (migration 2026-12-05T0100: the FTS table before the body's words came first),
 * which answer searches until the background fill has filled ours and drops them.
 */
const TABLES = {
  published: {
    tables: { docs: sql.table('search_docs'), fts: sql.table('search_fts') },
    legacy: { docs: sql.table('search_docs_legacy'), fts: sql.table('search_fts_legacy') },
    legacyNames: ['search_docs_legacy', 'search_fts_legacy'],
  },
  unpublished: {
    tables: { docs: sql.table('draft_docs'), fts: sql.table('draft_fts') },
    legacy: { docs: sql.table('draft_docs_legacy'), fts: sql.table('draft_fts_legacy') },
    legacyNames: ['draft_docs_legacy', 'draft_fts_legacy'],
  },
};

const missingTable = (err: unknown) => err instanceof Error && /no such table/.test(err.message);

export class SqliteSearchIndex implements SearchIndex {
  private readonly docs;
  private readonly fts;
  private readonly tables: Tables;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly scope: IndexScope = 'published',
    /** The database file: past `scanApartFrom` articles (by the newest id) count() reads in the reader thread. */
    private readonly sqliteFile?: string,
    private readonly scanApartFrom = SCAN_APART_FROM,
  ) {
    this.tables = TABLES[scope].tables;
    this.docs = this.tables.docs;
    this.fts = this.tables.fts;
  }

  /** Articles in each of a rebuild's transactions, FTS5 pages in each step of its closing merge (mergeAll): a test makes them small. */
  rebuildBatch = REBUILD_BATCH_SQLITE;
  mergeStepPages = MERGE_STEP_PAGES;
  /** How long a rebuild holds the write lock before it leaves it free for another process's writer (LockPacer). */
  lockHoldMs = 1000;

  /** When this process last found no legacy tables: they appear only by a migration, so that answer is kept a second. */
  private noLegacySince = Number.NEGATIVE_INFINITY;

  /**
   * The legacy tables while an upgrade's fill has not dropped them. A catalogue read, skipped for a second after one
   * found none: the read, a Kysely round trip per index call, added ~0.3 ms to a search that finds nothing.
   */
  private async legacy(db: Kysely<DB>): Promise<Tables | undefined> {
    if (performance.now() - this.noLegacySince < 1000) return undefined;
    const { rows } = await sql`select 1 from sqlite_master where type = 'table' and name = ${TABLES[this.scope].legacyNames[1]}`.execute(db);
    if (rows.length > 0) return TABLES[this.scope].legacy;
    this.noLegacySince = performance.now();
    return undefined;
  }

  /**
   * A read of the index: from the legacy tables while they are there (they hold every document until ours are
   * filled), else from ours; if another process drops them between the check and the read, the read is made again.
   */
  private async reading<T>(read: (t: Tables) => Promise<T>): Promise<T> {
    const legacy = await this.legacy(this.db);
    if (!legacy) return read(this.tables);
    try {
      return await read(legacy);
    } catch (err) {
      if (!missingTable(err)) throw err;
      return read(this.tables);
    }
  }

  /** Drops an upgrade's legacy tables (in the caller's write transaction): ours hold every document. */
  private async dropLegacy(db: Kysely<DB>): Promise<void> {
    if (!(await this.legacy(db))) return;
    const [docs, fts] = TABLES[this.scope].legacyNames;
    await sql.raw(`drop trigger if exists ${docs}_unindex`).execute(db);
    await sql.raw(`drop table if exists ${docs}`).execute(db);
    await sql.raw(`drop table if exists ${fts}`).execute(db);
  }

  async put(document: SearchDocument): Promise<void> {
    await this.putMany([document]);
  }

  async putMany(documents: readonly SearchDocument[]): Promise<void> {
    // One document per article: the last of several for the same one wins, as written one after another would.
    const last = [...new Map(documents.map((d) => [d.articleId, d])).values()];
    await this.writeMany(this.db, last);
    // During an upgrade the legacy tables answer searches, so they take the change too.
    const legacy = await this.legacy(this.db);
    if (legacy) await this.writeMany(this.db, last, legacy);
  }

  async remove(articleId: number): Promise<void> {
    await this.removeFrom(this.db, articleId);
    const legacy = await this.legacy(this.db);
    if (legacy) await this.removeFrom(this.db, articleId, legacy);
  }

  /** FTS5 merges its segments as it writes (automerge). */
  async settle(): Promise<void> {}

  private async currentDoc(db: Kysely<DB>, articleId: number, docs = this.docs): Promise<number | undefined> {
    const { rows } = await sql<{ doc: number }>`select doc from ${docs} where article_id = ${articleId}`.execute(db);
    return rows[0]?.doc;
  }

  private async removeFrom(db: Kysely<DB>, articleId: number, { docs }: Tables = this.tables): Promise<boolean> {
    const doc = await this.currentDoc(db, articleId, docs);
    if (doc === undefined) return false;
    // The *_docs_unindex trigger deletes the doc's tokens too.
    await sql`delete from ${docs} where doc = ${doc}`.execute(db);
    return true;
  }

  /**
   * Documents written in a handful of statements however many (one for the outbox, a batch for a rebuild, a fill or an
   * import): the current keys in one read; a document keeping its key only changes its tokens, one getting a new key
   * (a new publication time) leaves its old row, whose trigger takes the old tokens; new keys are checked for
   * collisions a round at a time, the next 256 keys of each in one read (two articles share a key only in the same minute with ids 16 apart: the next free
   * one is taken); then multi-row inserts.
   */
  private async writeMany(db: Kysely<DB>, documents: readonly SearchDocument[], { docs, fts }: Tables = this.tables): Promise<void> {
    if (documents.length === 0) return;
    const ids = documents.map((d) => d.articleId);
    const { rows: held } = await sql<{ article_id: number; doc: number }>`select article_id, doc from ${docs}
      where article_id in (${sql.join(ids)})`.execute(db);
    const current = new Map(held.map((r) => [Number(r.article_id), Number(r.doc)]));
    const keep: number[] = [];
    const moved: number[] = [];
    const placed: { doc: number; d: SearchDocument; isNew: boolean }[] = [];
    for (const d of documents) {
      const wanted = docKey(d.publishedAt, d.articleId);
      const now = current.get(d.articleId);
      if (now === wanted) {
        keep.push(wanted);
        placed.push({ doc: wanted, d, isNew: false });
      } else {
        if (now !== undefined) moved.push(now);
        placed.push({ doc: wanted, d, isNew: true });
      }
    }
    // Same key: the tokens and the head change. A new key: the old row goes (its trigger takes its tokens).
    if (keep.length) await sql`delete from ${fts} where rowid in (${sql.join(keep)})`.execute(db);
    const kept = placed.filter((p) => !p.isNew);
    for (let i = 0; i < kept.length; i += 500) {
      const rows = kept.slice(i, i + 500).map((p) => sql`(${p.doc}, ${p.d.articleId}, ${p.d.publishedAt}, ${p.d.head})`);
      await sql`insert into ${docs} (doc, article_id, published_at, head) values ${sql.join(rows)}
        on conflict (doc) do update set head = excluded.head`.execute(db);
    }
    if (moved.length) await sql`delete from ${docs} where doc in (${sql.join(moved)})`.execute(db);
    const fresh = placed.filter((p) => p.isNew);
    const used = new Set(keep);
    // Each key's next PROBE keys are read at once: a minute holds SLOTS keys, so a burst (a bulk publish, a writer at
    // 5/s) spills into the next minutes' keys, and probing them one statement at a time cost a thousand statements
    // per publish after a few minutes of it.
    for (let pending = fresh; pending.length > 0; ) {
      const taken = new Set<number>();
      for (let i = 0; i < pending.length; i += 200) {
        const ranges = pending.slice(i, i + 200).map((p) => sql`(doc >= ${p.doc} and doc < ${p.doc + PROBE})`);
        const { rows } = await sql<{ doc: number }>`select doc from ${docs} where ${sql.join(ranges, sql` or `)}`.execute(db);
        for (const r of rows) taken.add(Number(r.doc));
      }
      const next: typeof pending = [];
      for (const p of pending) {
        const end = p.doc + PROBE;
        while (p.doc < end && (taken.has(p.doc) || used.has(p.doc))) p.doc++;
        if (p.doc < end) used.add(p.doc);
        else next.push(p);
      }
      pending = next;
    }
    for (let i = 0; i < fresh.length; i += 500) {
      const rows = fresh.slice(i, i + 500).map((p) => sql`(${p.doc}, ${p.d.articleId}, ${p.d.publishedAt}, ${p.d.head})`);
      await sql`insert into ${docs} (doc, article_id, published_at, head) values ${sql.join(rows)}`.execute(db);
    }
    for (let i = 0; i < placed.length; i += 100) {
      const rows = placed.slice(i, i + 100).map(({ doc, d }) => {
        const f = d.fields;
        return sql`(${doc}, ${wordText(f.title)}, ${wordText(f.tags)}, ${wordText(f.summary)}, ${wordText(f.body)},
          ${gramText(f.title)}, ${gramText(f.tags)}, ${gramText(f.summary)}, ${gramText(f.body)}, ${channelToken(d.channelId)})`;
      });
      await sql`insert into ${fts} (rowid, t, k, s, b, gt, gk, gs, gb, c) values ${sql.join(rows)}`.execute(db);
    }
  }

  async search(request: SearchRequest): Promise<SearchCandidates> {
    if (request.terms.length === 0) return { ids: [], total: 0 };
    return this.reading((t) => this.searchIn(t, request));
  }

  private async searchIn({ docs, fts }: Tables, request: SearchRequest): Promise<SearchCandidates> {
    const conditions: RawBuilder<unknown>[] = [sql`${fts} match ${ftsExpression(request.terms, request.channelIds)}`];
    // Doc keys order by publication time (to the minute), so date bounds are a rowid range (which FTS5 filters on
    // rather than seeks to: see fromNewerEnd).
    conditions.push(...keyRange(request));
    const where = sql.join(conditions, sql` and `);
    // The newest matches come straight off the index, the join on them only; their heads rank them. One read of the
    // index gives both them and the count (up to SEARCH_CAPS.total): a second read to count walked the doclist again
    // from its oldest end (see fromNewerEnd), 137 ms for a common word in a recent window at a million articles.
    const { rows: found } = await sql<{ id: number; at: number; head: string | null; n: number }>`
      with m as materialized (select rowid as doc from ${fts} where ${where} order by rowid desc limit ${SEARCH_CAPS.total})
      select d.article_id as id, d.published_at as at, d.head, (select count(*) from m) as n from (
        select doc from m order by doc desc limit ${SEARCH_CAPS.candidates}) c
      join ${docs} d on d.doc = c.doc where ${exactTimes(request)}`.execute(this.db);
    const rows = found.map((r) => ({ id: r.id, at: r.at, score: headScore(r.head, request.terms) }));
    rows.sort(byRelevance);
    const total = rows.length === SEARCH_CAPS.candidates ? Number(found[0]!.n) : rows.length;
    return { ids: rows.map((r) => r.id), total };
  }

  async termMatches(request: SearchRequest, cap: number, known: readonly (number | undefined)[] = []): Promise<TermMatches[]> {
    return this.reading((t) => this.termMatchesIn(t, request, cap, known));
  }

  private async termMatchesIn({ docs, fts }: Tables, request: SearchRequest, cap: number, known: readonly (number | undefined)[]): Promise<TermMatches[]> {
    const out: TermMatches[] = [];
    // Asked once, and only when a term's count is read at all (most terms' matches stay under the cap).
    let newerEnd: Promise<boolean> | undefined;
    for (const [i, term] of request.terms.entries()) {
      const conditions: RawBuilder<unknown>[] = [sql`${fts} match ${ftsExpression([term], request.channelIds)}`];
      conditions.push(...keyRange(request));
      const where = sql.join(conditions, sql` and `);
      const { rows } = await sql<{ id: number; at: number; head: string | null }>`
        select d.article_id as id, d.published_at as at, d.head from (
          select rowid as doc from ${fts} where ${where}
          order by rowid desc limit ${cap}) c
        join ${docs} d on d.doc = c.doc where ${exactTimes(request)}`.execute(this.db);
      let count = rows.length;
      if (count === cap && known[i] !== undefined) count = known[i];
      else if (count === cap) {
        const { rows: counted } = await countUpTo(fts, where, SEARCH_CAPS.termCount, await (newerEnd ??= fromNewerEnd(this.db, docs, request))).execute(
          this.db,
        );
        count = Number(counted[0]?.n ?? count);
      }
      out.push({
        hits: rows.map((r) => ({ id: r.id, at: r.at, field: headField(r.head, term) })),
        count,
      });
    }
    return out;
  }

  async anyMatch(request: SearchRequest): Promise<boolean> {
    return (await this.matching(request, 1)).ids.length > 0;
  }

  async matching(request: SearchRequest, cap: number): Promise<SearchMatches> {
    if (request.terms.length === 0) return { ids: [], capped: false };
    return this.reading((t) => this.matchingIn(t, request, cap));
  }

  private async matchingIn({ docs, fts }: Tables, request: SearchRequest, cap: number): Promise<SearchMatches> {
    const conditions: RawBuilder<unknown>[] = [sql`${fts} match ${ftsExpression(request.terms, request.channelIds)}`];
    conditions.push(...keyRange(request));
    const { rows } = await sql<{ id: number }>`select d.article_id as id from (
        select rowid as doc from ${fts} where ${sql.join(conditions, sql` and `)} order by rowid desc limit ${cap + 1}) c
      join ${docs} d on d.doc = c.doc where ${exactTimes(request)}`.execute(this.db);
    return { ids: rows.slice(0, cap).map((r) => r.id), capped: rows.length > cap };
  }

  /**
   * A rebuild writes thousands of segments' worth of documents and ends merging everything into one segment anyway
   * (mergeAll); FTS5 merges and flushes the way a bulk write wants meanwhile (REBUILD_SETTINGS). FTS5's defaults come
   * back after, whether the rebuild finished or failed; a process killed meanwhile leaves the rebuild's settings until
   * the next rebuild ends, which costs searches a few more segments to read and nothing else.
   */
  async rebuild(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
    const settings = Object.entries(REBUILD_SETTINGS);
    for (const [name, { during }] of settings) await this.setting(name, during);
    try {
      return await this.rebuildInBatches(document, progress, from);
    } finally {
      for (const [name, { after }] of settings) await this.setting(name, after);
    }
  }

  private async setting(name: string, value: number): Promise<void> {
    await sql`insert into ${this.fts} (${this.fts}, rank) values (${name}, ${sql.lit(value)})`.execute(this.db);
  }

  private async rebuildInBatches(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
    // Another process (the server, publishing while `inkstone reindex` runs) gets the write lock within about a second.
    const pacer = new LockPacer(this.lockHoldMs);
    const indexed = await pipelinedBatches(
      document,
      (after) => articleBatch(this.db, this.scope, after, this.rebuildBatch, false),
      // Each batch is one write transaction taken up front, so no other process writes between our reads and writes.
      (after) =>
        this.immediate(async (db) => {
          const rows = await articleBatch(db, this.scope, after, this.rebuildBatch, false);
          await this.writeMany(db, rows.map(document));
          return rows;
        }, pacer),
      { from: from?.afterId ?? 0, progress },
    );
    // Documents of articles gone or moved out of this index (unpublished behind its back: a restored backup, a manual
    // fix). Looking for them reads every document (seconds at a million), so it is a read, not a write transaction;
    // each is checked again in the transaction that removes it.
    const stale = (db: Kysely<DB>, ids?: readonly number[]) =>
      sql<{ article_id: number }>`select d.article_id from ${this.docs} d left join articles a on a.id = d.article_id
        where (a.id is null or ${this.scope === 'published' ? sql`a.status <> 'published'` : sql`a.status = 'published'`})
        ${ids ? sql`and d.article_id in (${sql.join(ids)})` : sql``}`.execute(db);
    const { rows: found } = await stale(this.db);
    let removed = 0;
    for (let i = 0; i < found.length; i += this.rebuildBatch) {
      const ids = found.slice(i, i + this.rebuildBatch).map((r) => Number(r.article_id));
      removed += await this.immediate(async (db) => {
        const { rows } = await stale(db, ids);
        for (const r of rows) await this.removeFrom(db, r.article_id);
        return rows.length;
      }, pacer);
    }
    // Ours hold every document now: an upgrade's legacy tables go.
    await this.immediate((db) => this.dropLegacy(db), pacer);
    await this.mergeAll(pacer);
    return { indexed, removed };
  }

  /**
   * Merges the index's segments into one (fewer b-trees for every search to read), as FTS5's 'optimize' does, but a
   * step at a time, each in its own write transaction, paced (LockPacer) so that another process's writer gets the lock
   * within about a second: 'optimize' is one statement, and at a million articles it held the database's write lock for
   * ~55 s, so the server's publishes meanwhile failed after their busy timeout (as they did with steps taken again at
   * once, in gaps too short for the busy handler's sleeps). FTS5's 'merge' with a negative page count gathers every
   * segment onto one level and starts merging them; the later steps (positive, so segments another process adds
   * meanwhile do not restart it) carry that merge on; a step that changes fewer than two rows had nothing left to do
   * (FTS5's documentation of 'merge').
   */
  private async mergeAll(pacer: LockPacer): Promise<void> {
    for (let step = 0; ; step++) {
      const pages = step === 0 ? -this.mergeStepPages : this.mergeStepPages;
      const changed = await this.immediate(async (db) => {
        const before = await totalChanges(db);
        await sql`insert into ${this.fts} (${this.fts}, rank) values ('merge', ${sql.lit(pages)})`.execute(db);
        return (await totalChanges(db)) - before;
      }, pacer);
      if (changed < 2) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async fill(document: DocumentMaker, progress?: (indexed: number) => void, signal?: AbortSignal): Promise<number> {
    const heads = await fillHeads(this.db, this.docs, signal);
    if (heads > 0) progress?.(heads);
    const pacer = new LockPacer(this.lockHoldMs);
    const indexed = await pipelinedBatches(
      document,
      (after) => articleBatch(this.db, this.scope, after, REBUILD_BATCH, false, this.docs),
      // Read and written in one write transaction: no other process indexes an article between the two.
      (after) =>
        this.immediate(async (db) => {
          const rows = await articleBatch(db, this.scope, after, REBUILD_BATCH, false, this.docs);
          await this.writeMany(db, rows.map(document));
          // The last batch: nothing after it is missing, and what the newsroom changed meanwhile the outbox put in ours,
          // so an upgrade's legacy tables go in the same transaction (a fill stopped before never drops them).
          if (rows.length < REBUILD_BATCH) await this.dropLegacy(db);
          return rows;
        }, pacer),
      { signal, progress: progress && ((n) => progress(heads + n)), pause: true },
    );
    return heads + indexed;
  }

  /**
   * Whole documents in our tables; one less while an upgrade's legacy tables remain, so the backlog runs the fill that
   * drops them even when the outbox alone has filled ours.
   */
  async count(): Promise<number> {
    // The search backlog's check at each start: at a million articles, from a cold cache, 0.2 s of the event loop.
    const apart = await scanApart<number>(this.db, this.sqliteFile, this.scanApartFrom, (file) => ({ kind: 'wholeDocuments', file, scope: this.scope }));
    if (apart !== undefined) return apart;
    const whole = await wholeDocuments(this.db, this.docs);
    return (await this.legacy(this.db)) ? Math.max(0, whole - 1) : whole;
  }

  /** `fn` in a write transaction taken up front; a job's transactions go through its `pacer`. */
  private async immediate<T>(fn: (db: Kysely<DB>) => Promise<T>, pacer?: LockPacer): Promise<T> {
    if (this.db.isTransaction) return fn(this.db);
    if (pacer) return pacer.run(() => this.immediate(fn));
    return this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
    });
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await sql`select 1 from ${this.docs} limit 1`.execute(this.db);
    return rows.length === 0;
  }

  async stats(): Promise<{ documents: number; bytes: number }> {
    const { rows } = await sql<{ n: number }>`select count(*) as n from ${this.docs}`.execute(this.db);
    const { rows: size } = await sql<{ bytes: number | null }>`select sum(pgsize) as bytes from dbstat
      where name like ${`${this.scope === 'published' ? 'search' : 'draft'}\\_%`} escape '\\'
        or name like ${`sqlite_autoindex_${this.scope === 'published' ? 'search' : 'draft'}\\_%`} escape '\\'`.execute(this.db);
    return { documents: Number(rows[0]?.n ?? 0), bytes: Number(size[0]?.bytes ?? 0) };
  }
}
