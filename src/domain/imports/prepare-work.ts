import { prepareBodyNow } from '../articles/body-work.ts';
import type { RelatedDocument } from '../articles/related-reading.ts';
import { analyseArticle } from '../articles/related.ts';
import { DomainError } from '../errors.ts';
import { packSearchFields, prepareSearchFields, segmentBody, type PackedSearchFields } from '../search/document.ts';

/**
 * The CPU-heavy part of importing a post, as a plain function of strings: sanitizing its body (the same path as any
 * article's), segmenting its texts for the search index and analysing them for related reading (terms, fingerprint).
 * Run in the import's worker threads (prepare-pool.ts), a batch of posts per job, so the cores share it while the main
 * thread reads the file and writes the database.
 */
export interface PrepareJob {
  html: string;
  title: string;
  summary: string;
  tags: string[];
  /** Analyse for related reading too (not for a dry run, nor when the import leaves related reading to the backlog). */
  related: boolean;
}

/**
 * The search fields come packed (each token list one string): a batch then crosses the thread as a few thousand strings
 * instead of hundreds of thousands, which the main thread would otherwise copy and collect.
 */
export type PrepareOutcome =
  | { ok: true; bodyHtml: string; bodyText: string; search: PackedSearchFields; related?: RelatedDocument }
  | { ok: false; message: string };

/**
 * `cutOnce`: the body is cut by jieba once, for the search index and for related reading, its words then tagged from
 * jieba's dictionary (dictionaryTag: a table built in ~0.5 s, so for the import's workers, not a small file's few posts).
 */
export function preparePost(job: PrepareJob, cutOnce = false): PrepareOutcome {
  try {
    const body = prepareBodyNow(job.html);
    const fields = { title: job.title, subtitle: '', summary: job.summary, tags: job.tags, bodyText: body.bodyText };
    const cut = cutOnce ? segmentBody(body.bodyText) : undefined;
    const search = packSearchFields(prepareSearchFields(fields, cut));
    return job.related ? { ok: true, ...body, search, related: analyseArticle(fields, cut) } : { ok: true, ...body, search };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, message: err.message };
    throw err;
  }
}

export function preparePosts(jobs: PrepareJob[], cutOnce = false): PrepareOutcome[] {
  return jobs.map((job) => preparePost(job, cutOnce));
}
