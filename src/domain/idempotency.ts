/**
 * Clients' retry keys (`Idempotency-Key`) on the creating POSTs of the newsroom API: what a key stands for and the
 * answer it got. The web layer decides what a retry gets (web/idempotency.ts); storage keeps the keys.
 */

/** A key is kept this long after its first request; then it may be used again and its row is deleted. */
export const IDEMPOTENCY_KEEP_MS = 24 * 60 * 60_000;
/**
 * A request holds its key at most this long: a key still held after it belonged to a process that died mid-request,
 * and a retry with the same request takes it over (and runs again: what the dead request did is unknown).
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;

/** The first answer to a key's request, given again to every retry. */
export interface IdempotentAnswer {
  status: number;
  /** The headers a client reads from a creation (content-type, location, etag). */
  headers: Record<string, string>;
  body: string;
}

/** One request's hold on an account's key. */
export interface IdempotencyClaim {
  accountId: number;
  key: string;
  /** The request the key stands for: a hash of its method, path and body. */
  fingerprint: string;
  /** A random token of this request, so that only it answers or releases the key. */
  owner: string;
  now: number;
}

/**
 * What claiming a key found: it is ours now (`claimed`), or another request has it — the fingerprint it was used
 * with, and its answer once there is one (none while that request runs).
 */
export type ClaimOutcome = { claimed: true } | { claimed: false; fingerprint: string; answer?: IdempotentAnswer };

export interface IdempotencyRepository {
  /**
   * Claims the key for a request: a new key (or one kept past IDEMPOTENCY_KEEP_MS) is taken; a key held by a
   * request with the same fingerprint whose lease ran out is taken over; otherwise says who has it. Deletes the
   * expired keys of every account on the way (a key is kept 24 hours, not forever).
   */
  claim(c: IdempotencyClaim): Promise<ClaimOutcome>;
  /** Keeps the answer of the request holding the key (its owner); retries get it from now on. */
  answer(accountId: number, key: string, owner: string, answer: IdempotentAnswer): Promise<void>;
  /** Lets the key go (the request failed and changed nothing): a retry runs it anew. */
  release(accountId: number, key: string, owner: string): Promise<void>;
}
