import { DomainError } from './errors.ts';

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

/** The hold a running request has on its key, handed to the creation so that it records what it made. */
export interface IdempotencyHold {
  accountId: number;
  key: string;
  owner: string;
  /** The request the key stands for, and when it claimed the key: a hold whose row went meanwhile writes it anew. */
  fingerprint: string;
  claimedAt: number;
}

/**
 * What recording a creation under a key found: it is recorded (`kept`), or another request holding the same key
 * recorded its own creation first (`made`, its id): that one stands, this one must not commit.
 */
export type MadeOutcome = { kept: true } | { kept: false; made: number; secret?: string };

/**
 * What claiming a key found: it is ours now (`claimed`), or another request has it — the fingerprint it was used
 * with, its answer once there is one (none while that request runs), and the id of what it created once that
 * committed (there may be no answer yet: its process died before keeping it) with the secret recorded with it.
 * The answer and the secret are opened with the claim's key, and only for the same request (fingerprint); one that
 * will not open (altered in the database) is `lost`: what was made is answered as after a crash, or the client is told.
 */
export type ClaimOutcome =
  | { claimed: true }
  | {
      claimed: false;
      fingerprint: string;
      answer?: IdempotentAnswer;
      made?: number;
      secret?: string;
      /** The kept answer (or the recorded secret) is there but will not open: it was altered in the database. */
      lost?: true;
    };

export interface IdempotencyRepository {
  /**
   * Claims the key for a request: a new key (or one kept past IDEMPOTENCY_KEEP_MS) is taken; a key held by a
   * request with the same fingerprint whose lease ran out is taken over; otherwise says who has it. Deletes the
   * expired keys of every account on the way (a key is kept 24 hours, not forever).
   */
  claim(c: IdempotencyClaim): Promise<ClaimOutcome>;
  /** Keeps the answer of the request holding the key (its owner); retries get it from now on. */
  answer(accountId: number, key: string, owner: string, answer: IdempotentAnswer): Promise<void>;
  /**
   * Records, in the creating transaction, the id of what a request holding the key created, unless a request with the
   * same key (the same request sent again, which took the key over when this one outlived its lease) recorded its own
   * first: the first creation to commit stands, whichever request holds the key now, and the holder becomes its
   * owner (it answers). Writes the key's row anew when it went meanwhile (let go by a failed retry). `secret` is what
   * answering a retry needs and the database must not hold readable (a new API token): kept sealed with the client's
   * key, given back (opened) to the same request with the same key.
   */
  made(hold: IdempotencyHold, id: number, secret?: string): Promise<MadeOutcome>;
  /** Lets the key go (the request failed and changed nothing): a retry runs it anew. A key whose creation committed stays. */
  release(accountId: number, key: string, owner: string): Promise<void>;
  /**
   * The article the account's key made, kept for good (not a day: a browser copy of a new article sends its creation
   * again on 恢复 however late), with the request the key stood for; undefined for a key that made none.
   */
  articleMadeWith(accountId: number, key: string): Promise<KeptCreation | undefined>;
  /**
   * Keeps for good, in the creating transaction, that the hold's key made the article `id`; false (nothing written)
   * when the key made an article already: another request with it committed first.
   */
  keepArticleKey(hold: IdempotencyHold, id: number, at: number): Promise<boolean>;
}

/** What a key made for good: the article's id, and the fingerprint of the request that made it. */
export interface KeptCreation {
  id: number;
  fingerprint: string;
}

/** What another request with the same key made: its id, and the secret recorded with it. */
export interface MadeByAnother {
  id: number;
  secret?: string;
}

const madeElsewhere = new WeakMap<Error, MadeByAnother>();

/** What another request with the same key made, when `err` is keepMade's refusal to make it twice. */
export function madeByAnother(err: unknown): MadeByAnother | undefined {
  return err instanceof Error ? madeElsewhere.get(err) : undefined;
}

/**
 * Inside a creation's transaction: the key's row names what it made, committed with it or not at all, so that a
 * retry after a crash between the commit and the answer answers with it instead of creating it again. Throws (the
 * transaction rolls back) when another request with the key (a retry that took it over while this one ran past its
 * lease, or the slow first request itself) has made it already: the caller answers with that one (madeByAnother).
 */
export async function keepMade(store: { idempotency: IdempotencyRepository }, hold: IdempotencyHold | undefined, id: number, secret?: string): Promise<void> {
  if (!hold) return;
  const outcome = await store.idempotency.made(hold, id, secret);
  if (outcome.kept) return;
  throw madeAlready({ id: outcome.made, ...(outcome.secret === undefined ? {} : { secret: outcome.secret }) });
}

/** The refusal to make what a request with the same key made already: a route with a remake answers with that one. */
function madeAlready(made: MadeByAnother): DomainError {
  const err = new DomainError(
    'conflict',
    'idempotency_in_progress',
    'Another request with this Idempotency-Key made it already; send the request again to get its answer',
    'Idempotency-Key',
    1,
  );
  madeElsewhere.set(err, made);
  return err;
}

/** The same key sent with another request (another body, another route): refused, and nothing is done. */
export function keyReused(): DomainError {
  return new DomainError(
    'unprocessable',
    'idempotency_key_reused',
    'This Idempotency-Key was used with another request; send a new key for a new request',
    'Idempotency-Key',
  );
}

/**
 * Before an article is made: a key that made one already, however long ago (idempotency_keys forgets it after a day,
 * the article's key is kept for good), answers that article — thrown, for the route's remake (madeByAnother), as when
 * a racing request made it — and the same key with another request is refused (422) as within the day.
 */
export async function checkArticleKey(store: { idempotency: IdempotencyRepository }, hold: IdempotencyHold | undefined): Promise<void> {
  if (!hold) return;
  const kept = await store.idempotency.articleMadeWith(hold.accountId, hold.key);
  if (!kept) return;
  if (kept.fingerprint !== hold.fingerprint) throw keyReused();
  throw madeAlready({ id: kept.id });
}

/**
 * In the article's creating transaction: its key is kept for good with it. When another request with the key made an
 * article first (it committed meanwhile), this one rolls back and answers that one, as checkArticleKey does.
 */
export async function keepArticleKey(store: { idempotency: IdempotencyRepository }, hold: IdempotencyHold | undefined, id: number, at: number): Promise<void> {
  if (!hold || (await store.idempotency.keepArticleKey(hold, id, at))) return;
  await checkArticleKey(store, hold);
  throw new DomainError('conflict', 'concurrent_change', 'Another request with this Idempotency-Key changed things meanwhile; try again');
}

/**
 * The request was done once, but what a retry needs to answer it (the kept answer, a new token's secret) was altered in
 * the database and will not open: the client looks the thing up (or revokes the token) rather than sending it again.
 */
export function answerLost(): DomainError {
  return new DomainError(
    'unprocessable',
    'idempotency_answer_lost',
    'The request with this Idempotency-Key was done once, but its answer can no longer be given; look up what it made instead of sending it again, or send a new key for a new request',
    'Idempotency-Key',
  );
}
