import { writeBehind } from '../write-behind.ts';
import { type ExpressionBuilder, sql, type Kysely } from 'kysely';
import type * as Port from '../../domain/store.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB } from '../schema.ts';
import { OUTBOX_LONGEST_WAIT } from '../../domain/articles/outbox-topics.ts';
import { prepared } from '../prepared.ts';

/** Errors are kept for the operator, not whole stack dumps. */
const MAX_ERROR_CHARS = 2_000;

/**
 * Rows no process holds (or whose lease ran out) that are due at `now`; with a later `dueBy` (a drain) new work that
 * waits to be due too, but never a retry before its back-off has run (a failed row has attempts). New work due later
 * than OUTBOX_LONGEST_WAIT from `now` came from a clock ahead of this one (another machine's, or this one's before it
 * was set back): due at once, not stranded. Each branch is a range of `outbox_available`.
 */
function claimable(now: number, dueBy: number) {
  return (eb: ExpressionBuilder<DB, 'outbox'>) => {
    const early = [eb('available_at', '>', now + OUTBOX_LONGEST_WAIT)];
    if (dueBy > now) early.push(eb.and([eb('available_at', '>', now), eb('available_at', '<=', dueBy)]));
    return eb.and([
      eb.or([eb('available_at', '<=', now), eb.and([eb('attempts', '=', 0), eb.or(early)])]),
      eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]),
    ]);
  };
}

export class OutboxRepository implements Port.OutboxRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  async add(topic: string, subjectId: number, at: number, dueAt?: number): Promise<void> {
    // Due at once, whatever the clocks of the processes that will claim it say; only a retry, or work that waits for
    // its subject to be quiet, waits for a time.
    await writeBehind(this.db, this.db.insertInto('outbox').values({ topic, subject_id: subjectId, created_at: at, available_at: dueAt ?? 0 }));
  }

  async claim(owner: string, now: number, leaseMs: number, limit: number, last: readonly string[] = [], dueBy = now): Promise<Port.OutboxItem[]> {
    let due = this.db.selectFrom('outbox').select('id').where(claimable(now, dueBy));
    if (last.length > 0) due = due.orderBy(sql`case when topic in (${sql.join(last.map((t) => sql`${t}`))}) then 1 else 0 end`);
    due = due.orderBy('id').limit(limit);
    const lease = { claimed_by: owner, claimed_until: now + leaseMs };
    // PostgreSQL: two processes claiming at once take different rows instead of queueing for the same ones (SKIP
    // LOCKED), and the rows are chosen once, in a materialized CTE: as `id in (select … limit n for update skip
    // locked)` the planner may run the subquery again for each row it joins, each run finding the next unclaimed rows,
    // and a claim of 2 took all 4 rows due (a CI run, test/integration/outbox.test.ts). SQLite has one writer at a
    // time: the statement is atomic as it stands.
    const rows =
      this.dialect === 'postgres'
        ? await this.db
            .with(
              (cte) => cte('due').materialized(),
              () => due.forUpdate().skipLocked(),
            )
            .updateTable('outbox')
            .set(lease)
            .from('due')
            .whereRef('outbox.id', '=', 'due.id')
            .returning(['outbox.id', 'outbox.topic', 'outbox.subject_id', 'outbox.attempts'])
            .execute()
        : await this.db.updateTable('outbox').set(lease).where('id', 'in', due).returning(['id', 'topic', 'subject_id', 'attempts']).execute();
    return rows.sort((a, b) => a.id - b.id).map((r) => ({ id: r.id, topic: r.topic, subjectId: r.subject_id, attempts: r.attempts }));
  }

  async complete(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db
        .deleteFrom('outbox')
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  async absorb(topic: string, subjectId: number, claimed: readonly number[], now: number): Promise<number> {
    let rows = this.db
      .deleteFrom('outbox')
      .where('subject_id', '=', subjectId)
      .where('topic', '=', topic)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]));
    if (claimed.length > 0) rows = rows.where('id', 'not in', [...claimed]);
    const result = await rows.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async release(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('outbox').set({ claimed_by: null, claimed_until: null }).where('id', 'in', ids).execute();
  }

  async fail(id: number, retryAt: number, error: string): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        available_at: retryAt,
        claimed_by: null,
        claimed_until: null,
        last_error: error.slice(0, MAX_ERROR_CHARS),
      }))
      .where('id', '=', id)
      .execute();
  }

  async serialize(topic: string, subjectId: number): Promise<void> {
    // SQLite needs nothing: one process's transactions run one at a time on its one connection, and a transaction of
    // another process that read an article before a newer version committed cannot write (SQLITE_BUSY_SNAPSHOT) and
    // is tried again.
    if (this.dialect === 'postgres') await subjectLock(this.db, topic, subjectId);
  }

  async due(now: number, dueBy = now): Promise<boolean> {
    const row = await this.db.selectFrom('outbox').select('id').where(claimable(now, dueBy)).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async queued(topics: readonly string[], subjectIds: readonly number[]): Promise<number[]> {
    if (topics.length === 0 || subjectIds.length === 0) return [];
    // The outbox holds the work in flight, a few rows (no index on the subject): one look over it per call.
    const rows = await this.db
      .selectFrom('outbox')
      .select('subject_id')
      .distinct()
      .where('topic', 'in', [...topics])
      .where('subject_id', 'in', [...subjectIds])
      .execute();
    return rows.map((r) => r.subject_id);
  }

  async backlog(): Promise<Port.OutboxBacklog> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => [
        eb.fn.countAll<number>().as('count'),
        eb.fn.sum<number>(eb.case().when('attempts', '>', 0).then(1).else(0).end()).as('failing'),
        eb.fn.min('created_at').as('oldest'),
      ])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), failing: Number(row.failing ?? 0), oldestAt: row.oldest === null ? null : Number(row.oldest) };
  }
}

/** PostgreSQL: the lock `serialize` takes, prepared (a create and publish take it three times). */
const subjectLock = prepared((_db: Kysely<DB>, topic: string, subjectId: number) => sql`select pg_advisory_xact_lock(hashtext(${topic}), ${subjectId})`);
