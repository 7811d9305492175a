import type { MediaFolder, Spooled } from './files.ts';

/** Why a remote image was not fetched; the fetcher's refusals, in its own words (logged, never shown to readers). */
export class RemoteRefusal extends Error {}

/** The port to the network: fetches one remote image into a temporary file, or refuses (RemoteRefusal). */
export interface RemoteImageSource {
  fetch(url: string, into: MediaFolder, maxBytes: number, signal: AbortSignal): Promise<Spooled>;
}

/** Re-hosting as the composition root sets it up: where files go, the fetcher and the budgets of one save. */
export interface RemoteImages {
  folder: MediaFolder;
  maxBytes: number;
  source: RemoteImageSource;
  /** Longest wait for all of one save's images together. */
  budgetMs: number;
  /** Images fetched per save; the rest keep their remote address until a later save. */
  maxPerSave: number;
  /** Addresses that failed lately, and until when they are not tried again (autosaves come every few seconds). */
  failures: Map<string, number>;
}
