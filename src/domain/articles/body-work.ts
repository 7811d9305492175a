import { DomainError, invalid } from '../errors.ts';
import { extractFigures, type KeyFigure } from '../nlp/figures.ts';
import { suggestKeywords } from '../nlp/keywords.ts';
import { fingerprint, type Fingerprint } from '../nlp/minhash.ts';
import { extractSummary } from '../nlp/summary.ts';
import { packSearchFields, prepareSearchFields, type PackedSearchFields, type PreparedSearchFields, type SearchText } from '../search/document.ts';
import { bodyText, sanitizeBody } from './html.ts';
import { LIMITS } from './limits.ts';
import type { RelatedDocument } from './related-reading.ts';
import { ANALYSED_CHARS, analyseArticle, fingerprintText } from './related.ts';

/**
 * The CPU-heavy part of saving an article, as plain functions of strings: run inline for short bodies and in the body
 * worker thread (body-worker.ts) for long ones, so one reporter's body never holds up the readers.
 */

export interface PreparedBody {
  bodyHtml: string;
  bodyText: string;
}

/** The other texts an article is analysed with (related reading, search). */
export interface TextFields {
  title: string;
  subtitle: string;
  summary: string;
  tags: string[];
}

/** Related-reading terms and search fields worked out ahead; used only if the article's texts are still these. */
export interface PreparedAnalysis {
  related: RelatedDocument;
  search: PreparedSearchFields;
}

const tooLong = (what: string) => invalid(`body must be at most 2 MB ${what}`, 'body', 'too_long');

/** Checks a body's size and complexity, sanitizes it (≤ 2 MB once sanitized too) and takes its text. */
export function prepareBodyNow(html: string): PreparedBody {
  if (Buffer.byteLength(html, 'utf8') > LIMITS.bodyBytes) throw tooLong('(UTF-8)');
  const bodyHtml = sanitizeBody(html);
  // Sanitizing can lengthen a body (<b> becomes <strong>, closing tags are added, & becomes &amp;): the cap is on what is stored.
  if (Buffer.byteLength(bodyHtml, 'utf8') > LIMITS.bodyBytes) throw tooLong('once cleaned (closing tags added, <b> as <strong>, & as &amp;)');
  return { bodyHtml, bodyText: bodyText(bodyHtml) };
}

export function analyseNow(fields: TextFields, text: string): PreparedAnalysis {
  const a = { ...fields, bodyText: text };
  return { related: analyseArticle(a), search: prepareSearchFields(a) };
}

/** The editor assists' text work for a draft (see assist.ts), on its prepared body's first 20,000 characters. */
export interface AssistTexts {
  summary: string;
  keywords: string[];
  figures: KeyFigure[];
  /** What near-duplicates are looked up by. */
  fingerprint: Fingerprint;
}

export function assistNow(title: string, html: string): AssistTexts {
  const text = prepareBodyNow(html).bodyText.slice(0, ANALYSED_CHARS);
  return {
    summary: extractSummary(title, text),
    keywords: suggestKeywords(title, text),
    figures: extractFigures(text),
    fingerprint: fingerprint(fingerprintText(title, text)),
  };
}

/** What crosses the thread boundary: a job, and a result or the domain error it met (classes do not survive cloning). */
export type BodyJob =
  | { html: string }
  | { text: string; fields: TextFields }
  | { assist: { title: string; html: string } }
  /** A batch of articles' search fields, for a rebuild or a fill of an index. */
  | { search: SearchText[] }
  /** A batch of articles' related-reading terms and fingerprints (a backlog, a bulk load). */
  | { related: (TextFields & { bodyText: string })[] };

export type BodyOutcome =
  | { ok: true; body?: PreparedBody; analysis?: PreparedAnalysis; assist?: AssistTexts; search?: PackedSearchFields[]; related?: RelatedDocument[] }
  | { ok: false; error: { kind: DomainError['kind']; code: DomainError['code']; message: string; field?: string } };

export function runBodyJob(job: BodyJob): BodyOutcome {
  try {
    if ('assist' in job) return { ok: true, assist: assistNow(job.assist.title, job.assist.html) };
    if ('search' in job) return { ok: true, search: job.search.map((a) => packSearchFields(prepareSearchFields(a))) };
    if ('related' in job) return { ok: true, related: job.related.map((a) => analyseArticle(a)) };
    if ('html' in job) {
      const body = prepareBodyNow(job.html);
      return { ok: true, body };
    }
    return { ok: true, analysis: analyseNow(job.fields, job.text) };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, error: { kind: err.kind, code: err.code, message: err.message, field: err.field } };
    throw err;
  }
}
