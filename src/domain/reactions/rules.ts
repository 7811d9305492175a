import type { HitCounter } from './hits.ts';
import type { Mood } from './moods.ts';

/** What voting needs besides the store and the clock: the configured moods and the anti-stuffing layers. */
export interface ReactionRules {
  moods: readonly Mood[];
  /**
   * New readers' votes one address may cast on one article per hour; 0 = no cap. Every vote from the address,
   * cookie or not, is capped at twice this: cookies collected earlier buy no more votes.
   */
  capPerHour: number;
  /** Reader cookies one address may be given per hour (by voting without one); 0 = no cap. */
  newReadersPerHour: number;
  /** Votes on one article from one address prefix per minute above which new votes are held; 0 = off. */
  burstPerMinute: number;
  /** Salts address hashes (config.secret). */
  secret: string;
  /** Counts for the caps and the read de-duplication: in memory, or shared through Redis. */
  hits: HitCounter;
}
