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

/** Clients' Idempotency-Keys: one row per account and key, claimed by its insert (the primary key settles a race). */
export class IdempotencyRepository implements Port.IdempotencyRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async claim(c: IdempotencyClaim): Promise<ClaimOutcome> {
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
          idem_key: c.key,
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
        .select(['fingerprint', 'owner', 'locked_until', 'status', 'headers', 'body', 'made_id'])
        .where('account_id', '=', c.accountId)
        .where('idem_key', '=', c.key)
        .executeTakeFirst();
      if (!row) continue;
      if (row.status !== null) {
        const answer: IdempotentAnswer = { status: row.status, headers: JSON.parse(row.headers ?? '{}') as Record<string, string>, body: row.body ?? '' };
        return { claimed: false, fingerprint: row.fingerprint, answer };
      }
      // Its creation committed but no answer was kept (the process died in between, or is about to answer).
      if (row.made_id !== null) return { claimed: false, fingerprint: row.fingerprint, made: row.made_id };
      if (row.fingerprint === c.fingerprint && row.locked_until <= c.now) {
        // The request holding it died with its process: the same request takes it over, one taker winning (compare-and-set).
        const taken = await this.db
          .updateTable('idempotency_keys')
          .set({ owner: c.owner, locked_until: c.now + IDEMPOTENCY_LEASE_MS })
          .where('account_id', '=', c.accountId)
          .where('idem_key', '=', c.key)
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
      .set({ owner: null, status: answer.status, headers: JSON.stringify(answer.headers), body: answer.body })
      .where('account_id', '=', accountId)
      .where('idem_key', '=', key)
      .where('owner', '=', owner)
      .execute();
  }

  async made(hold: IdempotencyHold, id: number): Promise<MadeOutcome> {
    for (let tries = 0; tries < CLAIM_TRIES; tries++) {
      // Not a compare-and-set on the owner: the first creation to commit stands, even when a retry took the key over
      // meanwhile (on PostgreSQL a racing update waits for the other's commit, then finds made_id set).
      const result = await this.db
        .updateTable('idempotency_keys')
        .set({ made_id: id, owner: hold.owner })
        .where('account_id', '=', hold.accountId)
        .where('idem_key', '=', hold.key)
        .where('fingerprint', '=', hold.fingerprint)
        .where('status', 'is', null)
        .where('made_id', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return { kept: true };
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'made_id'])
        .where('account_id', '=', hold.accountId)
        .where('idem_key', '=', hold.key)
        .executeTakeFirst();
      if (row?.made_id != null) return { kept: false, made: row.made_id };
      if (row) break;
      // Let go meanwhile by a retry that failed: this creation stands, under a row written anew.
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({
          account_id: hold.accountId,
          idem_key: hold.key,
          fingerprint: hold.fingerprint,
          owner: hold.owner,
          locked_until: hold.claimedAt + IDEMPOTENCY_LEASE_MS,
          created_at: hold.claimedAt,
          made_id: id,
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
      .where('idem_key', '=', key)
      .where('owner', '=', owner)
      .where('status', 'is', null)
      // A creation that committed and then failed to answer (a 5xx after the commit) keeps its key: the retry gets it.
      .where('made_id', 'is', null)
      .execute();
  }
}
