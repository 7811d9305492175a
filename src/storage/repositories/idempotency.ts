import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  IDEMPOTENCY_KEEP_MS,
  IDEMPOTENCY_LEASE_MS,
  type ClaimOutcome,
  type IdempotencyClaim,
  type IdempotencyHold,
  type IdempotentAnswer,
  type MadeOutcome,
} from '../../domain/idempotency.ts';
import { DomainError } from '../../domain/errors.ts';
import type * as Port from '../../domain/idempotency.ts';
import type { DB } from '../schema.ts';

/** A claim meets a key deleted under it (released by its failed request, or expired) at most this many times in a row. */
const CLAIM_TRIES = 3;

/** What a row keeps of the client's key: its SHA-256, enough to find the row and useless for opening what it seals. */
function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** The AES-256 key of one account's Idempotency-Key: HKDF-SHA256 of the client's key, bound to the account. */
function boxKey(key: string, accountId: number): Buffer {
  return Buffer.from(hkdfSync('sha256', key, 'inkstone idempotency v1', `account ${accountId}`, 32));
}

/** Seals a kept value (AES-256-GCM, random IV, the row's lookup digest as associated data): `v1.` iv ‖ tag ‖ text. */
function seal(key: string, accountId: number, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', boxKey(key, accountId), iv);
  cipher.setAAD(Buffer.from(digest(key)));
  const text = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), text]).toString('base64url')}`;
}

/** Opens what seal made with the same key (it is found by the key's digest, so it is the same key unless tampered with). */
function open(key: string, accountId: number, sealed: string): string {
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', boxKey(key, accountId), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(digest(key)));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * Clients' Idempotency-Keys: one row per account and key, claimed by its insert (the primary key settles a race). A
 * row keeps the key's SHA-256 only, and the answer (and what a remake needs) sealed with a key derived from the
 * client's key: a retry, which sends the key, can be answered; a reader of the database cannot open it.
 */
export class IdempotencyRepository implements Port.IdempotencyRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async claim(c: IdempotencyClaim): Promise<ClaimOutcome> {
    const idemKey = digest(c.key);
    // Expiry on write: every account's keys older than a day go, and this one may be used again.
    await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<=', c.now - IDEMPOTENCY_KEEP_MS)
      .execute();
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
        const kept = row.sealed_answer
          ? (JSON.parse(open(c.key, c.accountId, row.sealed_answer)) as { headers: Record<string, string>; body: string })
          : { headers: JSON.parse(row.headers ?? '{}') as Record<string, string>, body: row.body ?? '' };
        const answer: IdempotentAnswer = { status: row.status, headers: kept.headers, body: kept.body };
        return { claimed: false, fingerprint: row.fingerprint, answer };
      }
      // Its creation committed but no answer was kept (the process died in between, or is about to answer).
      if (row.made_id !== null) {
        if (row.fingerprint !== c.fingerprint || row.sealed_made === null) return { claimed: false, fingerprint: row.fingerprint, made: row.made_id };
        return { claimed: false, fingerprint: row.fingerprint, made: row.made_id, secret: open(c.key, c.accountId, row.sealed_made) };
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
        sealed_answer: seal(key, accountId, JSON.stringify({ headers: answer.headers, body: answer.body })),
      })
      .where('account_id', '=', accountId)
      .where('idem_key', '=', digest(key))
      .where('owner', '=', owner)
      .execute();
  }

  async made(hold: IdempotencyHold, id: number, secret?: string): Promise<MadeOutcome> {
    const idemKey = digest(hold.key);
    const sealedMade = secret === undefined ? null : seal(hold.key, hold.accountId, secret);
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
        return { kept: false, made: row.made_id, ...(row.sealed_made === null ? {} : { secret: open(hold.key, hold.accountId, row.sealed_made) }) };
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
      .where('idem_key', '=', digest(key))
      .where('owner', '=', owner)
      .where('status', 'is', null)
      // A creation that committed and then failed to answer (a 5xx after the commit) keeps its key: the retry gets it.
      .where('made_id', 'is', null)
      .execute();
  }
}
