import type { Store } from './store.ts';
import type { Clock } from './clock.ts';
import { ContentEvents, type ContentChange } from './events.ts';

/** What every use case receives: the repositories, the time, and where committed changes are announced. */
export interface Ctx {
  store: Store;
  clock: Clock;
  events: ContentEvents;
}

/** Announces a change once the transaction `store` belongs to has committed (at once outside a transaction). */
export function announce(ctx: Ctx, store: Store, change: ContentChange): void {
  store.afterCommit(() => ctx.events.emit(change));
}

export function newContext(store: Store, clock: Clock): Ctx {
  return { store, clock, events: new ContentEvents() };
}
