import type { Store } from '../store.ts';
import { WordMatcher } from './matcher.ts';

/** Another process's change to the list reaches this one within this time; this process's own at once. */
export const WORD_LIST_STALE_MS = 5_000;

/**
 * The compiled sensitive-word list, one per process (in the Ctx), like the search synonyms: checked when older than
 * WORD_LIST_STALE_MS, dropped after this process's own changes commit. Compiling takes 0.1–0.3 s of the event loop
 * for 10,000 words, so it happens only when the list changed: a stale copy first asks the list's fingerprint (one
 * aggregate query) and is kept when it is the same; concurrent loads share one promise.
 */
export class WordListCache {
  private copy: { at: number; version: string; matcher: WordMatcher } | undefined;
  private loading: Promise<WordMatcher> | undefined;
  private generation = 0;

  constructor(
    private readonly staleMs = WORD_LIST_STALE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  invalidate(): void {
    this.copy = undefined;
    this.loading = undefined;
    this.generation++;
  }

  async get(store: Store): Promise<WordMatcher> {
    const copy = this.copy;
    if (copy && this.now() - copy.at < this.staleMs) return copy.matcher;
    if (this.loading) return this.loading;
    const generation = this.generation;
    const at = this.now();
    let version = '';
    const loading = (async () => {
      version = await store.moderationWords.version();
      if (copy && copy.version === version) return copy.matcher;
      return new WordMatcher(await store.moderationWords.all());
    })();
    this.loading = loading;
    try {
      const matcher = await loading;
      if (generation === this.generation) this.copy = { at, version, matcher };
      return matcher;
    } finally {
      if (generation === this.generation) this.loading = undefined;
    }
  }
}
