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
import { articleBatch, byRelevance, fillHeads, pipelinedBatches, REBUILD_BATCH, SEARCH_CAPS, wholeDocuments, type IndexScope } from './shared.ts';

/**
 * SQLite: one contentless FTS5 table (search_fts) over pre-segmented text: four word columns, four gram
 * columns and the channel, beside search_docs (which article each FTS row is, and its head for ranking). The FTS
 * rowid ("doc") orders by publication time, so the newest matches and date ranges come straight off the index.
 * Nothing asks FTS5 for bm25: it counts each phrase's documents over its whole posting list, which cost more than the
 * match itself (see domain/search/ranking.ts).
 */

// Columns: t, k, s, b (words of title, tags, summary, body), gt, gk, gs, gb (their grams) and c (channel).
const WORD_COLUMNS = '{t k s b}';
const GRAM_COLUMNS = '{gt gk gs gb}';
/**
 * Doc keys leave this many slots per minute of publication time. Every posting in the index stores the gap to the
 * previous doc key as a varint: milliseconds × 1024 made keys 10¹⁵ apart-ish and the index twice the text; a minute's
 * 16 slots keep keys nearly dense (a busy newsroom publishes a few articles a minute) and the index near the text's size.
 */
const SLOTS = 16;
const MINUTE = 60_000;

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
const channelToken = (id: number) => `c${id}`;

/** An FTS5 expression built from terms only: every token is a quoted string, so no input is ever syntax. */
export function ftsExpression(terms: Term[], channelIds?: number[]): string {
  const one = (t: WordTerm | TextTerm) => {
    if (t.kind === 'word') return `${WORD_COLUMNS} : ${quote(t.token)}`;
    const grams = `${GRAM_COLUMNS} : ${quote(t.phrase.grams.join(' '))}${t.phrase.prefix ? ' *' : ''}`;
    if (!t.words) return grams;
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
 * Date bounds as a range of doc keys FTS5 seeks to: whole minutes, so exact for bounds on a minute (a day in any time
 * zone); `exactTimes` then drops what a bound inside a minute leaves out of range.
 */
function keyRange(request: SearchRequest): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  if (request.from !== undefined) out.push(sql`rowid >= ${keyBefore(request.from)}`);
  if (request.to !== undefined) out.push(sql`rowid < ${keyFrom(request.to)}`);
  return out;
}

function exactTimes(request: SearchRequest): RawBuilder<unknown> {
  const out: RawBuilder<unknown>[] = [sql`1 = 1`];
  if (request.from !== undefined && request.from % MINUTE !== 0) out.push(sql`d.published_at >= ${request.from}`);
  if (request.to !== undefined && request.to % MINUTE !== 0) out.push(sql`d.published_at < ${request.to}`);
  return sql.join(out, sql` and `);
}

/** The tables of one index: the public one (search_docs, search_fts) or the draft index (draft_docs, draft_fts). */
const TABLES = {
  published: { docs: sql.table('search_docs'), fts: sql.table('search_fts') },
  unpublished: { docs: sql.table('draft_docs'), fts: sql.table('draft_fts') },
};

export class SqliteSearchIndex implements SearchIndex {
  private readonly docs;
  private readonly fts;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly scope: IndexScope = 'published',
  ) {
    this.docs = TABLES[scope].docs;
    this.fts = TABLES[scope].fts;
  }

  async put(document: SearchDocument): Promise<void> {
    await this.writeMany(this.db, [document]);
  }

  async putMany(documents: readonly SearchDocument[]): Promise<void> {
    // One document per article: the last of several for the same one wins, as written one after another would.
    const last = new Map(documents.map((d) => [d.articleId, d]));
    await this.writeMany(this.db, [...last.values()]);
  }

  async remove(articleId: number): Promise<void> {
    await this.removeFrom(this.db, articleId);
  }

  private async currentDoc(db: Kysely<DB>, articleId: number): Promise<number | undefined> {
    const { rows } = await sql<{ doc: number }>`select doc from ${this.docs} where article_id = ${articleId}`.execute(db);
    return rows[0]?.doc;
  }

  private async removeFrom(db: Kysely<DB>, articleId: number): Promise<boolean> {
    const doc = await this.currentDoc(db, articleId);
    if (doc === undefined) return false;
    // The *_docs_unindex trigger deletes the doc's tokens too.
    await sql`delete from ${this.docs} where doc = ${doc}`.execute(db);
    return true;
  }

  /**
   * Documents written in a handful of statements however many (one for the outbox, a batch for a rebuild, a fill or an
   * import): the current keys in one read; a document keeping its key only changes its tokens, one getting a new key
   * (a new publication time) leaves its old row, whose trigger takes the old tokens; new keys are checked for
   * collisions a round at a time (two articles share a key only in the same minute with ids 16 apart: the next free
   * one is taken); then multi-row inserts.
   */
  private async writeMany(db: Kysely<DB>, documents: readonly SearchDocument[]): Promise<void> {
    if (documents.length === 0) return;
    const ids = documents.map((d) => d.articleId);
    const { rows: held } = await sql<{ article_id: number; doc: number }>`select article_id, doc from ${this.docs}
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
    if (keep.length) await sql`delete from ${this.fts} where rowid in (${sql.join(keep)})`.execute(db);
    const kept = placed.filter((p) => !p.isNew);
    for (let i = 0; i < kept.length; i += 500) {
      const rows = kept.slice(i, i + 500).map((p) => sql`(${p.doc}, ${p.d.articleId}, ${p.d.publishedAt}, ${p.d.head})`);
      await sql`insert into ${this.docs} (doc, article_id, published_at, head) values ${sql.join(rows)}
        on conflict (doc) do update set head = excluded.head`.execute(db);
    }
    if (moved.length) await sql`delete from ${this.docs} where doc in (${sql.join(moved)})`.execute(db);
    const fresh = placed.filter((p) => p.isNew);
    const used = new Set(keep);
    for (let pending = fresh; pending.length > 0; ) {
      const { rows: taken } = await sql<{ doc: number }>`select doc from ${this.docs} where doc in (${sql.join(pending.map((p) => p.doc))})`.execute(db);
      const takenKeys = new Set(taken.map((r) => Number(r.doc)));
      const next: typeof pending = [];
      for (const p of pending) {
        if (takenKeys.has(p.doc) || used.has(p.doc)) {
          p.doc++;
          next.push(p);
        } else used.add(p.doc);
      }
      pending = next;
    }
    for (let i = 0; i < fresh.length; i += 500) {
      const rows = fresh.slice(i, i + 500).map((p) => sql`(${p.doc}, ${p.d.articleId}, ${p.d.publishedAt}, ${p.d.head})`);
      await sql`insert into ${this.docs} (doc, article_id, published_at, head) values ${sql.join(rows)}`.execute(db);
    }
    for (let i = 0; i < placed.length; i += 100) {
      const rows = placed.slice(i, i + 100).map(({ doc, d }) => {
        const f = d.fields;
        return sql`(${doc}, ${wordText(f.title)}, ${wordText(f.tags)}, ${wordText(f.summary)}, ${wordText(f.body)},
          ${gramText(f.title)}, ${gramText(f.tags)}, ${gramText(f.summary)}, ${gramText(f.body)}, ${channelToken(d.channelId)})`;
      });
      await sql`insert into ${this.fts} (rowid, t, k, s, b, gt, gk, gs, gb, c) values ${sql.join(rows)}`.execute(db);
    }
  }

  async search(request: SearchRequest): Promise<SearchCandidates> {
    if (request.terms.length === 0) return { ids: [], total: 0 };
    const conditions: RawBuilder<unknown>[] = [sql`${this.fts} match ${ftsExpression(request.terms, request.channelIds)}`];
    // Doc keys order by publication time (to the minute), so date bounds are a rowid range FTS5 seeks to.
    conditions.push(...keyRange(request));
    const where = sql.join(conditions, sql` and `);
    // The newest matches come straight off the index, the join on them only; their heads rank them.
    const { rows: found } = await sql<{ id: number; at: number; head: string | null }>`
      select d.article_id as id, d.published_at as at, d.head from (
        select rowid as doc from ${this.fts} where ${where}
        order by rowid desc limit ${SEARCH_CAPS.candidates}) c
      join ${this.docs} d on d.doc = c.doc where ${exactTimes(request)}`.execute(this.db);
    const rows = found.map((r) => ({ id: r.id, at: r.at, score: headScore(r.head, request.terms) }));
    rows.sort(byRelevance);
    let total = rows.length;
    if (total === SEARCH_CAPS.candidates) {
      const { rows: counted } = await sql<{ n: number }>`select count(*) as n from (
        select 1 from ${this.fts} where ${where} limit ${SEARCH_CAPS.total}) x`.execute(this.db);
      total = Number(counted[0]?.n ?? total);
    }
    return { ids: rows.map((r) => r.id), total };
  }

  async termMatches(request: SearchRequest, cap: number): Promise<TermMatches[]> {
    const out: TermMatches[] = [];
    for (const term of request.terms) {
      const conditions: RawBuilder<unknown>[] = [sql`${this.fts} match ${ftsExpression([term], request.channelIds)}`];
      conditions.push(...keyRange(request));
      const where = sql.join(conditions, sql` and `);
      const { rows } = await sql<{ id: number; at: number; head: string | null }>`
        select d.article_id as id, d.published_at as at, d.head from (
          select rowid as doc from ${this.fts} where ${where}
          order by rowid desc limit ${cap}) c
        join ${this.docs} d on d.doc = c.doc where ${exactTimes(request)}`.execute(this.db);
      let count = rows.length;
      if (count === cap) {
        const { rows: counted } = await sql<{ n: number }>`select count(*) as n from (
          select 1 from ${this.fts} where ${where} limit ${SEARCH_CAPS.total}) x`.execute(this.db);
        count = Number(counted[0]?.n ?? count);
      }
      out.push({
        hits: rows.map((r) => ({ id: r.id, at: r.at, field: headField(r.head, term) })),
        count,
      });
    }
    return out;
  }

  async matching(request: SearchRequest, cap: number): Promise<SearchMatches> {
    if (request.terms.length === 0) return { ids: [], capped: false };
    const conditions: RawBuilder<unknown>[] = [sql`${this.fts} match ${ftsExpression(request.terms, request.channelIds)}`];
    conditions.push(...keyRange(request));
    const { rows } = await sql<{ id: number }>`select d.article_id as id from (
        select rowid as doc from ${this.fts} where ${sql.join(conditions, sql` and `)} order by rowid desc limit ${cap + 1}) c
      join ${this.docs} d on d.doc = c.doc where ${exactTimes(request)}`.execute(this.db);
    return { ids: rows.slice(0, cap).map((r) => r.id), capped: rows.length > cap };
  }

  async rebuild(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
    const indexed = await pipelinedBatches(
      document,
      (after) => articleBatch(this.db, this.scope, after, REBUILD_BATCH, false),
      // Each batch is one write transaction taken up front, so no other process writes between our reads and writes.
      (after) =>
        this.immediate(async (db) => {
          const rows = await articleBatch(db, this.scope, after, REBUILD_BATCH, false);
          await this.writeMany(db, rows.map(document));
          return rows;
        }),
      { from: from?.afterId ?? 0, progress },
    );
    const removed = await this.immediate(async (db) => {
      const { rows } = await sql<{ article_id: number }>`select d.article_id from ${this.docs} d
        left join articles a on a.id = d.article_id where a.id is null or ${this.scope === 'published' ? sql`a.status <> 'published'` : sql`a.status = 'published'`}`.execute(
        db,
      );
      for (const r of rows) await this.removeFrom(db, r.article_id);
      return rows.length;
    });
    // Merges the index's segments into one: fewer b-trees to search afterwards.
    await sql`insert into ${this.fts} (${this.fts}) values ('optimize')`.execute(this.db);
    return { indexed, removed };
  }

  async fill(document: DocumentMaker, progress?: (indexed: number) => void, signal?: AbortSignal): Promise<number> {
    const heads = await fillHeads(this.db, this.docs, signal);
    if (heads > 0) progress?.(heads);
    const indexed = await pipelinedBatches(
      document,
      (after) => articleBatch(this.db, this.scope, after, REBUILD_BATCH, false, this.docs),
      // Read and written in one write transaction: no other process indexes an article between the two.
      (after) =>
        this.immediate(async (db) => {
          const rows = await articleBatch(db, this.scope, after, REBUILD_BATCH, false, this.docs);
          await this.writeMany(db, rows.map(document));
          return rows;
        }),
      { signal, progress: progress && ((n) => progress(heads + n)), pause: true },
    );
    return heads + indexed;
  }

  async count(): Promise<number> {
    return wholeDocuments(this.db, this.docs);
  }

  private async immediate<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this.db);
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
