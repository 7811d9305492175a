import type { Ctx } from '../context.ts';
import { indexArticle, segmentedRecently } from '../search/service.ts';
import type { ReadOptions, Store } from '../store.ts';
import type { Article } from './article.ts';
import { bodyWorkerFree, INLINE_BODY_CHARS, prepareRelatedBatch, prepareSearchBatch } from './body.ts';
import { ANALYSED_CHARS, type FoundCandidates, keepRelatedDocument, needsAnalysis, RELATED, refreshRelated } from './related.ts';

import { ARTICLE_INDEXING, ARTICLE_RELATED, DRAFT_QUIET_MS } from './outbox-topics.ts';

export { ARTICLE_INDEXING, ARTICLE_RELATED };

/**
 * Inside an article change's transaction: the search index and related reading follow it after the commit, from the
 * outbox (jobs/outbox.ts), so a write never waits for an analysis that reads across the archive, and a crash between
 * the commit and the work loses nothing. Taking an article down is the exception: its text leaves public search in
 * the same transaction, so a withdrawn story is never found, not even for the moment before the outbox runs.
 */
export async function queueIndexing(
  store: Store,
  before: Pick<Article, 'status'> | undefined,
  after: { id: number; status: Article['status'] | 'deleted' },
  now: number,
): Promise<void> {
  // An external engine is not written inside the transaction (a call that may wait, and would not roll back): the
  // outbox removes the article right after the commit, and search shows published articles only meanwhile.
  if (before?.status === 'published' && after.status !== 'published' && !store.search.external) await store.search.remove(after.id);
  // What readers see (a publish, an edit of a published article, a takedown) at once; a change to an unpublished
  // article when it has been quiet for a moment (DRAFT_QUIET_MS).
  const readersSee = before?.status === 'published' || after.status === 'published';
  await store.outbox.add(ARTICLE_INDEXING, after.id, now, readersSee ? undefined : now + DRAFT_QUIET_MS);
}

/**
 * The outbox's first work for an article: its search entry (public or draft index), made from the article as it is
 * now, so several queued changes of one article are one piece of work and a late run never writes an old version over
 * a newer one: processes doing the same article take turns (`serialize`) and read it after their turn comes. It queues
 * the article's related reading (ARTICLE_RELATED) in the same transaction: the outbox claims that after every search
 * entry due, so a burst of writes never holds a story out of search behind the slower related work of the ones before.
 */
export async function indexArticleNow(ctx: Ctx, id: number): Promise<void> {
  // The search entry is made of the text: the HTML (up to 2 MB) is not read.
  const seen = await ctx.store.articles.findById(id, TEXT);
  // Segmented in the body worker, off the event loop, when it is long or the site is large (analysisApart); used only
  // if the article has not changed since. A text this process has just segmented (a publish after a save) is not again.
  const apart = seen && !segmentedRecently(seen) && (await analysisApart(ctx.store, seen.bodyText.length > INLINE_BODY_CHARS));
  const ahead = seen && apart ? (await prepareSearchBatch([seen]).catch(() => []))[0] : undefined;
  await ctx.store.transaction(async (store) => {
    await store.outbox.serialize(ARTICLE_INDEXING, id);
    await store.outbox.add(ARTICLE_RELATED, id, ctx.clock.now());
    const article = await current(store, id, seen, TEXT);
    if (!article) {
      // Deleted (in the 回收站, which keeps its draft entry for an undelete) or purged for good.
      await store.search.remove(id);
      if (!(await store.articles.findInTrash(id))) await store.draftSearch.remove(id);
      return;
    }
    await indexArticle(store, article, ahead);
  });
}

/**
 * The outbox's second work for an article: its related reading. Its terms first (one short transaction); its
 * candidates are then read outside any transaction, off the event loop where the store can (SQLite's reader thread),
 * and the last transaction only checks they are still published and writes the lists. Returns whether readers can see
 * the article (its page shows the related reading just made).
 */
export async function relateArticleNow(ctx: Ctx, id: number): Promise<boolean> {
  // The analysis reads the opening of the text only, and so does this: a 2 MB body is never made into strings here.
  const seen = await ctx.store.articles.findById(id, OPENING);
  // Analysed in the body worker when it is long or the site is large (analysisApart), and only when its text changed
  // since its terms were made: a workflow step (submit, publish) needs no analysis. A small site's short text is
  // analysed inline when keepRelatedDocument finds it changed, with nothing read or hashed for it here.
  const apart = seen && (await analysisApart(ctx.store, seen.bodyText.length >= LONG_OPENING)) && (await needsAnalysis(ctx.store, seen));
  const ahead = seen && apart ? (await prepareRelatedBatch([seen]).catch(() => []))[0] : undefined;
  let found: FoundCandidates | undefined;
  if (seen) {
    const terms = await ctx.store.transaction(async (store) => {
      await store.outbox.serialize(ARTICLE_RELATED, id);
      const article = await current(store, id, seen, OPENING);
      if (!article) return undefined;
      // Its list was made from this very revision (a run queued before this one began, once it had committed): the
      // text, the status and the time are those it was made of, and what changed elsewhere since reaches it by offers.
      if (article.status === 'published' && (await store.related.itemsRevision(id)) === article.revision) return 'done' as const;
      // The terms just written, or (the text unchanged) those kept.
      const written = await keepRelatedDocument(store, article, ctx.clock.now(), { prepared: ahead });
      return article.status === 'published' ? (written ?? store.related.terms(id)) : undefined;
    });
    if (terms === 'done') return false;
    const candidates = terms && (await ctx.store.related.candidatesApart(id, terms, RELATED.candidates).catch(() => undefined));
    if (terms && candidates) found = { terms, candidates };
  }
  return ctx.store.transaction(async (store) => {
    await store.outbox.serialize(ARTICLE_RELATED, id);
    const article = await current(store, id, seen, OPENING);
    if (!article) {
      await store.related.withdraw(id);
      return false;
    }
    await refreshRelated(store, article, ctx.clock.now(), { prepared: ahead, wasPublished: true, found });
    return article.status === 'published';
  });
}

/** From this many articles (by the newest id), a short text is analysed in the body worker too (analysisApart). */
export const ANALYSIS_APART_FROM = 5_000;

/**
 * Whether an article's analyses (search fields, related-reading terms) are made in the body worker rather than on the
 * event loop: always for a long text; for a short one (a few milliseconds of jieba) once the site is large. There the
 * event loop serves readers, and a create + publish's analyses inline were 6.5 ms of it a cycle at 20,000 articles
 * (`bench/server-cpu.ts --what writes`, main thread 40.5 / 36.6 → 33.1 / 30.0 ms a cycle, alternated); the worker
 * thread runs at the lowest CPU priority, so readers get the cores first. A small site analyses inline: the thread
 * holds its own jieba and tagger (~50 MB) for a minute after its last job, for a few readers. So does a short text
 * while the worker's threads are busy (a rebuild, a backlog): queued behind their batches, a publish would wait a
 * second or more to be found.
 */
async function analysisApart(store: Store, long: boolean): Promise<boolean> {
  if (long) return true;
  if (!bodyWorkerFree()) return false;
  if (largeSites.has(store)) return true;
  if ((await store.related.lastArticleId()) < ANALYSIS_APART_FROM) return false;
  largeSites.add(store);
  return true;
}

/**
 * Stores whose newest id has reached ANALYSIS_APART_FROM: ids only grow, so the question (a statement, twice for each
 * create + publish) is not asked again.
 */
const largeSites = new WeakSet<Store>();

/**
 * The article as it is now, its body taken from `seen` when no write came since (the same revision): a body of up to
 * 2 MB read again from SQLite would hold the event loop for tens of milliseconds.
 */
async function current(store: Store, id: number, seen: Article | undefined, options?: ReadOptions): Promise<Article | undefined> {
  const [head] = await store.articles.findMany([id], { bodies: false });
  if (!head) return undefined;
  if (seen && seen.revision === head.revision) return { ...head, bodyHtml: seen.bodyHtml, bodyText: seen.bodyText };
  return store.articles.findById(id, options);
}

/** The search index's read of an article: its text, not its HTML. */
const TEXT: ReadOptions = { html: false };
/** Related reading's read of an article: the opening its analysis uses. */
const OPENING: ReadOptions = { openingChars: ANALYSED_CHARS };
/** An opening this long (a long text, cut) is analysed in the body worker. */
const LONG_OPENING = Math.min(ANALYSED_CHARS, INLINE_BODY_CHARS);
