import type { Clock } from './clock.ts';
import { ContentEvents, type ContentChange } from './events.ts';
import type { MediaStore } from './media/media-store.ts';
import type { RemoteImages } from './media/remote.ts';
import type { ReactionRules } from './reactions/rules.ts';
import { WordListCache } from './moderation/word-list-cache.ts';
import { SynonymCache } from './search/synonym-cache.ts';
import type { Store } from './store.ts';

/** What every use case receives, made once per process by the composition root (src/container.ts). */
export interface Ctx {
  store: Store;
  clock: Clock;
  /** Where committed changes are announced. */
  events: ContentEvents;
  /** Voting's moods and anti-stuffing layers: the API, the no-JavaScript form and the reader pages share one set. */
  reactions: ReactionRules;
  /** Where finished media files live: the local media folder, or a bucket every app machine sees. */
  media: MediaStore;
  /** How long one upload's variants may take to encode, all together (media/service.ts ENCODE_BUDGET_MS unless given). */
  encodeBudgetMs?: number;
  /** Re-hosting of remote images in saved articles; without it (CLI, imports) remote images are left as they are. */
  remoteImages?: RemoteImages;
  /** The newsroom's search synonyms, cached in this process (see SynonymCache). */
  synonyms: SynonymCache;
  /** The sensitive-word list, compiled and cached in this process (see WordListCache). */
  wordList: WordListCache;
}

/** Announces a change once the transaction `store` belongs to has committed (at once outside a transaction). */
export function announce(ctx: Ctx, store: Store, change: ContentChange): void {
  store.afterCommit(() => ctx.events.emit(change));
}

export function newContext(parts: Omit<Ctx, 'events' | 'synonyms' | 'wordList'>): Ctx {
  return { ...parts, events: new ContentEvents(), synonyms: new SynonymCache(), wordList: new WordListCache() };
}
