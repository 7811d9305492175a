import type { Ctx } from '../context.ts';
import type { ChannelRepository, JobTransactions, Postings, RelatedRepository, Store } from '../store.ts';
import type { Article } from './article.ts';
import { ARTICLE_INDEXING, ARTICLE_RELATED } from './outbox-topics.ts';
import { KeptPostings } from './kept-postings.ts';
import { archiveDamping, type Corpus, kthLargestOf, POSTINGS, postingsDepth } from './related-candidates.ts';
import type { BatchScoring, Candidate, ComputedList, RelatedDocument, ScoredArticle, ScoredItem } from './related-reading.ts';
import { ANALYSED_CHARS, analyseArticle, analyseBacklog, type BacklogOptions, RELATED, refreshRelated, relatedScore, sectionIndex } from './related.ts';

/*
 * The bulk path of related reading: the backlog of a large import, restore or bulk load, many articles never analysed.
 * The per-article path (analyseBacklog, the outbox) reads the archive's postings once per article; here a batch's
 * distinct terms are read once for the whole batch and every article of it is scored in memory against them and
 * against the batch's own articles, with the same rules (archive damping, minSimilarity, minSharedTerms, relatedScore,
 * keep 16, offer to the best 24, published candidates only). Picks are never touched: they live apart (related_picks).
 */

export const BULK = {
  /** From this many articles never analysed, a backlog takes the bulk path. */
  from: 300,
  /** Articles analysed (in the body workers) and scored together. */
  batch: 1_000,
  /**
   * Articles per write transaction at most. SQLite runs a transaction on the event loop and readers wait for it, so
   * there each part is sized from the last one's time to take about `writeMs` (at least 10 articles); PostgreSQL's
   * readers do not wait, and its parts are all this size (parts sized as on SQLite took 7.7 ms of CPU an article, ours and the server’s, against 6.4 at 200).
   */
  write: 200,
  writeMs: 30,
  /** Postings held in memory at once while scoring: a batch whose terms need more is scored in groups. */
  postings: 3_000_000,
  /**
   * Postings kept from batch to batch (see KeptPostings): each term's read from the database once in a run, the run's
   * own analyses added as they are scored. Past this many the kept ones are let go and read again. 0: none kept.
   */
  kept: 4_000_000,
};

/** Milliseconds of the event loop by step of the bulk path so far in this process (bench/import.ts prints them). */
export const bulkTimings = { waitingForAnalysis: 0, frequencies: 0, postings: 0, shortlists: 0, scoring: 0, writing: 0, longestWrite: 0, writes: 0 };
const since = (t0: number) => performance.now() - t0;

/** Ids looked at per query (see analyseBacklog's BACKLOG_SPAN: a look over every id would hold the event loop). */
const SPAN = 5_000;
/** documentFrequencies' terms per call (each term is a sub-select; SQLite allows 500 in one compound SELECT). */
const DF_TERMS = 400;

const turn = () => new Promise((resolve) => setImmediate(resolve));
/** Articles scored between two turns of the event loop (~0.5 ms each). */
const YIELD_EVERY = 64;

/**
 * Related reading of the articles never analysed: the bulk path when there are many (BULK.from), else the per-article
 * analyseBacklog. The same options and answer (the count analysed).
 */
export async function analyseRelatedBacklog(ctx: Ctx, options: BacklogOptions = {}): Promise<number> {
  const last = await ctx.store.related.lastArticleId();
  const probe = await unanalysedBatch(ctx.store, 0, last, BULK.from);
  if (probe.ids.length === 0) return 0;
  if (probe.ids.length < BULK.from) return analyseBacklog(ctx, options);
  return analyseBacklogInBulk(ctx, options);
}

/** Up to `size` ids never analysed after `after` (to `last`), looked for a span at a time, yielding between spans. */
async function unanalysedBatch(store: Store, after: number, last: number, size: number): Promise<{ ids: number[]; reached: number }> {
  const ids: number[] = [];
  let reached = after;
  while (ids.length < size && reached < last) {
    const upTo = Math.min(last, reached + SPAN);
    const wanted = size - ids.length;
    const found = await store.related.unanalysedIds(reached, wanted, upTo);
    ids.push(...found);
    reached = found.length === wanted ? found[found.length - 1]! : upTo;
    if (found.length < wanted) await turn();
  }
  return { ids, reached };
}

interface Batch {
  articles: Article[];
  docs: RelatedDocument[];
  /** The id the next batch starts after. */
  reached: number;
}

/**
 * The next batch: its articles read (their openings only) and analysed in the body workers. Articles with work queued
 * in the outbox are the outbox's (see analyseBacklog). Undefined once nothing is left up to `last`.
 */
async function loadBatch(ctx: Ctx, after: number, last: number, prepare: BacklogOptions['prepare']): Promise<Batch | undefined> {
  let reached = after;
  while (reached < last) {
    const found = await unanalysedBatch(ctx.store, reached, last, BULK.batch);
    reached = found.reached;
    if (found.ids.length === 0) continue;
    const queued = new Set(await ctx.store.outbox.queued([ARTICLE_INDEXING, ARTICLE_RELATED], found.ids));
    const ids = found.ids.filter((id) => !queued.has(id));
    if (ids.length === 0) continue;
    const articles = await ctx.store.articles.findMany(ids, { openingChars: ANALYSED_CHARS });
    if (articles.length === 0) continue;
    // A failed preparation only means the analysis is done here, on the event loop.
    const analyse = () => articles.map((a) => analyseArticle(a));
    const docs = prepare ? await prepare(articles).catch(analyse) : analyse();
    return { articles, docs: docs.length === articles.length ? docs : analyse(), reached };
  }
  return undefined;
}

/**
 * The backlog in batches: each batch analysed in the body workers while the one before it is scored and written,
 * written in short transactions (on SQLite sized to take BULK.writeMs; at most BULK.write articles each: terms,
 * buckets, fingerprints, lists and offers together, so what is committed is whole and an interrupted run resumes from
 * the database). An article edited (or analysed by the outbox) between its read and its write is left as the edit made
 * it; on PostgreSQL each transaction takes the related refresh lock.
 */
export async function analyseBacklogInBulk(ctx: Ctx, { signal, progress, prepare }: BacklogOptions = {}): Promise<number> {
  const last = await ctx.store.related.lastArticleId();
  const scorer = new Scorer(last);
  const writes = ctx.store.jobTransactions();
  let analysed = 0;
  let next = loadBatch(ctx, 0, last, prepare);
  let size = ctx.store.related.writesHoldReaders ? Math.min(BULK.write, 50) : BULK.write;
  while (!signal?.aborted) {
    let t0 = performance.now();
    const batch = await next;
    bulkTimings.waitingForAnalysis += since(t0);
    if (!batch) break;
    // The next batch is read and analysed in the workers while this one is scored and written.
    next = signal?.aborted ? Promise.resolve(undefined) : loadBatch(ctx, batch.reached, last, prepare);
    // A failure to read ahead shows when it is awaited; until then it must not be an unhandled rejection.
    next.catch(() => {});
    const lists = await scorer.score(ctx.store, batch.articles, batch.docs);
    for (let i = 0; i < batch.articles.length && !signal?.aborted; ) {
      const part = batch.articles.slice(i, i + size).map((article, k) => ({ article, doc: batch.docs[i + k]! }));
      i += part.length;
      t0 = performance.now();
      const written = await writePart(ctx, writes, part, lists, batch.articles);
      const ms = since(t0);
      bulkTimings.writing += ms;
      bulkTimings.longestWrite = Math.max(bulkTimings.longestWrite, ms);
      bulkTimings.writes++;
      if (ctx.store.related.writesHoldReaders) size = Math.round(Math.min(BULK.write, Math.max(10, (part.length * BULK.writeMs) / Math.max(1, ms), size / 2)));
      else size = BULK.write;
      analysed += written;
      progress?.(analysed, part[part.length - 1]!.article.id, last);
      await turn();
    }
  }
  // What was read ahead is dropped: it is found again by the next run.
  await next.catch(() => undefined);
  return analysed;
}

type Computed = ComputedList;

/** Writes a part of a batch in one transaction; returns how many of its articles were analysed. */
async function writePart(
  ctx: Ctx,
  writes: JobTransactions,
  part: readonly { article: Article; doc: RelatedDocument }[],
  lists: ReadonlyMap<number, Computed>,
  batch: readonly Article[],
): Promise<number> {
  const batchIds = batch.map((a) => a.id);
  try {
    return await writes.transaction(async (store) => {
      await store.related.lockForRefresh();
      const state = await store.related.analysisState(part.map((p) => p.article.id));
      // Edited since it was read (its text or status may have changed: the outbox has its work), or analysed meanwhile
      // by the outbox: its state is newer than this analysis.
      const fresh = part.filter(({ article }) => {
        const s = state.get(article.id);
        return s !== undefined && !s.analysed && s.revision === article.revision;
      });
      if (fresh.length === 0) return 0;
      await writeAnalysed(store, fresh, lists, batchIds, ctx.clock.now());
      return fresh.length;
    });
  } catch {
    // A conflict with a concurrent writer (PostgreSQL: the outbox analysing one of them at the same moment): each
    // article of the part on its own, as the per-article path does it, skipping those analysed meanwhile.
    let written = 0;
    for (const { article: seen, doc } of part) {
      await writes.transaction(async (store) => {
        const article = await store.articles.findById(seen.id);
        if (!article || (await store.related.sourceHash(article.id)) !== undefined) return;
        await refreshRelated(store, article, ctx.clock.now(), { prepared: doc });
        written++;
      });
    }
    return written;
  }
}

/**
 * Writes analysed articles' documents (terms, band keys, fingerprints) and their computed lists and offers, in the
 * caller's transaction (which holds the related lock on PostgreSQL). Candidates taken down since they were scored (their
 * withdrawal may have committed in between) are in no list. `batch`: the ids scored together (offers between them
 * were merged into their lists already).
 */
async function writeAnalysed(
  store: Store,
  fresh: readonly { article: Pick<Article, 'id'>; doc: RelatedDocument }[],
  lists: ReadonlyMap<number, Computed>,
  batch: readonly number[],
  now: number,
): Promise<void> {
  const referenced = new Set<number>();
  for (const { article } of fresh) {
    const computed = lists.get(article.id);
    for (const i of computed?.items ?? []) referenced.add(i.id);
    for (const o of computed?.offers ?? []) referenced.add(o.id);
  }
  const live = await store.related.publishedAmong([...referenced]);
  const written = fresh.map(({ article }) => {
    const computed = lists.get(article.id);
    return {
      articleId: article.id,
      items: (computed?.items ?? []).filter((i) => live.has(i.id)),
      offers: (computed?.offers ?? []).filter((o) => live.has(o.id)),
    };
  });
  await store.related.saveDocuments(
    fresh.map(({ article, doc }) => ({ articleId: article.id, doc })),
    now,
  );
  await store.related.writeLists(
    written.map(({ articleId, items }) => ({ articleId, items })),
    written.flatMap(({ articleId, offers }) => offers.map((o) => ({ targetId: o.id, relatedId: articleId, score: o.score }))),
    RELATED.keep,
    batch,
  );
}

/**
 * Where a batch's provisional ids start: above every id an archive has, as the ids the articles will get are, so ties
 * (equal similarity or score, broken by the newer id) fall as they will with the real ids. Never an index into the
 * scorer's arrays (those are for the archive's candidates).
 */
const PROVISIONAL = 2_000_000_000;

/** What a batch's scoring reads of each article. */
type Scored = ScoredArticle & Pick<Article, 'id'>;

/** What scoring reads of the archive: its postings and statistics, which candidates are published, its channels. */
export interface ScoringReads {
  related: Pick<RelatedRepository, 'lastArticleId' | 'documentFrequencies' | 'postings' | 'publishedAmong'>;
  channels: Pick<ChannelRepository, 'all'>;
}

/** A batch's computed lists by provisional id (see RelatedOfNew). */
export type BatchLists = ReadonlyMap<number, Computed>;

/** Batch scoring on the thread that asks, reading the archive through `reads`. */
export class LocalBatchScoring implements BatchScoring {
  private scorer: Scorer | undefined;
  private last: readonly RelatedDocument[] = [];

  constructor(private readonly reads: ScoringReads) {}

  async score(articles: readonly ScoredArticle[], docs: readonly RelatedDocument[]): Promise<BatchLists> {
    this.last = [];
    this.scorer ??= new Scorer(await this.reads.related.lastArticleId());
    const provisional = articles.map((a, i) => ({ ...a, id: PROVISIONAL + i }));
    const lists = await this.scorer.score(this.reads, provisional, docs, { remember: false });
    this.last = docs;
    return lists;
  }

  written(ids: readonly (number | undefined)[]): void {
    const docs = this.last;
    this.last = [];
    this.scorer?.remember(ids.flatMap((id, i) => (id === undefined || !docs[i] ? [] : [{ id, doc: docs[i] }])));
  }

  async close(): Promise<void> {
    this.scorer = undefined;
  }
}

/**
 * Related reading of articles as they are written (an import's batches): each batch scored as the bulk path scores a
 * backlog's, under provisional ids (the articles have none yet), and written in the transaction that inserts the
 * articles, under the ids they got. Batches are scored one after another, each after the one before it was written
 * (or dropped): the run keeps what it read of the archive's postings, and learns each batch's terms once it is
 * written (written()). The scoring is `apart` when given, in a thread of its own (see the import's commit for what
 * runs meanwhile); should the thread fail, that batch is left to the backlog and the rest of the run is scored here.
 */
export class RelatedOfNew {
  private scoring: BatchScoring;

  constructor(
    private readonly local: () => BatchScoring,
    apart?: BatchScoring,
  ) {
    this.scoring = apart ?? local();
  }

  /** The lists of a batch's published articles (by their index in `articles`), or undefined when the scoring failed. */
  async score(articles: readonly ScoredArticle[], docs: readonly RelatedDocument[]): Promise<ScoredBatch | undefined> {
    try {
      return { lists: await this.scoring.score(articles, docs), docs };
    } catch {
      // The thread is gone: the batches after this one are scored here, by a scorer that reads the archive afresh. Not
      // this one: its transaction may have begun (on PostgreSQL it waits for the lists inside), and a failing thread
      // is no time to score twice.
      if (!(this.scoring instanceof LocalBatchScoring)) {
        void this.scoring.close().catch(() => undefined);
        this.scoring = this.local();
      }
      // Related reading never fails an import: the articles are left unanalysed, and the server's backlog does them.
      return undefined;
    }
  }

  /**
   * Writes the batch's analyses in the caller's transaction: `ids[i]` the id article i got, or undefined when it was
   * not written (imported meanwhile by another run). Once committed, the same ids go to written().
   */
  async write(store: Store, batch: ScoredBatch, ids: readonly (number | undefined)[], now: number): Promise<void> {
    const real = (id: number) => (id >= PROVISIONAL ? ids[id - PROVISIONAL] : id);
    const lists = new Map<number, Computed>();
    const fresh: { article: { id: number }; doc: RelatedDocument }[] = [];
    for (const [i, doc] of batch.docs.entries()) {
      const id = ids[i];
      if (id === undefined) continue;
      fresh.push({ article: { id }, doc });
      const computed = batch.lists.get(PROVISIONAL + i);
      if (!computed) continue;
      const mapped = (items: readonly ScoredItem[]) =>
        items.flatMap((item) => {
          const to = real(item.id);
          return to === undefined ? [] : [{ id: to, score: item.score }];
        });
      lists.set(id, { items: mapped(computed.items), offers: mapped(computed.offers) });
    }
    if (fresh.length === 0) return;
    await store.related.lockForRefresh();
    await writeAnalysed(
      store,
      fresh,
      lists,
      fresh.map((f) => f.article.id),
      now,
    );
  }

  /** A batch's analyses committed under these ids (as given to write()): later batches find them among the postings the run keeps. */
  written(ids: readonly (number | undefined)[]): void {
    this.scoring.written(ids);
  }
}

/** A batch's computed lists under provisional ids (see RelatedOfNew), with the analyses they were scored from. */
export interface ScoredBatch {
  readonly lists: BatchLists;
  readonly docs: readonly RelatedDocument[];
}

/**
 * Scores batches in memory. Holds, by article id, what a batch's scoring needs of the archive: the running sums of
 * one article's scoring (reset after each), and the channel and time of published candidates (30 bytes an article id:
 * 30 MB at a million articles; articles themselves are never loaded, only the postings of one group of terms at a time).
 */
class Scorer {
  /**
   * One article's running sums, dense in the order its candidates are first reached: `slot` maps an article id to its
   * place (-1: not reached), `touched`, `sums` and `shared` are by place. The selection and the shortlist then read
   * consecutive memory; only `slot` is indexed by article id (summing into arrays indexed by id, each pass over the
   * tens of thousands reached read them at random places).
   */
  private slot: Int32Array;
  private sums: Float64Array;
  private shared: Uint8Array;
  private touched: Int32Array;
  /** 0: not looked up; 1: published; 2: not published (as far as this run knows: writes check again). */
  private state: Uint8Array;
  private channel: Int32Array;
  private publishedAt: Float64Array;

  constructor(lastId: number) {
    const size = lastId + 1;
    this.slot = new Int32Array(size).fill(-1);
    this.sums = new Float64Array(size);
    this.shared = new Uint8Array(size);
    this.touched = new Int32Array(size);
    this.state = new Uint8Array(size);
    this.channel = new Int32Array(size);
    this.publishedAt = new Float64Array(size);
  }

  /**
   * A batch's postings are the archive's as of its scoring: the archive before the run, and the batches before it. Read
   * from the database each batch, a common term's thousands of postings were read again and again (the largest share of
   * the bulk path's time); kept, each term's are read once, to the depth asked, and the run's own analyses are added as
   * they are scored. Articles the outbox analyses meanwhile are not added (a term read later has them). Its arrays are
   * used again from read to read (each group's postings are done with before the next group's read): each batch merges
   * its analyses into thousands of kept lists, and new arrays for each were gigabytes of garbage over a large import.
   */
  private readonly kept = new KeptPostings({ capacity: BULK.kept, recycle: true });
  /** Document frequencies as of the run's start, each term's read once (when first seen), and this run's own analyses. */
  private readonly startDf = new Map<string, number>();
  private readonly ownDf = new Map<string, number>();
  private startDocuments: number | undefined;
  private ownDocuments = 0;

  /**
   * The archive's document frequencies for a batch's terms, with the batch counted in (the per-article path saves an
   * article's terms before it looks for candidates, so each counts itself and those analysed before it). The archive's
   * are read once per term for the whole run (documentFrequencies, exact or estimated as for a publish); what this run
   * analyses is counted as it goes, not read again batch after batch. Terms are a vocabulary: the maps stay bounded.
   */
  private async corpus(store: ScoringReads, docs: readonly RelatedDocument[]): Promise<Corpus> {
    const unseen = new Set<string>();
    for (const d of docs) for (const [t] of d.terms) if (!this.startDf.has(t)) unseen.add(t);
    const terms = [...unseen];
    if (this.startDocuments === undefined) this.startDocuments = (await store.related.documentFrequencies([])).documents;
    for (let i = 0; i < terms.length; i += DF_TERMS) {
      const part = terms.slice(i, i + DF_TERMS);
      const found = await store.related.documentFrequencies(part);
      for (const t of part) this.startDf.set(t, found.df.get(t) ?? 0);
    }
    for (const d of docs) for (const [t] of d.terms) this.ownDf.set(t, (this.ownDf.get(t) ?? 0) + 1);
    this.ownDocuments += docs.length;
    const df = new Map<string, number>();
    for (const d of docs) for (const [t] of d.terms) df.set(t, (this.startDf.get(t) ?? 0) + (this.ownDf.get(t) ?? 0));
    return { documents: this.startDocuments + this.ownDocuments, df };
  }

  /** Articles written since the run began (analysed by the outbox) appear in postings: the arrays grow for them. */
  private grow(id: number): void {
    if (id < this.slot.length) return;
    const size = Math.max(id + 1, Math.ceil(this.slot.length * 1.25));
    const slot = widened(this.slot, size);
    slot.fill(-1, this.slot.length);
    this.slot = slot;
    this.sums = widened(this.sums, size);
    this.shared = widened(this.shared, size);
    this.touched = widened(this.touched, size);
    this.state = widened(this.state, size);
    this.channel = widened(this.channel, size);
    this.publishedAt = widened(this.publishedAt, size);
  }

  /** Each published article's list and offers (to articles outside the batch), by article id. */
  async score(store: ScoringReads, articles: readonly Scored[], docs: readonly RelatedDocument[], { remember = true } = {}): Promise<Map<number, Computed>> {
    let t0 = performance.now();
    const corpus = await this.corpus(store, docs);
    bulkTimings.frequencies += since(t0);
    const damped = (terms: readonly [string, number][]) => terms.map(([t, w]): [string, number] => [t, w * archiveDamping(t, corpus) ** 2]);
    const published = articles.flatMap((article, i) =>
      article.status === 'published' ? [{ article, terms: docs[i]!.terms, query: damped(docs[i]!.terms) }] : [],
    );
    const inBatch = new Map(published.map((p, i) => [p.article.id, i]));

    // The batch's own published articles as candidates of each other, scored exactly from their vectors.
    const byTerm = new Map<string, [index: number, weight: number][]>();
    for (const [i, p] of published.entries())
      for (const [t, w] of p.terms) {
        let list = byTerm.get(t);
        if (!list) byTerm.set(t, (list = []));
        list.push([i, w]);
      }

    // The archive's candidates: each term's postings read once for the batch, as deep as its deepest reader in the
    // group needs (similarPublished's depth: the budget shared out by the term's weight in that article's query).
    const shortlists: { ids: Int32Array; sims: Float64Array; shared: Uint8Array }[] = [];
    for (const group of groups(published.map((p) => p.query))) {
      const depths = new Map<string, number>();
      for (const i of group) {
        const query = published[i]!.query;
        const total = query.reduce((sum, [, w]) => sum + Math.max(0, w), 0);
        for (const [t, w] of query) depths.set(t, Math.max(depths.get(t) ?? 0, postingsDepth(w, total)));
      }
      t0 = performance.now();
      const postings = await this.kept.read((terms) => store.related.postings(terms), depths);
      bulkTimings.postings += since(t0);
      t0 = performance.now();
      for (const p of postings.values()) for (const id of p.ids) this.grow(id);
      for (const [n, i] of group.entries()) {
        shortlists[i] = this.archiveShortlist(published[i]!.article.id, published[i]!.query, postings);
        // A batch is a second or so of work: requests are answered between every few dozen articles.
        if (n % YIELD_EVERY === YIELD_EVERY - 1) await turn();
      }
      bulkTimings.shortlists += since(t0);
      await turn();
    }

    // Channel and time of the shortlisted candidates not looked up yet, and whether they are published.
    const unknown = new Set<number>();
    for (const s of shortlists) for (const id of s.ids) if (this.state[id] === 0) unknown.add(id);
    const meta = await store.related.publishedAmong([...unknown]);
    for (const id of unknown) {
      const m = meta.get(id);
      this.state[id] = m ? 1 : 2;
      if (m) {
        this.channel[id] = m.channelId;
        this.publishedAt[id] = m.publishedAt;
      }
    }

    const sections = await sectionIndex(store);
    t0 = performance.now();
    const out = new Map<number, Computed>();
    const intoBatch = new Map<number, ScoredItem[]>();
    const mateSums = new Float64Array(published.length);
    const mateShared = new Uint8Array(published.length);
    const pool = new CandidatePool();
    for (const [i, p] of published.entries()) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await turn();
      pool.clear();
      const s = shortlists[i]!;
      for (let k = 0; k < s.ids.length; k++) {
        const id = s.ids[k]!;
        if (this.state[id] !== 1) continue;
        pool.add(id, s.sims[k]!, s.shared[k]!, this.channel[id]!, this.publishedAt[id]!);
      }
      const mates: number[] = [];
      for (const [t, q] of p.query)
        for (const [j, w] of byTerm.get(t) ?? []) {
          if (j === i) continue;
          if (mateShared[j] === 0) mates.push(j);
          mateSums[j]! += q * w;
          mateShared[j]!++;
        }
      for (const j of mates) {
        const mate = published[j]!.article;
        pool.add(mate.id, mateSums[j]!, mateShared[j]!, mate.channelId, mate.publishedAt ?? 0);
        mateSums[j] = 0;
        mateShared[j] = 0;
      }
      // As refreshRelated: the most similar RELATED.candidates, then the thresholds, then relatedScore.
      const candidates = pool.best(RELATED.candidates);
      const scored = candidates
        .filter((c) => c.similarity >= RELATED.minSimilarity && c.sharedTerms >= RELATED.minSharedTerms)
        .map((c) => ({ id: c.articleId, score: relatedScore(p.article, c, sections) }))
        .sort((a, b) => b.score - a.score || b.id - a.id);
      const offers: ScoredItem[] = [];
      for (const o of scored.slice(0, RELATED.offerTo)) {
        if (!inBatch.has(o.id)) offers.push(o);
        else {
          let into = intoBatch.get(o.id);
          if (!into) intoBatch.set(o.id, (into = []));
          into.push({ id: p.article.id, score: o.score });
        }
      }
      out.set(p.article.id, { items: scored.slice(0, RELATED.keep), offers });
    }
    // The batch's offers to each other, merged as offer() would have: each list keeps its best RELATED.keep.
    for (const [id, offered] of intoBatch) {
      const computed = out.get(id)!;
      const merged = new Map(computed.items.map((i) => [i.id, i.score]));
      for (const o of offered) merged.set(o.id, o.score);
      computed.items = [...merged]
        .map(([itemId, score]) => ({ id: itemId, score }))
        .sort((a, b) => b.score - a.score || b.id - a.id)
        .slice(0, RELATED.keep);
    }
    // The batch's analyses are the archive's for the next batches (written before those are scored).
    if (remember) this.remember(articles.map((article, i) => ({ id: article.id, doc: docs[i]! })));
    bulkTimings.scoring += since(t0);
    return out;
  }

  /** Analyses written: the postings kept from batch to batch take them in. */
  remember(analyses: readonly { id: number; doc: RelatedDocument }[]): void {
    for (const { id, doc } of analyses) this.kept.add(id, doc.terms);
  }

  /**
   * The archive articles most like one query by their postings (similarPublished's first count, read to the group's
   * depth of each term, which is at least this article's own), the best POSTINGS.rescored of them.
   */
  private archiveShortlist(self: number, query: readonly [string, number][], postings: ReadonlyMap<string, Postings>) {
    let n = 0;
    const { slot, sums, shared, touched } = this;
    for (const [t, q] of query) {
      const p = postings.get(t);
      if (!p) continue;
      const { ids: postingIds, weights } = p;
      for (let k = 0; k < postingIds.length; k++) {
        const id = postingIds[k]!;
        let at = slot[id]!;
        if (at < 0) {
          at = n++;
          slot[id] = at;
          touched[at] = id;
          sums[at] = 0;
          shared[at] = 0;
        }
        sums[at]! += q * weights[k]!;
        if (shared[at]! < 255) shared[at]!++;
      }
    }
    const keep = Math.min(n, POSTINGS.rescored);
    const ids = new Int32Array(keep);
    const sims = new Float64Array(keep);
    const counts = new Uint8Array(keep);
    const threshold = n > keep ? kthLargest(sums, n, keep) : Number.NEGATIVE_INFINITY;
    let m = 0;
    // Above the threshold first, then those equal to it until the shortlist is full (fewer than `keep` are above it).
    let equal = 0;
    for (let k = 0; k < n; k++) {
      const id = touched[k]!;
      const s = sums[k]!;
      if (id === self || s < threshold) continue;
      if (s > threshold) {
        ids[m] = id;
        sims[m] = s;
        counts[m++] = shared[k]!;
      } else if (equal < keep) atThreshold[equal++] = k;
    }
    for (let e = 0; e < equal && m < keep; e++) {
      const k = atThreshold[e]!;
      ids[m] = touched[k]!;
      sims[m] = sums[k]!;
      counts[m++] = shared[k]!;
    }
    for (let k = 0; k < n; k++) slot[touched[k]!] = -1;
    return { ids: ids.subarray(0, m), sims: sims.subarray(0, m), shared: counts.subarray(0, m) };
  }
}

/**
 * One article's candidates as they are gathered (hundreds: its shortlist and its batch mates), in arrays reused from
 * article to article; only the best few become objects.
 */
class CandidatePool {
  private ids = new Float64Array(1024);
  private sims = new Float64Array(1024);
  private shared = new Uint8Array(1024);
  private channels = new Int32Array(1024);
  private times = new Float64Array(1024);
  private n = 0;

  clear(): void {
    this.n = 0;
  }

  add(id: number, similarity: number, sharedTerms: number, channelId: number, publishedAt: number): void {
    if (this.n === this.ids.length) {
      const size = this.n * 2;
      this.ids = widened(this.ids, size);
      this.sims = widened(this.sims, size);
      this.shared = widened(this.shared, size);
      this.channels = widened(this.channels, size);
      this.times = widened(this.times, size);
    }
    const k = this.n++;
    this.ids[k] = id;
    this.sims[k] = similarity;
    this.shared[k] = sharedTerms;
    this.channels[k] = channelId;
    this.times[k] = publishedAt;
  }

  /** The `limit` most similar, most similar first (ties: the newer id first), as a sort of all of them would give. */
  best(limit: number): Candidate[] {
    const { ids, sims, n } = this;
    const order: number[] = [];
    if (n <= limit) for (let k = 0; k < n; k++) order.push(k);
    else {
      // The limit-th largest similarity; those above it, then those at it with the newest ids.
      const threshold = kthLargestOf(Float64Array.from(sims.subarray(0, n)), limit);
      const at: number[] = [];
      for (let k = 0; k < n; k++)
        if (sims[k]! > threshold) order.push(k);
        else if (sims[k] === threshold) at.push(k);
      at.sort((a, b) => ids[b]! - ids[a]!);
      for (const k of at) {
        if (order.length >= limit) break;
        order.push(k);
      }
    }
    order.sort((a, b) => sims[b]! - sims[a]! || ids[b]! - ids[a]!);
    return order.map((k) => ({
      articleId: ids[k]!,
      similarity: sims[k]!,
      sharedTerms: this.shared[k]!,
      channelId: this.channels[k]!,
      publishedAt: this.times[k]!,
    }));
  }
}

/** A copy of a typed array `size` long, its values first (the rest zero). */
function widened<T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a as never);
  return b;
}

/** The k-th largest of sums[0..n) (selected from a copy: the shortlist's threshold in linear time). */
function kthLargest(sums: Float64Array, n: number, k: number): number {
  // One buffer for every call (tens of thousands of sums an article at 100,000 articles: a new array each time was
  // most of the bulk path's garbage).
  if (selectBuffer.length < n) selectBuffer = new Float64Array(Math.max(n, selectBuffer.length * 2));
  const a = selectBuffer.subarray(0, n);
  a.set(sums.subarray(0, n));
  return kthLargestOf(a, k);
}

let selectBuffer = new Float64Array(4096);
/** A shortlist's places (see Scorer.slot) at its threshold, in the order they were first summed. */
const atThreshold = new Int32Array(POSTINGS.rescored);

/** Queries split so that one group's postings stay under BULK.postings (each term counted at its deepest read). */
function groups(queries: readonly (readonly [string, number][])[]): number[][] {
  const out: number[][] = [];
  let group: number[] = [];
  let depths = new Map<string, number>();
  let total = 0;
  for (const [i, query] of queries.entries()) {
    const sum = query.reduce((s, [, w]) => s + Math.max(0, w), 0);
    let added = 0;
    for (const [t, w] of query) added += Math.max(0, postingsDepth(w, sum) - (depths.get(t) ?? 0));
    if (group.length > 0 && total + added > BULK.postings) {
      out.push(group);
      group = [];
      depths = new Map();
      total = 0;
      added = query.reduce((s, [, w]) => s + postingsDepth(w, sum), 0);
    }
    group.push(i);
    total += added;
    for (const [t, w] of query) depths.set(t, Math.max(depths.get(t) ?? 0, postingsDepth(w, sum)));
  }
  if (group.length > 0) out.push(group);
  return out;
}
