import type { Postings } from '../store.ts';
import { POSTINGS } from './related-candidates.ts';

/**
 * How the terms not kept are read: each term's first `depth` postings, heaviest first (the database's order), into
 * arrays from `allocate` when it is given (see KeptPostingsOptions.recycle).
 */
export type ReadPostings = (terms: readonly (readonly [term: string, depth: number])[], allocate?: (n: number) => Postings) => Promise<Map<string, Postings>>;

/** A fresh pair of arrays for `n` postings. */
export const freshPostings = (n: number): Postings => ({ ids: new Int32Array(n), weights: new Float64Array(n) });

/** One term's postings as they are known, heaviest first (ties by id, as the database's index orders them). */
interface KeptTerm {
  ids: Int32Array;
  weights: Float64Array;
  /** How deep they were read: the term's first `depth` postings are these; Infinity when they are all of them. */
  depth: number;
  /** When they were read (ttlMs). */
  readAt: number;
  /** Postings added since, not yet merged in: ids and weights. */
  addedIds?: number[];
  addedWeights?: number[];
  /** Articles whose posting is replaced by an added one (an analysis made again). */
  replaced?: Set<number>;
}

export interface KeptPostingsOptions {
  /** Postings held at most (12 bytes each); past it the terms least recently read are let go. 0: none kept. */
  capacity: number;
  /**
   * Milliseconds a term's postings are trusted after they were read: analyses this process is not told of (another
   * process's, a bulk backlog's) reach a term's list when it is read again. Unset: for as long as it is kept.
   */
  ttlMs?: number;
  /**
   * The arrays of postings let go (a term let go, read again, merged) are used again for the next ones read, and
   * postings handed out stay valid only until the next read. Without it a thread that keeps turning its postings over
   * leaves megabytes a second of arrays to the garbage collector, which frees them (memory outside V8's heap) only
   * after tens of megabytes: the reader thread's process grew by ~65 MB at a million articles.
   */
  recycle?: boolean;
  now?: () => number;
}

/** Arrays kept for use again, by capacity (a power of two, from MIN_CAPACITY): at most a quarter of `capacity` postings. */
const MIN_CAPACITY = 64;

const EMPTY: Postings = { ids: new Int32Array(0), weights: new Float64Array(0) };

/**
 * Each term's first postings, read from the database once and then kept, with the analyses made since added as they
 * are told: what a later read is given is what the database would give it, without reading a common term's thousands
 * of postings again. A term is read again when it is asked deeper than it was read, or once it is older than `ttlMs`.
 *
 * Two users: the bulk path (an import or a backlog: batch after batch of one run, each batch's analyses added once
 * committed; related-bulk.ts) and the related-reading reader thread (a publish's candidates: the shortlist read ~40,000
 * postings of its forty terms each time, ~14 ms of PostgreSQL's CPU at 300,000 articles; related-worker.ts). A posting
 * left behind (an article taken down, a term its new text no longer has) only costs a place on a shortlist: the best
 * of it are scored exactly from their own vectors and checked to be published, on every path.
 */
export class KeptPostings {
  private readonly terms = new Map<string, KeptTerm>();
  private size = 0;
  private readonly spare = new Map<number, Postings[]>();
  private spareSize = 0;
  /** Terms answered from what was kept, and read from the database (tests and benchmarks). */
  readonly counts = { kept: 0, read: 0 };

  constructor(private readonly options: KeptPostingsOptions) {}

  async read(readPostings: ReadPostings, depths: ReadonlyMap<string, number>): Promise<Map<string, Postings>> {
    const now = this.now();
    const out = new Map<string, Postings>();
    const missing: [string, number][] = [];
    for (const [term, depth] of depths) {
      const kept = this.terms.get(term);
      const live = kept !== undefined && !this.expired(kept, now);
      // Added postings merged first: what a list knows can shrink (a posting made again falls below a cut list's last).
      if (live && kept.addedIds) this.merge(kept);
      if (live && kept.depth >= depth) {
        // Most recently used last: the first in the map are let go first.
        this.terms.delete(term);
        this.terms.set(term, kept);
        out.set(term, this.top(kept, depth));
        this.counts.kept++;
      } else missing.push([term, depth]);
    }
    if (missing.length === 0) return out;
    this.counts.read += missing.length;
    const read = await readPostings(missing, this.options.recycle ? (n) => this.allocate(n) : undefined);
    for (const [term, depth] of missing) {
      const p = read.get(term) ?? EMPTY;
      out.set(term, p);
      if (this.options.capacity === 0) continue;
      const before = this.terms.get(term);
      if (before) {
        this.size -= before.ids.length + (before.addedIds?.length ?? 0);
        this.terms.delete(term);
        this.release(before);
      }
      this.size += p.ids.length;
      this.terms.set(term, { ids: p.ids, weights: p.weights, depth: p.ids.length < depth ? Number.POSITIVE_INFINITY : depth, readAt: now });
    }
    for (const term of this.terms.keys()) {
      if (this.size <= this.options.capacity) break;
      const gone = this.terms.get(term)!;
      this.size -= gone.ids.length + (gone.addedIds?.length ?? 0);
      this.terms.delete(term);
      this.release(gone);
    }
    return out;
  }

  /**
   * An article's analysis, into the terms kept (a term not kept is read from the database, which has it). `replace`: the
   * article may already be among them (analysed before), and its posting is taken out first.
   */
  add(articleId: number, terms: readonly (readonly [string, number])[], { replace = false } = {}): void {
    for (const [term, weight] of terms) {
      const kept = this.terms.get(term);
      if (!kept) continue;
      if (replace && (kept.ids.includes(articleId) || kept.addedIds?.includes(articleId))) {
        kept.replaced ??= new Set();
        kept.replaced.add(articleId);
        const at = kept.addedIds?.indexOf(articleId) ?? -1;
        if (at >= 0) {
          kept.addedIds!.splice(at, 1);
          kept.addedWeights!.splice(at, 1);
          this.size--;
        }
      }
      (kept.addedIds ??= []).push(articleId);
      (kept.addedWeights ??= []).push(weight);
      this.size++;
    }
  }

  /** Arrays for `n` postings: a spare pair of the smallest capacity that holds them, if any (see recycle). */
  private allocate(n: number): Postings {
    let capacity = MIN_CAPACITY;
    while (capacity < n) capacity *= 2;
    const pair = this.spare.get(capacity)?.pop();
    if (!pair) return { ids: new Int32Array(capacity).subarray(0, n), weights: new Float64Array(capacity).subarray(0, n) };
    this.spareSize -= capacity;
    return { ids: pair.ids.subarray(0, n), weights: pair.weights.subarray(0, n) };
  }

  /** A term's arrays, let go: kept for use again when recycling and there is room among the spares. */
  private release(kept: { ids: Int32Array; weights: Float64Array }): void {
    if (!this.options.recycle) return;
    const capacity = kept.ids.buffer.byteLength / Int32Array.BYTES_PER_ELEMENT;
    // Only arrays this made (a power of two from MIN_CAPACITY, the weights' as long); a read's own are left to the GC.
    if (capacity < MIN_CAPACITY || (capacity & (capacity - 1)) !== 0 || kept.weights.buffer.byteLength !== capacity * 8) return;
    if (this.spareSize + capacity > this.options.capacity / 4) return;
    let list = this.spare.get(capacity);
    if (!list) this.spare.set(capacity, (list = []));
    list.push({ ids: new Int32Array(kept.ids.buffer), weights: new Float64Array(kept.weights.buffer) });
    this.spareSize += capacity;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private expired(kept: KeptTerm, now: number): boolean {
    return this.options.ttlMs !== undefined && now - kept.readAt >= this.options.ttlMs;
  }

  /** The first `depth` postings of a kept term, its added ones merged in (views, not copies). */
  private top(kept: KeptTerm, depth: number): Postings {
    const n = Math.min(depth, kept.ids.length);
    return { ids: kept.ids.subarray(0, n), weights: kept.weights.subarray(0, n) };
  }

  /**
   * The added postings merged into the sorted ones (sorted themselves first: a few against thousands), the replaced
   * ones left out. A list cut at its depth knows the term's postings only down to its last one: an added posting below
   * that may have others of the database before it, and is left to a deeper read; the list then knows as many as it
   * holds. Past what any reader reads (POSTINGS.ceiling) a list is cut.
   */
  private merge(kept: KeptTerm): void {
    const { ids, weights, replaced } = kept;
    const complete = kept.depth === Number.POSITIVE_INFINITY;
    const last = ids.length - 1;
    const known = (w: number, id: number) => complete || (last >= 0 && (w > weights[last]! || (w === weights[last] && id <= ids[last]!)));
    const addedIds: number[] = [];
    const addedWeights: number[] = [];
    for (const [k, id] of kept.addedIds!.entries()) {
      const w = kept.addedWeights![k]!;
      if (!known(w, id)) continue;
      addedIds.push(id);
      addedWeights.push(w);
    }
    const order = addedIds.map((_, i) => i).sort((a, b) => addedWeights[b]! - addedWeights[a]! || addedIds[a]! - addedIds[b]!);
    const before = ids.length + kept.addedIds!.length;
    let available = ids.length + addedIds.length;
    if (replaced) for (const id of ids) if (replaced.has(id)) available--;
    const keep = Math.min(available, POSTINGS.ceiling);
    const { ids: outIds, weights: outWeights } = this.options.recycle ? this.allocate(keep) : freshPostings(keep);
    let n = 0;
    let i = 0;
    let j = 0;
    while (n < keep) {
      if (i < ids.length && replaced?.has(ids[i]!)) {
        i++;
        continue;
      }
      const a = order[j];
      const takeOld = a === undefined || (i < ids.length && (weights[i]! > addedWeights[a]! || (weights[i] === addedWeights[a] && ids[i]! < addedIds[a]!)));
      if (takeOld) {
        outIds[n] = ids[i]!;
        outWeights[n++] = weights[i++]!;
      } else {
        outIds[n] = addedIds[a]!;
        outWeights[n++] = addedWeights[a]!;
        j++;
      }
    }
    if (!complete || n < available) kept.depth = n;
    this.size += n - before;
    this.release(kept);
    kept.ids = outIds;
    kept.weights = outWeights;
    kept.addedIds = undefined;
    kept.addedWeights = undefined;
    kept.replaced = undefined;
  }
}
