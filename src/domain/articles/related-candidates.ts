import type { AnalysedRange, RelatedRepository } from '../store.ts';
import type { Candidate } from './related-reading.ts';

/*
 * The read side of related reading, apart from the analysis (jieba, TF-IDF): the reader thread that finds candidates
 * on SQLite (storage/related-worker.ts) loads this and not the segmenter.
 */

/**
 * Postings read per publish, shared out among its terms by their weight in the query (each term between the floor and
 * the ceiling), and how many of the best by them are scored exactly (see RelatedRepository.similarPublished).
 * bench/related-postings.ts measures other values on a PostgreSQL archive (at 300,000 articles a floor of 250 took the
 * same time as 500, for the same lists).
 */
export const POSTINGS = { budget: 40_000, floor: 500, ceiling: 8_000, rescored: 400 };

/** How deep a term's postings are read for a query: its share of the budget by its weight among the query's (`total`). */
export function postingsDepth(weight: number, total: number): number {
  return Math.min(POSTINGS.ceiling, Math.max(POSTINGS.floor, Math.round((POSTINGS.budget * Math.max(0, weight)) / (total || 1))));
}

/** Our own archive's statistics: how many articles, and how many of them have each term among their heaviest. */
export interface Corpus {
  documents: number;
  df: Map<string, number>;
}

/**
 * jieba's IDF comes from a general corpus; a newsroom's own city or beat words (江城, 滨海) are everywhere in its
 * archive yet rare there. Terms among the heaviest of more than 5 % of our articles are damped, once the archive is
 * big enough to tell a beat word from a subject.
 */
export function archiveDamping(term: string, corpus: Corpus | undefined): number {
  if (!corpus || corpus.documents < 20) return 1;
  const share = (corpus.df.get(term) ?? 0) / corpus.documents;
  return share <= 0.05 ? 1 : Math.max(0.1, Math.log(1 / share) / Math.log(20));
}

/**
 * The published articles most like an article, by its stored terms: damped on both sides of the dot product with the
 * archive as it is now, so stored vectors never go stale. Reads only; the outbox runs it outside the write transaction
 * (RelatedRepository.candidatesApart) and the transaction checks what it found is still published.
 */
export async function findCandidates(
  related: Pick<RelatedRepository, 'documentFrequencies' | 'similarPublished'>,
  articleId: number,
  terms: readonly [string, number][],
  limit: number,
): Promise<Candidate[]> {
  const corpus = await corpusStatistics.of(
    related,
    terms.map(([t]) => t),
  );
  const query = terms.map(([t, w]): [string, number] => [t, w * archiveDamping(t, corpus) ** 2]);
  return related.similarPublished(articleId, query, limit);
}

/**
 * The archive's statistics as publishes read them, remembered for a few minutes once the archive is large: counting a
 * publish's forty terms (up to 400 postings each) was a third of the database's work per publish on PostgreSQL, and
 * past ten thousand articles a few minutes' publishes move a term's share by far less than the damping can tell
 * (it only needs the share to a few per cent). The archive's own size is remembered as long, and a term not counted yet
 * is counted against it: counting the archive again for every publish with a new name in it was three statements
 * (1.9 ms of PostgreSQL's time at 20,000 articles) for a figure that had moved by a few articles. A smaller archive is
 * counted afresh each time: there each article moves the shares, and the damping is off below 20 documents anyway.
 * Per process (and per reader thread).
 */
export class CorpusStatistics {
  private archive: { range: AnalysedRange; at: number } | undefined;
  private readonly terms = new Map<string, { df: number; at: number }>();

  constructor(
    private readonly options = { from: 10_000, ttlMs: 5 * 60_000, maxTerms: 100_000 },
    private readonly now = () => performance.now(),
  ) {}

  async of(related: Pick<RelatedRepository, 'documentFrequencies'>, terms: readonly string[]): Promise<Corpus> {
    const now = this.now();
    const fresh = (at: number) => now - at < this.options.ttlMs;
    const archive = this.archive;
    if (archive === undefined || !fresh(archive.at) || archive.range.documents < this.options.from) return this.count(related, terms, now);
    const missing = terms.filter((t) => {
      const kept = this.terms.get(t);
      return kept === undefined || !fresh(kept.at);
    });
    if (missing.length > 0) await this.count(related, missing, now, archive.range);
    const df = new Map<string, number>();
    for (const t of terms) df.set(t, this.terms.get(t)?.df ?? 0);
    return { documents: archive.range.documents, df };
  }

  private async count(related: Pick<RelatedRepository, 'documentFrequencies'>, terms: readonly string[], now: number, known?: AnalysedRange): Promise<Corpus> {
    const { range, ...corpus } = await related.documentFrequencies(terms, known);
    // The archive as counted now; terms counted against a remembered one leave its time as it was.
    if (!known) this.archive = range ? { range, at: now } : undefined;
    if (corpus.documents < this.options.from) return corpus;
    if (this.terms.size + terms.length > this.options.maxTerms) this.terms.clear();
    // A term counted is remembered at its count, a term with no postings at 0.
    for (const t of terms) this.terms.set(t, { df: corpus.df.get(t) ?? 0, at: now });
    return corpus;
  }
}

const corpusStatistics = new CorpusStatistics();

/** The k-th largest of `a` (1-based), reordering it: quickselect, linear time. */
export function kthLargestInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const x = a[i]!;
        a[i++] = a[j]!;
        a[j--] = x;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target]!;
}

const SAMPLE_STEP = 16;
let sample = new Float64Array(1024);

/**
 * The k-th largest of `a` (1-based), which serves as scratch: its values are not kept. A shortlist's threshold over
 * tens of thousands of sums: a strided sample's quickselect gives a cut that nearly always lies below the answer, and
 * only the values at or above it (~2k of them) are quickselected (a quickselect over all the sums was a third of an
 * import's scoring at 100,000 articles). When the cut lies above the answer, all of `a` is quickselected, as before.
 */
export function kthLargestOf(a: Float64Array, k: number): number {
  const n = a.length;
  if (k < 1 || n < k * SAMPLE_STEP) return kthLargestInPlace(a, k);
  const m = Math.floor(n / SAMPLE_STEP);
  if (sample.length < m) sample = new Float64Array(m * 2);
  const s = sample.subarray(0, m);
  for (let i = 0; i < m; i++) s[i] = a[i * SAMPLE_STEP]!;
  // The answer's rank in the sample is about k / SAMPLE_STEP: twice that and a margin puts the cut below it.
  const cut = kthLargestInPlace(s, Math.min(m, 2 * Math.ceil(k / SAMPLE_STEP) + 8));
  let above = 0;
  for (let i = 0; i < n; i++) if (a[i]! >= cut) above++;
  if (above < k) return kthLargestInPlace(a, k);
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    if (v >= cut) a[c++] = v;
  }
  return kthLargestInPlace(a.subarray(0, c), k);
}
