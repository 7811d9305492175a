import type { Kysely } from 'kysely';
import {
  IDEMPOTENCY_KEEP_MS,
  IDEMPOTENCY_LEASE_MS,
  type ClaimOutcome,
  type IdempotencyClaim,
  type IdempotencyHold,
  type IdempotentAnswer,
} from '../../domain/idempotency.ts';
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

  async made(hold: IdempotencyHold, id: number): Promise<boolean> {
    // Compare-and-set on the owner: a retry that took the key over (the lease ran out) has changed it.
    const result = await this.db
      .updateTable('idempotency_keys')
      .set({ made_id: id })
      .where('account_id', '=', hold.accountId)
      .where('idem_key', '=', hold.key)
      .where('owner', '=', hold.owner)
      .where('status', 'is', null)
      .where('made_id', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
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
