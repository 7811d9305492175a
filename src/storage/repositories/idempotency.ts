import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  IDEMPOTENCY_KEEP_MS,
  IDEMPOTENCY_LEASE_MS,
  type ClaimOutcome,
  type IdempotencyClaim,
  type IdempotencyHold,
  type IdempotentAnswer,
  type KeptCreation,
  type MadeOutcome,
} from '../../domain/idempotency.ts';
import { DomainError } from '../../domain/errors.ts';
import type * as Port from '../../domain/idempotency.ts';
import type { DB } from '../schema.ts';

/** A claim meets a key deleted under it (released by its failed request, or expired) at most this many times in a row. */
const CLAIM_TRIES = 3;

/**
 * The install's keys for Idempotency-Keys, derived from the server's secret (INKSTONE_SECRET, or the one generated
 * into the data dir): without it, a reader of the database can neither find the row of a guessable key (`1`, `retry`)
 * nor derive the key that opens its answer. A new secret orphans the kept keys: their retries run anew.
 */
export interface IdempotencyKeys {
  /** HMAC-SHA256 key of a row's lookup digest. */
  lookup: Buffer;
  /** HKDF salt of the boxes' keys. */
  box: Buffer;
}

export function idempotencyKeys(secret: string): IdempotencyKeys {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, 'inkstone idempotency', purpose, 32));
  return { lookup: derive('lookup v2'), box: derive('box salt v2') };
}

/** What a row keeps of the client's key: its HMAC under the install's lookup key, enough to find the row and no more. */
function digest(keys: IdempotencyKeys, key: string): string {
  return createHmac('sha256', keys.lookup).update(key).digest('base64url');
}

/** The AES-256 key of one account's Idempotency-Key: HKDF-SHA256 of the client's key, salted with the install's key. */
function boxKey(keys: IdempotencyKeys, key: string, accountId: number): Buffer {
  return Buffer.from(hkdfSync('sha256', key, keys.box, `inkstone idempotency v2 account ${accountId}`, 32));
}

/** Seals a kept value (AES-256-GCM, random IV, the row's lookup digest as associated data): `v2.` iv ‖ tag ‖ text. */
function seal(keys: IdempotencyKeys, key: string, accountId: number, plain: string): string {
  return sealWith(boxKey(keys, key, accountId), digest(keys, key), 'v2.', plain);
}

/**
 * Opens what seal made with the same key, or undefined when it will not open: the row was altered (ciphertext, tag,
 * IV) or is not in this form — a retry is then told its answer was lost (never a 500).
 */
function open(keys: IdempotencyKeys, key: string, accountId: number, sealed: string): string | undefined {
  return sealed.startsWith('v2.') ? openWith(boxKey(keys, key, accountId), digest(keys, key), sealed) : undefined;
}

function sealWith(box: Buffer, aad: string, prefix: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', box, iv);
  cipher.setAAD(Buffer.from(aad));
  const text = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${prefix}${Buffer.concat([iv, cipher.getAuthTag(), text]).toString('base64url')}`;
}

function openWith(box: Buffer, aad: string, sealed: string): string | undefined {
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  if (raw.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', box, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Rows written before keys were keyed with the server's secret (2026-12-12T0100's plain SHA-256 digest, answers sealed
 * `v1.` under HKDF of the client's key alone): found by that digest, opened with that key, and written anew in the
 * keyed form by their first retry. They are gone within a day of the upgrade (IDEMPOTENCY_KEEP_MS).
 */
const legacy = {
  digest: (key: string) => createHash('sha256').update(key).digest('base64url'),
  open(key: string, accountId: number, sealed: string): string | undefined {
    if (!sealed.startsWith('v1.')) return undefined;
    const box = Buffer.from(hkdfSync('sha256', key, 'inkstone idempotency v1', `account ${accountId}`, 32));
    return openWith(box, legacy.digest(key), sealed);
  },
};

type KeptAnswer = { headers: Record<string, string>; body: string };

function clearAnswer(headers: string | null, body: string | null): KeptAnswer {
  return { headers: JSON.parse(headers ?? '{}') as Record<string, string>, body: body ?? '' };
}

/**
 * Clients' Idempotency-Keys: one row per account and key, claimed by its insert (the primary key settles a race). A
 * row keeps the key's HMAC under the server's secret only, and the answer (and what a remake needs) sealed with a key
 * derived from the client's key and the server's secret: a retry, which sends the key, can be answered; a reader of
 * the database cannot open it, even for a guessable key. The keys that made articles are also kept for good, by the
 * same HMAC, in article_creation_keys.
 */
export class IdempotencyRepository implements Port.IdempotencyRepository {
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly db: Kysely<DB>,
    secret: string,
  ) {
    this.keys = idempotencyKeys(secret);
  }

  async claim(c: IdempotencyClaim): Promise<ClaimOutcome> {
    const idemKey = digest(this.keys, c.key);
    // Expiry on write: every account's keys older than a day go, and this one may be used again.
    await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<=', c.now - IDEMPOTENCY_KEEP_MS)
      .execute();
    await this.upgradeLegacy(c.accountId, c.key, idemKey);
    for (let tries = 0; tries < CLAIM_TRIES; tries++) {
      // On PostgreSQL an insert racing another's uncommitted insert of the key waits for it, then does nothing.
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({
          account_id: c.accountId,
          idem_key: idemKey,
          fingerprint: c.fingerprint,
          owner: c.owner,
          locked_until: c.now + IDEMPOTENCY_LEASE_MS,
          created_at: c.now,
        })
        .onConflict((oc) => oc.columns(['account_id', 'idem_key']).doNothing())
        .returning('idem_key')
        .executeTakeFirst();
      if (inserted) return { claimed: true };
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'owner', 'locked_until', 'status', 'headers', 'body', 'made_id', 'sealed_answer', 'sealed_made'])
        .where('account_id', '=', c.accountId)
        .where('idem_key', '=', idemKey)
        .executeTakeFirst();
      if (!row) continue;
      // Another request's answer is opened only for the same request: another body gets 422 without it.
      if (row.status !== null) {
        if (row.fingerprint !== c.fingerprint) return { claimed: false, fingerprint: row.fingerprint };
        // Kept clear before answers were sealed (2026-12-12T0100), never a secret; gone within a day.
        const kept = row.sealed_answer ? this.openAnswer(c.key, c.accountId, row.sealed_answer) : clearAnswer(row.headers, row.body);
        // Altered in the database: lost, and what was made (if recorded) answers as after a crash.
        if (!kept) return { claimed: false, fingerprint: row.fingerprint, lost: true, ...(row.made_id === null ? {} : { made: row.made_id }) };
        const answer: IdempotentAnswer = { status: row.status, headers: kept.headers, body: kept.body };
        return { claimed: false, fingerprint: row.fingerprint, answer, ...(row.made_id === null ? {} : { made: row.made_id }) };
      }
      // Its creation committed but no answer was kept (the process died in between, or is about to answer).
      if (row.made_id !== null) {
        if (row.fingerprint !== c.fingerprint || row.sealed_made === null) return { claimed: false, fingerprint: row.fingerprint, made: row.made_id };
        const secret = open(this.keys, c.key, c.accountId, row.sealed_made);
        if (secret === undefined) return { claimed: false, fingerprint: row.fingerprint, made: row.made_id, lost: true };
        return { claimed: false, fingerprint: row.fingerprint, made: row.made_id, secret };
      }
      if (row.fingerprint === c.fingerprint && row.locked_until <= c.now) {
        // The request holding it died with its process: the same request takes it over, one taker winning (compare-and-set).
        const taken = await this.db
          .updateTable('idempotency_keys')
          .set({ owner: c.owner, locked_until: c.now + IDEMPOTENCY_LEASE_MS })
          .where('account_id', '=', c.accountId)
          .where('idem_key', '=', idemKey)
          .where('status', 'is', null)
          .where('made_id', 'is', null)
          .where('owner', '=', row.owner)
          .where('locked_until', '=', row.locked_until)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 1) return { claimed: true };
      }
      return { claimed: false, fingerprint: row.fingerprint };
    }
    // Released again and again under us by requests that failed: answer as if one were still running.
    return { claimed: false, fingerprint: c.fingerprint };
  }

  async answer(accountId: number, key: string, owner: string, answer: IdempotentAnswer): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({
        owner: null,
        status: answer.status,
        sealed_answer: seal(this.keys, key, accountId, JSON.stringify({ headers: answer.headers, body: answer.body })),
      })
      .where('account_id', '=', accountId)
      .where('idem_key', '=', digest(this.keys, key))
      .where('owner', '=', owner)
      .execute();
  }

  async made(hold: IdempotencyHold, id: number, secret?: string): Promise<MadeOutcome> {
    const idemKey = digest(this.keys, hold.key);
    const sealedMade = secret === undefined ? null : seal(this.keys, hold.key, hold.accountId, secret);
    for (let tries = 0; tries < CLAIM_TRIES; tries++) {
      // Not a compare-and-set on the owner: the first creation to commit stands, even when a retry took the key over
      // meanwhile (on PostgreSQL a racing update waits for the other's commit, then finds made_id set).
      const result = await this.db
        .updateTable('idempotency_keys')
        .set({ made_id: id, owner: hold.owner, sealed_made: sealedMade })
        .where('account_id', '=', hold.accountId)
        .where('idem_key', '=', idemKey)
        .where('fingerprint', '=', hold.fingerprint)
        .where('status', 'is', null)
        .where('made_id', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return { kept: true };
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'made_id', 'sealed_made'])
        .where('account_id', '=', hold.accountId)
        .where('idem_key', '=', idemKey)
        .executeTakeFirst();
      if (row?.made_id != null && row.fingerprint === hold.fingerprint) {
        // A recorded secret that will not open (altered) is left out: the route tells the client it was lost.
        const opened = row.sealed_made === null ? undefined : open(this.keys, hold.key, hold.accountId, row.sealed_made);
        return { kept: false, made: row.made_id, ...(opened === undefined ? {} : { secret: opened }) };
      }
      if (row) break;
      // Let go meanwhile by a retry that failed: this creation stands, under a row written anew.
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({
          account_id: hold.accountId,
          idem_key: idemKey,
          fingerprint: hold.fingerprint,
          owner: hold.owner,
          locked_until: hold.claimedAt + IDEMPOTENCY_LEASE_MS,
          created_at: hold.claimedAt,
          made_id: id,
          sealed_made: sealedMade,
        })
        .onConflict((oc) => oc.columns(['account_id', 'idem_key']).doNothing())
        .returning('idem_key')
        .executeTakeFirst();
      if (inserted) return { kept: true };
    }
    // The key stands for another request now (used anew after it expired), or was answered without a record: refuse.
    throw new DomainError('conflict', 'idempotency_in_progress', 'This Idempotency-Key is held by another request', 'Idempotency-Key', 1);
  }

  async release(accountId: number, key: string, owner: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('account_id', '=', accountId)
      .where('idem_key', '=', digest(this.keys, key))
      .where('owner', '=', owner)
      .where('status', 'is', null)
      // A creation that committed and then failed to answer (a 5xx after the commit) keeps its key: the retry gets it.
      .where('made_id', 'is', null)
      .execute();
  }

  async articleMadeWith(accountId: number, key: string): Promise<KeptCreation | undefined> {
    const row = await this.db
      .selectFrom('article_creation_keys')
      .select(['article_id', 'fingerprint'])
      .where('account_id', '=', accountId)
      .where('key_hmac', '=', digest(this.keys, key))
      .executeTakeFirst();
    return row ? { id: row.article_id, fingerprint: row.fingerprint } : undefined;
  }

  async keepArticleKey(hold: IdempotencyHold, id: number, at: number): Promise<boolean> {
    // On PostgreSQL an insert racing another's uncommitted insert of the key waits for it, then does nothing.
    const inserted = await this.db
      .insertInto('article_creation_keys')
      .values({ account_id: hold.accountId, key_hmac: digest(this.keys, hold.key), fingerprint: hold.fingerprint, article_id: id, created_at: at })
      .onConflict((oc) => oc.columns(['account_id', 'key_hmac']).doNothing())
      .returning('article_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  private openAnswer(key: string, accountId: number, sealed: string): KeptAnswer | undefined {
    const plain = open(this.keys, key, accountId, sealed);
    return plain === undefined ? undefined : (JSON.parse(plain) as KeptAnswer);
  }

  /**
   * A row of this key in the form before the server's secret was mixed in (plain SHA-256, `v1.` boxes) is written anew
   * in the keyed form, its sealed values opened with the old key and sealed with the new one (a value that will not
   * open stays as it is and is then told lost). Two retries racing: one renames it, the other's update finds nothing.
   */
  private async upgradeLegacy(accountId: number, key: string, idemKey: string): Promise<void> {
    const old = legacy.digest(key);
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select(['sealed_answer', 'sealed_made'])
      .where('account_id', '=', accountId)
      .where('idem_key', '=', old)
      .executeTakeFirst();
    if (!row) return;
    const reseal = (sealed: string | null) => {
      if (sealed === null) return null;
      const plain = legacy.open(key, accountId, sealed);
      return plain === undefined ? sealed : seal(this.keys, key, accountId, plain);
    };
    await this.db
      .updateTable('idempotency_keys')
      .set({ idem_key: idemKey, sealed_answer: reseal(row.sealed_answer), sealed_made: reseal(row.sealed_made) })
      .where('account_id', '=', accountId)
      .where('idem_key', '=', old)
      .execute()
      // A keyed row written meanwhile by a racing retry stands; the old one goes with the day.
      .catch(() => undefined);
  }
}
