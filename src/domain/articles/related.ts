import { createHash } from 'node:crypto';
import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import { bandKeys, encodeSignature, fingerprint } from '../nlp/minhash.ts';
import { normalizeText } from '../nlp/segment.ts';
import { NOUN_TAGS, termWeights, topTerms, unitVector, type TermVector } from '../nlp/tfidf.ts';
import { authorize, can } from '../policy.ts';
import type { ChannelRepository, Store } from '../store.ts';
import type { Candidate, RelatedDocument, RelatedItem, RelatedPick, ScoredItem } from './related-reading.ts';
import { findCandidates } from './related-candidates.ts';
import { ARTICLE_INDEXING, ARTICLE_RELATED } from './outbox-topics.ts';

export { archiveDamping, type Corpus, findCandidates } from './related-candidates.ts';
import type { Article, ArticleTitle } from './article.ts';

export const RELATED = {
  min: 5,
  max: 8,
  /** Computed items kept per article, beyond what a page shows, so exclusions and withdrawals leave a full list. */
  keep: 16,
  /** Terms kept per article: enough to describe a story, few enough that the candidate query stays small. */
  terms: 40,
  /** Candidates read per publish, and how many of them get the new article offered into their own lists. */
  candidates: 40,
  offerTo: 24,
  /** Below this cosine two stories are about different things, whatever their channel or date. */
  minSimilarity: 0.12,
  /** One shared word (a city's name) is no shared subject. */
  minSharedTerms: 2,
  maxExcluded: 50,
};

/** The first characters say what a story is about; capping them keeps every publish's work bounded. */
export const ANALYSED_CHARS = 20_000;

/** Parts of speech that carry a story's subject; verbs and adjectives make unrelated stories look alike. */
const SUBJECT_TAGS: ReadonlySet<string> = new Set([...NOUN_TAGS, 'j', 'l', 'i']);

/** The text a fingerprint is taken over: the body (syndicated copies change headlines), or the title if there is none. */
export function fingerprintText(title: string, bodyText: string): string {
  const body = bodyText.slice(0, ANALYSED_CHARS).trim();
  return body === '' ? title : body;
}

type Analysed = Pick<Article, 'title' | 'subtitle' | 'tags' | 'summary' | 'bodyText'>;

/** TF-IDF of the words that carry a story's subject, title and tags counted three times. */
export function subjectWeights(a: Analysed, normalizedBody = normalizeText(a.bodyText.slice(0, ANALYSED_CHARS)), bodyWords?: readonly string[]): TermVector {
  return termWeights([
    { text: a.title, boost: 3, tags: SUBJECT_TAGS },
    { text: a.subtitle, boost: 2, tags: SUBJECT_TAGS },
    // Tags are the editors' own statement of the subject: every word of them counts, whatever its part of speech.
    { text: a.tags.join('\n'), boost: 3 },
    { text: a.summary, boost: 1, tags: SUBJECT_TAGS },
    { text: normalizedBody, boost: 1, tags: SUBJECT_TAGS, normalized: true, words: bodyWords },
  ]);
}

/**
 * A body already normalized and cut by jieba for the search index (search/document.ts segmentBody): `text` what was
 * normalized, `words` its precise cut when known. Used only when `text` is the very part of the body analysed here.
 */
export interface CutBody {
  text: string;
  normalized: string;
  words: readonly string[] | undefined;
}

/**
 * An article's heaviest terms (a unit vector) and its MinHash fingerprint with band keys. With `cut`, its body's words
 * are tagged from jieba's dictionary instead of by jieba (the same tags: test/unit/dictionary-tags.test.ts).
 */
export function analyseArticle(a: Analysed, cut?: CutBody): RelatedDocument {
  const opening = a.bodyText.slice(0, ANALYSED_CHARS);
  const reused = cut !== undefined && cut.text === opening ? cut : undefined;
  const body = reused ? reused.normalized : normalizeText(opening);
  const fp = fingerprint(body === '' ? a.title : body, { normalized: body !== '' });
  return {
    sourceHash: sourceHash(a),
    terms: [...unitVector(topTerms(subjectWeights(a, body, reused?.words), RELATED.terms))],
    signature: encodeSignature(fp.signature),
    shingles: fp.shingles,
    buckets: bandKeys(fp.signature),
  };
}

/**
 * What the analysis reads, hashed: the body only to ANALYSED_CHARS (UTF-16 units, as the analysis cuts it), so an
 * article read with its opening alone (ReadOptions.openingChars, characters, never fewer units) hashes the same.
 */
function sourceHash(a: Analysed): string {
  return createHash('sha256')
    .update(JSON.stringify([a.title, a.subtitle, a.tags, a.summary, a.bodyText.slice(0, ANALYSED_CHARS)]))
    .digest('base64url');
}

/** Whether the article's terms were made of another text than it has now (a draft's save; not a workflow step). */
export async function needsAnalysis(store: Store, article: Article): Promise<boolean> {
  return (await store.related.sourceHash(article.id)) !== sourceHash(article);
}

const DAY = 86_400_000;

/** Content similarity first; the same channel and a nearby date lift a candidate, never make an unrelated one related. */
export function relatedScore(article: Pick<Article, 'channelId' | 'publishedAt'>, c: Candidate, sectionOf: (channelId: number) => number): number {
  const channel = c.channelId === article.channelId ? 1.15 : sectionOf(c.channelId) === sectionOf(article.channelId) ? 1.05 : 1;
  const days = Math.abs((article.publishedAt ?? 0) - c.publishedAt) / DAY;
  return c.similarity * channel * (0.7 + 0.3 * Math.exp(-days / 60));
}

/** Candidates read before the transaction, for the terms they were read with. */
export interface FoundCandidates {
  terms: readonly [string, number][];
  candidates: readonly Candidate[];
}

/** An article's terms and fingerprint follow its text; returns its terms when they were (re)computed. */
export async function keepRelatedDocument(
  store: Store,
  article: Article,
  now: number,
  { force = false, prepared }: { force?: boolean; prepared?: RelatedDocument | undefined } = {},
): Promise<[string, number][] | undefined> {
  // Workflow steps (submit, publish) leave the text as it was: no need to segment it again.
  // Hashed only when needed: a forced rebuild of the whole archive analyses every article anyway.
  const hash = force && !prepared ? undefined : sourceHash(article);
  if (!force && (await store.related.sourceHash(article.id)) === hash) return undefined;
  // An analysis made ahead (the body worker, before the transaction) counts only if it is of this very text.
  const doc = prepared !== undefined && prepared.sourceHash === hash ? prepared : analyseArticle(article);
  await store.related.saveDocument(article.id, doc, now);
  return doc.terms;
}

/**
 * Keeps an article's related reading current; called inside the transaction of every article change. Its terms and
 * fingerprint follow its content; once published it gets its own list and enters the lists of the (at most 24)
 * articles it resembles most; unpublished, it leaves every list. `wasPublished`: readers could see it before this change.
 */
export async function refreshRelated(
  store: Store,
  article: Article,
  now: number,
  {
    force = false,
    prepared,
    wasPublished = false,
    found,
  }: { force?: boolean; prepared?: RelatedDocument | undefined; wasPublished?: boolean; found?: FoundCandidates | undefined } = {},
): Promise<void> {
  let terms = await keepRelatedDocument(store, article, now, { force, prepared });
  // Only published lists are shared between articles: a draft's autosave (never public, before or now) changes none of
  // them and need not queue behind every publish. A rebuild takes the lock for every article, to be safe.
  if (article.status === 'published' || wasPublished || force) await store.related.lockForRefresh();
  if (article.status !== 'published') {
    await store.related.withdraw(article.id);
    return;
  }
  terms ??= await store.related.terms(article.id);
  const candidates =
    found && sameTerms(found.terms, terms)
      ? await stillPublished(store, found.candidates)
      : await findCandidates(store.related, article.id, terms, RELATED.candidates);
  const sections = await sectionIndex(store);
  const scored = candidates
    .filter((c) => c.similarity >= RELATED.minSimilarity && c.sharedTerms >= RELATED.minSharedTerms)
    .map((c) => ({ id: c.articleId, score: relatedScore(article, c, sections) }))
    .sort((a, b) => b.score - a.score || b.id - a.id);
  await store.related.replaceItems(article.id, scored.slice(0, RELATED.keep));
  await store.related.offer(article.id, scored.slice(0, RELATED.offerTo), RELATED.keep);
  await store.related.markItems(article.id, article.revision);
}

/** The same terms and weights, in whatever order (the analysis lists them heaviest first, the store by term). */
function sameTerms(a: readonly [string, number][], b: readonly [string, number][]): boolean {
  if (a.length !== b.length) return false;
  const weights = new Map(b);
  return a.every(([t, w]) => weights.get(t) === w);
}

/**
 * Candidates read before this transaction, less those taken down since (their withdrawal committed in between): one
 * narrow read of the published among them (not their rows and tags), while the transaction holds the related lock.
 */
async function stillPublished(store: Store, candidates: readonly Candidate[]): Promise<Candidate[]> {
  const live = await store.articles.publishedTitles(candidates.map((c) => c.articleId));
  const published = new Set(live.map((a) => a.id));
  return candidates.filter((c) => published.has(c.articleId));
}

/** Channel id → id of its top-level channel (the section), for the same-section lift. */
export async function sectionIndex(store: { channels: Pick<ChannelRepository, 'all'> }): Promise<(channelId: number) => number> {
  const channels = await store.channels.all();
  const byId = new Map(channels.map((c) => [c.id, c]));
  return (id) => {
    let c = byId.get(id);
    for (let depth = 0; c && c.parentId !== null && depth < 32; depth++) c = byId.get(c.parentId);
    return c?.id ?? id;
  };
}

export type { RelatedItem } from './related-reading.ts';

/** What readers see: pinned items first in the editors' order, then the computed ones; excluded and unpublished left out. */
async function readingList(store: Store, articleId: number): Promise<RelatedItem[]> {
  const [picks, items] = await Promise.all([store.related.picks(articleId), store.related.items(articleId)]);
  const { pinned, candidates } = listCandidates(articleId, picks, items);
  // Titles and times are all a list of links shows (the page's 相关阅读, the API's items). The list shows RELATED.max;
  // the rest are read only when some of those are no longer published.
  let articles = await store.articles.publishedTitles(candidates.slice(0, RELATED.max));
  if (articles.length < RELATED.max && candidates.length > RELATED.max) articles = await store.articles.publishedTitles(candidates);
  return shownList(articles, pinned);
}

/** A list's articles in the order it shows them, before the titles: the pinned, then the computed ones not excluded. */
function listCandidates(articleId: number, picks: readonly RelatedPick[], items: readonly ScoredItem[]) {
  const pinned = picks.filter((p) => p.mode === 'pinned').map((p) => p.relatedId);
  const excluded = new Set(picks.filter((p) => p.mode === 'excluded').map((p) => p.relatedId));
  const computed = items.map((i) => i.id).filter((id) => !excluded.has(id) && !pinned.includes(id));
  return { pinned, candidates: [...pinned, ...computed].filter((id) => id !== articleId) };
}

/** The first RELATED.max of a list's published candidates (in its order), pinned ones marked. */
const shownList = (published: readonly ArticleTitle[], pinned: readonly number[]): RelatedItem[] =>
  published.slice(0, RELATED.max).map((a) => ({ article: a, pinned: pinned.includes(a.id) }));

/**
 * Many lists made at once, as readingList makes each: their parts in two reads and every candidate's title in one
 * (a hundred lists' reads one by one were ~400 statements, most of a publish's work after it on PostgreSQL).
 */
async function readingLists(store: Store, articleIds: readonly number[]): Promise<Map<number, RelatedItem[]>> {
  const parts = await store.related.listParts(articleIds);
  const lists = articleIds.map((id) => ({ id, ...listCandidates(id, parts.get(id)?.picks ?? [], parts.get(id)?.items ?? []) }));
  const titles = new Map((await store.articles.publishedTitles([...new Set(lists.flatMap((l) => l.candidates))])).map((a) => [a.id, a]));
  return new Map(
    lists.map((l) => [
      l.id,
      shownList(
        l.candidates.map((id) => titles.get(id)).filter((a): a is ArticleTitle => a !== undefined),
        l.pinned,
      ),
    ]),
  );
}

/**
 * 相关阅读 of the reader page: 5–8 articles when the archive has that many on the subject. The list kept beside the
 * article when there is one (one read), else made from its parts (three) while the server makes it again.
 */
export async function relatedArticles(ctx: Ctx, article: Pick<Article, 'id'>): Promise<ArticleTitle[]> {
  const list = (await ctx.store.related.keptList(article.id)) ?? (await readingList(ctx.store, article.id));
  return list.map((i) => i.article);
}

/** Lists made per batch of fillRelatedLists: three reads and one short write transaction. */
const LIST_FILL = 100;

/**
 * Makes again the kept 相关阅读 lists that a change set aside (the triggers of the 2026-12-08T0100 migration), and after
 * that migration every list once, a hundred at a time, letting other work run between batches; returns how many were
 * kept. Each is read from its parts as a page would, and kept only if nothing changed it meanwhile (the stamp), so
 * two processes filling at once, or a publish between the reads and the write, never leave a stale list.
 */
export async function fillRelatedLists(ctx: Ctx, { signal, progress }: { signal?: AbortSignal; progress?: (kept: number) => void } = {}): Promise<number> {
  let kept = 0;
  const writes = ctx.store.jobTransactions();
  while (!signal?.aborted) {
    const stale = await ctx.store.related.staleLists(LIST_FILL);
    if (stale.length === 0) break;
    const lists = await readingLists(
      ctx.store,
      stale.map((l) => l.articleId),
    );
    const made = stale.map((list) => ({ ...list, items: lists.get(list.articleId) ?? [] }));
    const n = await writes.transaction((store) => store.related.keepLists(made));
    kept += n;
    progress?.(kept);
    await new Promise((resolve) => setImmediate(resolve));
    // Every list overtaken by changes (n = 0): they are made again at the next call, not in a loop against a writer.
    if (n === 0) break;
  }
  return kept;
}

export interface RelatedView {
  items: RelatedItem[];
  /** The editors' choices; only for those allowed to make them. */
  picks?: { pinned: number[]; excluded: number[] };
}

/** GET /articles/:id/related: public for published articles; an editor also sees drafts' lists and the picks. */
export async function relatedFor(ctx: Ctx, actor: Actor | undefined, id: number): Promise<RelatedView> {
  const article = await ctx.store.articles.findById(id);
  const visible = article && (article.status === 'published' || (actor !== undefined && can(actor, 'article.read', article)));
  if (!article || !visible) throw notFound('Article');
  const items = await readingList(ctx.store, id);
  if (!actor || !can(actor, 'article.curate_related', article)) return { items };
  return { items, picks: splitPicks(await ctx.store.related.picks(id)) };
}

function splitPicks(picks: RelatedPick[]) {
  return {
    pinned: picks.filter((p) => p.mode === 'pinned').map((p) => p.relatedId),
    excluded: picks.filter((p) => p.mode === 'excluded').map((p) => p.relatedId),
  };
}

/** An editor pins articles to the top of an article's related reading and removes others from it. */
export async function curateRelated(ctx: Ctx, actor: Actor, id: number, choice: { pinned: number[]; excluded: number[] }): Promise<RelatedView> {
  const pinned = [...new Set(choice.pinned)];
  const excluded = [...new Set(choice.excluded)];
  if (pinned.length > RELATED.max) throw invalid(`At most ${RELATED.max} pinned articles`, 'pinned', 'too_many');
  if (excluded.length > RELATED.maxExcluded) throw invalid(`At most ${RELATED.maxExcluded} excluded articles`, 'excluded', 'too_many');
  const both = pinned.find((p) => excluded.includes(p));
  if (both !== undefined) throw invalid(`Article ${both} cannot be both pinned and excluded`, 'excluded', 'pinned_and_excluded');
  await writeActing(ctx.store, actor, async (store, acting) => {
    // Two saves of one article's picks take turns (a retry sent while the first is in flight, two editors): each
    // replaces what the other left, where on PostgreSQL both deleted the old rows and the second's insert broke the key.
    await store.serialize('related_picks', id);
    const article = await store.articles.findById(id);
    if (!article) throw notFound('Article');
    authorize(acting, 'article.curate_related', article);
    for (const [field, ids] of [
      ['pinned', pinned],
      ['excluded', excluded],
    ] as const) {
      if (ids.includes(id)) throw invalid('An article cannot be related to itself', field, 'self_reference');
      const found = new Set((await store.articles.findMany(ids)).map((a) => a.id));
      const missing = ids.find((x) => !found.has(x));
      if (missing !== undefined) throw invalid(`No article ${missing}`, field, 'unknown_article');
    }
    const now = ctx.clock.now();
    const picks: RelatedPick[] = [
      ...pinned.map((relatedId) => ({ relatedId, mode: 'pinned' as const })),
      ...excluded.map((relatedId) => ({ relatedId, mode: 'excluded' as const })),
    ];
    // The picks it has already (a retry after a lost answer): nothing to change, nothing to audit.
    const current = await store.related.picks(id);
    if (current.length === picks.length && current.every((p, i) => p.relatedId === picks[i]!.relatedId && p.mode === picks[i]!.mode)) return;
    await store.related.replacePicks(id, picks, actor.id, now);
    announce(ctx, store, { kind: 'related', id });
    await store.history.record({ at: now, actorId: actor.id, action: 'article.related', subjectType: 'article', subjectId: id, detail: { pinned, excluded } });
  });
  return relatedFor(ctx, actor, id);
}

/** Ids looked at per query by the backlog (see analyseBacklog). */
const BACKLOG_SPAN = 5_000;

export interface BacklogOptions {
  /** Stops between two articles; what was analysed stays analysed, and the next run goes on from there. */
  signal?: AbortSignal;
  /** Called after each article with the count so far and the id reached, of `last` (the newest article when it began). */
  progress?: (analysed: number, at: number, last: number) => void;
  /**
   * Analyses a batch ahead, off the event loop (the body worker threads: prepareRelatedBatch); an analysis is used
   * only if the article's text is still the one analysed. Without it each article is analysed in its transaction.
   */
  prepare?: (articles: readonly Article[]) => Promise<RelatedDocument[]>;
}

/**
 * Analyses the articles never analysed (an archive from before related reading, a bulk load, a restore, an import),
 * oldest first, one short transaction each, letting other work run between them. Resumable by construction: it asks
 * the database for what is still missing, so an interrupted run loses nothing and a second one does not redo it.
 */
export async function analyseBacklog(ctx: Ctx, { signal, progress, prepare }: BacklogOptions = {}): Promise<number> {
  let analysed = 0;
  let after = 0;
  const writes = ctx.store.jobTransactions();
  // Looked for a span of ids at a time, yielding between spans: on a large archive with nothing (or little) missing,
  // one look over every id would hold the event loop for a second (SQLite) at every start. Articles written after
  // `last`, and those with work queued in the outbox, are analysed by the outbox.
  const last = await ctx.store.related.lastArticleId();
  while (!signal?.aborted && after < last) {
    const upTo = Math.min(last, after + BACKLOG_SPAN);
    const found = await ctx.store.related.unanalysedIds(after, 100, upTo);
    if (found.length === 0) {
      after = upTo;
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    // Articles with work in the outbox (written shortly before this start, or now by another process) are the outbox's:
    // it analyses them anyway, and analysed here too their candidates and lists were made twice.
    const queued = new Set(await ctx.store.outbox.queued([ARTICLE_INDEXING, ARTICLE_RELATED], found));
    const ids = found.filter((id) => !queued.has(id));
    const ahead = new Map<number, RelatedDocument>();
    if (prepare && ids.length > 0) {
      const seen = await ctx.store.articles.findMany(ids);
      // A failed preparation only means each article is analysed in its own transaction, as without one.
      const docs = await prepare(seen).catch(() => []);
      for (const [i, doc] of docs.entries()) ahead.set(seen[i]!.id, doc);
    }
    for (const id of ids) {
      if (signal?.aborted) break;
      await writes.transaction(async (store) => {
        const article = await store.articles.findById(id);
        if (article) await refreshRelated(store, article, ctx.clock.now(), { prepared: ahead.get(id) });
      });
      after = id;
      analysed++;
      progress?.(analysed, id, last);
      // Readers' requests get the event loop between two articles.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!signal?.aborted) after = found[found.length - 1]!;
  }
  return analysed;
}

/** Vectors filled per statement by fillRelatedVectors: ~25 ms of SQLite's time, so readers wait little between two. */
const VECTOR_FILL = 100;

/**
 * Keeps the term vector beside the fingerprint of every article analysed before it was kept there (an archive from
 * before the 2026-12-06T0100 migration), a hundred at a time, letting other work run between them; returns how many.
 * Resumable by construction (it asks for what is still missing); with nothing missing it costs one index probe.
 */
export async function fillRelatedVectors(ctx: Ctx, { signal, progress }: { signal?: AbortSignal; progress?: (filled: number) => void } = {}): Promise<number> {
  let filled = 0;
  const writes = ctx.store.jobTransactions();
  while (!signal?.aborted) {
    const n = await writes.transaction((store) => store.related.fillVectors(VECTOR_FILL));
    if (n === 0) break;
    filled += n;
    progress?.(filled);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return filled;
}

/** Recomputes every article's terms, fingerprint and lists, oldest first: after a dictionary change or an upgrade. */
export async function rebuildRelated(ctx: Ctx): Promise<number> {
  let count = 0;
  let beforeId: number | undefined;
  const all: number[] = [];
  for (;;) {
    const page = await ctx.store.articles.listNewsroom({ limit: 200, beforeId });
    if (page.length === 0) break;
    all.push(...page.map((a) => a.id));
    beforeId = page[page.length - 1]!.id;
  }
  const writes = ctx.store.jobTransactions();
  for (const id of all.reverse()) {
    await writes.transaction(async (store) => {
      const article = await store.articles.findById(id);
      if (article) await refreshRelated(store, article, ctx.clock.now(), { force: true });
    });
    count++;
  }
  return count;
}
