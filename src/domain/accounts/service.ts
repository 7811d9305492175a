import { createRequire } from 'node:module';
import type * as Argon2 from '@node-rs/argon2';
import type { Ctx } from '../context.ts';
import { randomToken, sha256 } from '../crypto.ts';
import { DomainError, conflict, invalid, notFound, unauthorized } from '../errors.ts';
import { type IdempotencyHold, keepMade } from '../idempotency.ts';
import { authorize } from '../policy.ts';
import { limitedAddress } from '../reactions/stuffing.ts';
import { lineField } from '../text.ts';
import { isRole, type Actor, type Role } from './roles.ts';
import type { Account } from './account.ts';
import type { Store } from '../store.ts';

/** argon2 (a native addon), loaded by the first sign-in or password change, not by every start. */
let argon2Module: typeof Argon2 | undefined;
const argon2 = (): typeof Argon2 => (argon2Module ??= createRequire(import.meta.url)('@node-rs/argon2') as typeof Argon2);

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const PRODUCTION_ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
// Test runs only (NODE_ENV=test) may ask for argon2's minimum cost; hashes carry their parameters, so all still verify.
const TEST_ARGON2 = { ...PRODUCTION_ARGON2, memoryCost: 8, timeCost: 1 } as const;
const argon2Options = () => (process.env.INKSTONE_ARGON2_COST === 'test' && process.env.NODE_ENV === 'test' ? TEST_ARGON2 : PRODUCTION_ARGON2);

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{1,31}$/;
export const PASSWORD_MIN = 8;

export const SESSION_IDLE_MS = 12 * 3600 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 3600 * 1000;
const SESSION_TOUCH_MS = 60 * 1000;

export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** Failures allowed per account and address in the window; the next attempt is refused. */
export const LOGIN_FAILURES_ALLOWED = 5;

/**
 * Beyond one account from one address: failures from one address across all accounts (password spraying) are
 * counted over an hour; past a free allowance each further attempt must wait twice as long after the last failure
 * as the one before, up to 15 minutes. Failures against one account from many addresses (a botnet) only slow every
 * attempt on that account: refusing them would let anyone lock the real person out from a few addresses.
 */
export const GROWING_WAIT = {
  windowMs: 60 * 60 * 1000,
  addressFree: 10,
  accountFree: 20,
  firstWaitMs: 2_000,
  maxWaitMs: 15 * 60 * 1000,
  /** How long each attempt on an account under attack is held before its password is checked. */
  accountSlowdownMs: 2_000,
};

/** How long after the last of these failures the next attempt must wait (0: no wait). */
export function growingWait(failures: number, free: number): number {
  if (failures <= free) return 0;
  return Math.min(GROWING_WAIT.maxWaitMs, GROWING_WAIT.firstWaitMs * 2 ** Math.min(30, failures - free - 1));
}

export function toActor(a: Account): Actor {
  return { id: a.id, username: a.username, displayName: a.displayName, role: a.role };
}

/**
 * Inside a write's transaction: the actor as their account stands now, not as it was when the request was signed in.
 * A save sent before an admin disabled the account, or took a role away, lands before that change commits or is
 * refused (401 disabled, or the policy's 403 for the new role): it never lands after it.
 */
export async function actingNow(store: Store, actor: Actor): Promise<Actor> {
  const account = await store.accounts.holdAccount(actor.id);
  if (!account || account.disabledAt !== null) throw unauthorized('This account has been disabled: sign in again');
  return toActor(account);
}

/**
 * A newsroom write: `fn` in one transaction with the actor as their account stands now (actingNow, read first, so the
 * account is held before anything the write touches), which `fn` authorizes against instead of the signed-in actor.
 * Without an actor (the CLI, the first start: the operator) there is no account to read.
 */
export function writeActing<A extends Actor | null, T>(store: Store, actor: A, fn: (store: Store, acting: A) => Promise<T>): Promise<T> {
  return store.transaction(async (tx) => fn(tx, (actor && (await actingNow(tx, actor))) as A));
}

export function hashPassword(password: string): Promise<string> {
  return argon2().hash(password, argon2Options());
}

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN) throw invalid(`A password needs at least ${PASSWORD_MIN} characters`, 'password', 'too_short');
  if (password.length > 256) throw invalid('A password may have at most 256 characters', 'password', 'too_long');
}

export interface NewAccount {
  username: string;
  displayName?: string;
  role: string;
  password: string;
}

/** Creates an account. `actor` is null only for the CLI and first start, which act as the operator. */
export async function createAccount(ctx: Ctx, actor: Actor | null, input: NewAccount): Promise<Account> {
  if (actor) authorize(actor, 'account.manage');
  const username = input.username.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw invalid('A username is 2–32 lowercase letters, digits, dots, dashes or underscores', 'username', 'invalid_username');
  }
  if (!isRole(input.role)) throw invalid('role must be reporter, editor or admin', 'role', 'invalid_role');
  checkPassword(input.password);
  const displayName = lineField(input.displayName ?? username, 'displayName', 50) || username;
  const passwordHash = await hashPassword(input.password);
  return writeActing(ctx.store, actor, async (store, acting) => {
    // An admin demoted or disabled during the hashing above makes no account.
    if (acting) authorize(acting, 'account.manage');
    if (await store.accounts.findByUsername(username)) throw conflict('username_taken', `The username ${username} is taken`, 'username');
    const now = ctx.clock.now();
    const id = await store.accounts.insert({ username, displayName, role: input.role as Role, passwordHash, at: now });
    await store.history.record({
      at: now,
      actorId: actor?.id ?? null,
      action: 'account.create',
      subjectType: 'account',
      subjectId: id,
      detail: { username, role: input.role },
    });
    return (await store.accounts.findById(id))!;
  });
}

/** One dummy hash per cost, so an unknown name costs what a real hash of the same cost does. */
const dummyHashes = new Map<object, Promise<string>>();

export interface LoginResult {
  account: Account;
  sessionToken: string;
  csrfToken: string;
  expiresAt: number;
}

/**
 * Admits one attempt at a password for this name from this address, or refuses it while a throttle of the address
 * holds (for this account, or across accounts) with the longest wait in seconds; an attempt on an account under
 * attack from many addresses is held a moment. The attempt is counted as a failure before its password is checked,
 * in the transaction that checked the counts (attempts from one address take turns there): counted only after, a burst
 * of concurrent guesses all passed the check before the first was counted. The caller clears the failures when the
 * password is right (clearLoginFailures) and finishes a wrong one with failedAttempt. It depends only on the name typed
 * and the address, never on whether the account exists, so it tells an attacker nothing.
 */
export async function admitAttempt(ctx: Ctx, username: string, address: string, now: number): Promise<void> {
  const hold = await ctx.store.transaction(async (store) => {
    const accounts = store.accounts;
    await accounts.lockLoginAttempts(address);
    const since = now - GROWING_WAIT.windowMs;
    const pair = await accounts.loginFailuresSince(username, address, now - LOGIN_WINDOW_MS);
    const fromAddress = await accounts.loginFailuresFromAddress(address, since);
    const forAccount = await accounts.loginFailuresForAccount(username, since);
    let waitUntil = 0;
    if (pair.length >= LOGIN_FAILURES_ALLOWED) waitUntil = pair[0]! + LOGIN_WINDOW_MS;
    const addressWait = growingWait(fromAddress.length, GROWING_WAIT.addressFree);
    if (addressWait > 0) waitUntil = Math.max(waitUntil, fromAddress[fromAddress.length - 1]! + addressWait);
    if (waitUntil > now) {
      const retryAfter = Math.max(1, Math.ceil((waitUntil - now) / 1000));
      throw new DomainError('throttled', 'too_many_attempts', '登录失败次数过多，请稍后再试', undefined, retryAfter);
    }
    await accounts.recordLoginFailure(username, address, now);
    return forAccount.length > GROWING_WAIT.accountFree;
  });
  if (hold) await ctx.clock.sleep(GROWING_WAIT.accountSlowdownMs);
}

/** After a wrong password (already counted by admitAttempt): the admins are told of an attack, old failures dropped. */
export async function failedAttempt(ctx: Ctx, username: string, now: number): Promise<void> {
  // The failure that puts an account under attack is written to the audit log once, for the admins to see.
  const failures = await ctx.store.accounts.loginFailuresForAccount(username, now - GROWING_WAIT.windowMs);
  const account = failures.length === GROWING_WAIT.accountFree + 1 ? await ctx.store.accounts.findByUsername(username) : undefined;
  if (account) {
    await ctx.store.history.record({
      at: now,
      actorId: null,
      action: 'account.login_attack',
      subjectType: 'account',
      subjectId: account.id,
      detail: { username, failures: failures.length, windowMinutes: GROWING_WAIT.windowMs / 60_000, slowdownSeconds: GROWING_WAIT.accountSlowdownMs / 1000 },
    });
  }
  // Failures older than every window count for nothing; dropping them keeps the table small.
  await ctx.store.accounts.pruneLoginFailures(now - Math.max(GROWING_WAIT.windowMs, LOGIN_WINDOW_MS));
}

/** What an argon2 hash looks like (PHC string format); anything else fails argon2's verify at once, without its cost. */
const ARGON2_HASH = /^\$argon2(?:id|i|d)\$/;

/**
 * Checks a password with one full argon2 verification, whoever asks. An unknown username, and an account without a
 * usable hash (imported: an export never carries password hashes), are verified against a dummy hash instead and
 * refused: failing at once, they would answer faster than a wrong password and tell a timing probe which names exist.
 */
export function verifyPassword(account: Account | undefined, password: string): Promise<boolean> {
  const options = argon2Options();
  let dummy = dummyHashes.get(options);
  if (!dummy) dummyHashes.set(options, (dummy = hashPassword(randomToken())));
  const usable = account !== undefined && ARGON2_HASH.test(account.passwordHash);
  return (usable ? Promise.resolve(account.passwordHash) : dummy)
    .then((h) => argon2().verify(h, password))
    .then((ok) => ok && usable)
    .catch(() => false);
}

export async function login(ctx: Ctx, input: { username: string; password: string; address: string }): Promise<LoginResult> {
  const username = input.username.trim().toLowerCase();
  const address = limitedAddress(input.address);
  const now = ctx.clock.now();
  await admitAttempt(ctx, username, address, now);
  const account = await ctx.store.accounts.findByUsername(username);
  const ok = await verifyPassword(account, input.password);
  if (!account || !ok || account.disabledAt !== null) {
    await failedAttempt(ctx, username, now);
    throw unauthorized('用户名或密码错误 (wrong username or password)', 'invalid_credentials');
  }
  await ctx.store.accounts.clearLoginFailures(username, address);
  const sessionToken = randomToken();
  const csrfToken = randomToken();
  const expiresAt = now + SESSION_MAX_MS;
  await ctx.store.transaction(async (store) => {
    // The password was checked against the hash read before argon2's work: a reset or disable that committed meanwhile
    // ended every session, and must end this one too. Held, the account cannot change until the session is in.
    const current = await store.accounts.holdAccount(account.id);
    if (!current || current.disabledAt !== null || current.passwordHash !== account.passwordHash) {
      throw unauthorized('用户名或密码错误 (wrong username or password)', 'invalid_credentials');
    }
    await store.accounts.insertSession({ id: sha256(sessionToken), accountId: account.id, csrfToken, createdAt: now, lastSeenAt: now, expiresAt });
    await store.history.record({ at: now, actorId: account.id, action: 'session.create', subjectType: 'account', subjectId: account.id });
  });
  return { account, sessionToken, csrfToken, expiresAt };
}

export interface SessionActor {
  actor: Actor;
  csrfToken: string;
  sessionId: string;
}

export async function authenticateSession(ctx: Ctx, sessionToken: string): Promise<SessionActor | undefined> {
  const id = sha256(sessionToken);
  const session = await ctx.store.accounts.findSession(id);
  if (!session) return undefined;
  const now = ctx.clock.now();
  if (session.expiresAt <= now || session.lastSeenAt + SESSION_IDLE_MS <= now) {
    await ctx.store.accounts.deleteSession(id);
    return undefined;
  }
  const account = await ctx.store.accounts.findById(session.accountId);
  if (!account || account.disabledAt !== null) return undefined;
  if (now - session.lastSeenAt > SESSION_TOUCH_MS) await ctx.store.accounts.touchSession(id, now);
  return { actor: toActor(account), csrfToken: session.csrfToken, sessionId: id };
}

/** Ends this session, or with `everywhere` every session of its account (a lost phone, a shared computer). */
export async function logout(ctx: Ctx, sessionToken: string, options: { everywhere?: boolean } = {}): Promise<void> {
  const id = sha256(sessionToken);
  const session = await ctx.store.accounts.findSession(id);
  if (!session) return;
  if (options.everywhere) await ctx.store.accounts.deleteSessionsOf(session.accountId);
  else await ctx.store.accounts.deleteSession(id);
  await ctx.store.history.record({
    at: ctx.clock.now(),
    actorId: session.accountId,
    action: options.everywhere ? 'session.delete_all' : 'session.delete',
    subjectType: 'account',
    subjectId: session.accountId,
  });
}

export const TOKEN_PREFIX = 'ink_';

/**
 * Creates an API token for a user; the plain token is returned once and only its hash is kept. With `hold` (the
 * request's Idempotency-Key) the key's row records the token and its secret (sealed with the client's key) in the same
 * transaction, so that a retry after a crash before the answer gets this token, not a second one.
 */
export async function createApiToken(
  ctx: Ctx,
  actor: Actor | null,
  input: { username: string; name?: string },
  hold?: IdempotencyHold,
): Promise<{ token: string; id: number }> {
  if (actor) authorize(actor, 'token.manage');
  const account = await ctx.store.accounts.findByUsername(input.username.trim().toLowerCase());
  if (!account) throw notFound(`User ${input.username}`);
  const token = TOKEN_PREFIX + randomToken();
  const name = lineField(input.name ?? 'cli', 'name', 100) || 'cli';
  const id = await writeActing(ctx.store, actor, async (store, acting) => {
    if (acting) authorize(acting, 'token.manage');
    const now = ctx.clock.now();
    const id = await store.accounts.insertToken({ accountId: account.id, name, tokenHash: sha256(token), at: now });
    await keepMade(store, hold, id, token);
    await store.history.record({
      at: now,
      actorId: actor?.id ?? null,
      action: 'token.create',
      subjectType: 'account',
      subjectId: account.id,
      detail: { tokenId: id, name },
    });
    return id;
  });
  return { token, id };
}

export async function authenticateToken(ctx: Ctx, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const found = await ctx.store.accounts.findLiveToken(sha256(token));
  if (!found) return undefined;
  const { token: record, owner: account } = found;
  if (account.disabledAt !== null) return undefined;
  const now = ctx.clock.now();
  if (record.lastUsedAt === null || now - record.lastUsedAt > SESSION_TOUCH_MS) await ctx.store.accounts.touchToken(record.id, now);
  return toActor(account);
}
