import { DomainError, type CodeOf, type ErrorKind } from '../errors.ts';
import { BODY_THREADS, bodyPool } from './body-pool.ts';
import { unpackSearchFields, type PreparedSearchFields, type SearchText } from '../search/document.ts';
import type { RelatedDocument } from './related-reading.ts';
import { assistNow, prepareBodyNow, type AssistTexts, type BodyJob, type PreparedAnalysis, type PreparedBody, type TextFields } from './body-work.ts';

export type { AssistTexts, PreparedAnalysis, PreparedBody, TextFields } from './body-work.ts';

/**
 * Bodies up to this many characters are prepared on the calling thread (a few milliseconds: less than handing them
 * to the worker costs in copying and waiting); longer ones in the body worker thread.
 */
export const INLINE_BODY_CHARS = 32 * 1024;

/** Jobs handed to the body worker and not answered yet. */
let inFlight = 0;

async function inWorker(job: BodyJob) {
  inFlight++;
  try {
    const outcome = await bodyPool().run(job);
    // The code crossed the thread as data; it was one of ERROR_CODES when thrown.
    if (!outcome.ok) throw new DomainError(outcome.error.kind, outcome.error.code as CodeOf<ErrorKind>, outcome.error.message, outcome.error.field);
    return outcome;
  } finally {
    inFlight--;
  }
}

/**
 * Whether a job handed to the body worker now would start at once, a thread being free: not queued behind a rebuild's
 * or a backlog's batches (500 articles' analyses, most of a second each).
 */
export const bodyWorkerFree = (): boolean => inFlight < BODY_THREADS;

/**
 * A body ready to store: sanitized (400 `too_long` past 2 MB, before or after; `too_complex` past the nesting or
 * element limits) with its plain text. A long body is prepared in the worker thread; its analysis for search and
 * related reading comes later, in the outbox's work (prepareAnalysis).
 */
export async function prepareBody(html: string): Promise<PreparedBody> {
  if (html.length <= INLINE_BODY_CHARS) return prepareBodyNow(html);
  return (await inWorker({ html })).body!;
}

/** The analysis of an article whose body stays as stored, worked out in the worker when the text is long (else undefined: cheap enough inline). */
export async function prepareAnalysis(fields: TextFields, bodyText: string): Promise<PreparedAnalysis | undefined> {
  if (bodyText.length <= INLINE_BODY_CHARS) return undefined;
  return (await inWorker({ text: bodyText, fields })).analysis;
}

/**
 * The assists' summary and keywords cost ~1.7 ms per 1,000 characters of text (up to 20,000: ~30-80 ms), so past
 * this much HTML they are worked out in the worker with the body.
 */
export const INLINE_ASSIST_CHARS = 4 * 1024;

export async function prepareAssist(title: string, html: string): Promise<AssistTexts> {
  if (html.length <= INLINE_ASSIST_CHARS) return assistNow(title, html);
  return (await inWorker({ assist: { title, html } })).assist!;
}

/** Search fields of a batch of articles, worked out in the body worker thread (a rebuild's or fill's next batch). */
export async function prepareSearchBatch(articles: readonly SearchText[]): Promise<PreparedSearchFields[]> {
  const search = articles.map((a) => ({ title: a.title, subtitle: a.subtitle, summary: a.summary, bodyText: a.bodyText, tags: a.tags }));
  return (await inWorker({ search })).search!.map(unpackSearchFields);
}

/**
 * Related-reading terms and fingerprints of a batch of articles, in the body worker threads (split between them):
 * jieba's part-of-speech cut is most of an analysis, and a backlog or a bulk load has thousands to do.
 */
export async function prepareRelatedBatch(articles: readonly (TextFields & { bodyText: string })[]): Promise<RelatedDocument[]> {
  if (articles.length === 0) return [];
  const plain = articles.map((a) => ({ title: a.title, subtitle: a.subtitle, summary: a.summary, tags: a.tags, bodyText: a.bodyText }));
  const size = Math.ceil(plain.length / BODY_THREADS);
  const parts = [];
  for (let i = 0; i < plain.length; i += size) parts.push(inWorker({ related: plain.slice(i, i + size) }));
  return (await Promise.all(parts)).flatMap((o) => o.related!);
}
