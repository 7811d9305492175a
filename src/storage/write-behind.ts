import type { Compilable, Kysely, RawBuilder } from 'kysely';
import { WRITE_BEHIND } from './drivers.ts';

/**
 * Runs a statement whose answer the caller does not read (no returned rows, no count): a write (an audit entry, a
 * revision, an outbox row) or a transaction's settings. Inside a transaction on PostgreSQL it travels with the next
 * statement or the commit instead of taking a round trip of its own (see pgClient in drivers.ts); anywhere else it
 * runs at once. Its error, if any, then fails the transaction at that next statement rather than here: only for
 * statements whose failure is the transaction's (never one a caller catches to answer something else, as a unique
 * key's conflict).
 */
export async function writeBehind(db: Kysely<any>, query: Compilable<unknown> | RawBuilder<unknown>): Promise<void> {
  const compiled = 'isRawBuilder' in query ? query.compile(db) : query.compile();
  await db.executeQuery({ ...compiled, sql: WRITE_BEHIND + compiled.sql });
}
