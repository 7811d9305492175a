import { normalizeText } from '../nlp/segment.ts';
import type { Store } from '../store.ts';
import type { Synonyms } from './query.ts';
import type { SynonymGroup } from './synonym.ts';

/**
 * Another process's change reaches this one's cache within this time: each process reloads the list (one small
 * query) when its copy is older, and its own changes drop its copy at once.
 */
export const SYNONYM_STALE_MS = 5_000;

const NO_SYNONYMS: Synonyms = { groupOf: () => undefined, longest: 0 };

/** The lookup a query uses, from the groups: each word normalized now (a change of normalization needs no migration). */
export function synonymLookup(groups: readonly SynonymGroup[]): Synonyms {
  if (groups.length === 0) return NO_SYNONYMS;
  const byWord = new Map<string, string[]>();
  let longest = 0;
  for (const g of groups) {
    const keys = [...new Set(g.words.map(normalizeText).filter((k) => k !== '' && !k.includes(' ')))];
    for (const k of keys) {
      // The word itself first: it is what the reader typed, and the first alternative shown.
      if (!byWord.has(k)) byWord.set(k, [k, ...keys.filter((o) => o !== k)]);
      longest = Math.max(longest, k.length);
    }
  }
  return { groupOf: (word) => byWord.get(word), longest };
}

/**
 * The synonyms in memory, one copy per process (the composition root makes it, in the Ctx): reloaded when older
 * than SYNONYM_STALE_MS, dropped at once after this process's own changes commit. A load that a change overtook
 * is used for its own query but not kept.
 */
export class SynonymCache {
  private copy: { at: number; synonyms: Synonyms } | undefined;
  private generation = 0;

  constructor(
    private readonly staleMs = SYNONYM_STALE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  invalidate(): void {
    this.copy = undefined;
    this.generation++;
  }

  async get(store: Store): Promise<Synonyms> {
    const copy = this.copy;
    if (copy && this.now() - copy.at < this.staleMs) return copy.synonyms;
    const generation = this.generation;
    const at = this.now();
    const synonyms = synonymLookup(await store.synonyms.all());
    if (generation === this.generation) this.copy = { at, synonyms };
    return synonyms;
  }
}
