import type { Store } from '../store.ts';
import { WordMatcher } from './matcher.ts';

/** Another process's change to the list reaches this one within this time; this process's own at once. */
export const WORD_LIST_STALE_MS = 5_000;

/**
 * The compiled sensitive-word list, one per process (in the Ctx), like the search synonyms: reloaded when older than
 * WORD_LIST_STALE_MS, dropped after this process's own changes commit. Loading compiles the automaton (about 0.1 s for
 * 10,000 words), so concurrent first loads share one promise.
 */
export class WordListCache {
  private copy: { at: number; matcher: WordMatcher } | undefined;
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
    const loading = store.moderationWords.all().then((words) => new WordMatcher(words));
    this.loading = loading;
    try {
      const matcher = await loading;
      if (generation === this.generation) this.copy = { at, matcher };
      return matcher;
    } finally {
      if (this.loading === loading) this.loading = undefined;
    }
  }
}
