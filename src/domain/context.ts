import type { Store } from '../storage/store.ts';
import type { Clock } from './clock.ts';

/** What every use case receives: the repositories and the time. */
export interface Ctx {
  store: Store;
  clock: Clock;
}
