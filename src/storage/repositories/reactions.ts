import { sql, type Kysely } from 'kysely';
import type { Drift, HeldGroup, Ranked, Vote, VoteOutcome } from '../../domain/reactions/reaction.ts';
import { GroupCommit } from '../group-commit.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB } from '../schema.ts';
import { prepared } from '../prepared.ts';
import type * as Port from '../../domain/store.ts';

/** An article's counts (its page shows them), prepared (see prepared.ts). */
const countsOf = prepared(
  (db: Kysely<DB & ReactionTables>, articleId: number) => db.selectFrom('reaction_counts').select(['mood', 'count']).where('article_id', '=', articleId),
  { batched: true },
);

/** Tables of the reactions migration (2026-11-29T0100); times are integer milliseconds, hours are their start. */
export type ReactionTables = {
  reaction_votes: {
    article_id: number;
    reader_id: string;
    mood: string;
    held: number; // 1 while a burst vote awaits review; held votes are left out of the counts
    address_hash: string;
    prefix_hash: string;
    voted_at: number;
  };
  reaction_counts: { article_id: number; mood: string; count: number };
  reaction_buckets: { article_id: number; mood: string; hour: number; count: number };
  view_buckets: { article_id: number; hour: number; count: number };
};

export const HOUR = 3_600_000;

/**
 * Votes, their counts and the read buckets. The counts and vote buckets are written by triggers (see the migration),
 * so this repository writes vote rows only and reads the counts.
 */
export class ReactionRepository implements Port.ReactionRepository {
  private readonly db: Kysely<DB & ReactionTables>;

  constructor(
    private readonly root: Kysely<DB>,
    private readonly dialect: Dialect,
    /** The store's group commit, shared by every repository over the same pool. */
    private readonly batcher: VoteBatcher,
  ) {
    this.db = root.withTables<ReactionTables>();
  }

  async articleStatus(articleId: number): Promise<string | undefined> {
    const row = await this.db.selectFrom('articles').select('status').where('id', '=', articleId).executeTakeFirst();
    return row?.status;
  }

  /**
   * Records a reader's vote: a new row, or the row moved to another mood. Nothing is written when the article is not
   * published or the mood is the same. Returns whether a row was written and the article's counts right after.
   * Votes arriving together are written in one transaction (group commit): the commit, not the SQL, is what a vote
   * costs. Each caller is answered only after that transaction has committed.
   */
  async vote(v: Vote): Promise<VoteOutcome> {
    if (this.root.isTransaction) return (await writeVotes(this.db, this.dialect, [v]))[0]!;
    return this.batcher.add(v);
  }

  async counts(articleId: number): Promise<Map<string, number>> {
    const rows = await countsOf(this.db, articleId);
    return new Map(rows.map((r) => [r.mood, Number(r.count)]));
  }

  async moodOf(articleId: number, readerId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('reaction_votes')
      .select('mood')
      .where('article_id', '=', articleId)
      .where('reader_id', '=', readerId)
      .executeTakeFirst();
    return row?.mood;
  }

  /** Published articles by public votes of one mood cast from `since` on. */
  async topByMood(mood: string, since: number, limit: number): Promise<Ranked[]> {
    // The window's buckets first (see topByViews).
    const rows = await this.db
      .with(
        (cte) => cte('b').materialized(),
        (db) => db.selectFrom('reaction_buckets').select(['article_id', 'count']).where('mood', '=', mood).where('hour', '>=', since),
      )
      .selectFrom('b')
      .innerJoin('articles as a', 'a.id', 'b.article_id')
      .select(['b.article_id', (eb) => eb.fn.sum<number>('b.count').as('n')])
      .where('a.status', '=', 'published')
      .groupBy('b.article_id')
      .having((eb) => eb.fn.sum('b.count'), '>', 0)
      .orderBy('n', 'desc')
      .orderBy('b.article_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ articleId: r.article_id, count: Number(r.n) }));
  }

  async addView(articleId: number, hour: number): Promise<void> {
    await this.db
      .insertInto('view_buckets')
      .values({ article_id: articleId, hour, count: 1 })
      .onConflict((oc) => oc.columns(['article_id', 'hour']).doUpdateSet((eb) => ({ count: eb('view_buckets.count', '+', 1) })))
      .execute();
  }

  async topByViews(since: number, limit: number): Promise<Ranked[]> {
    // The window's buckets are read first (a range of view_buckets_ranking), then each one's article. Written as one
    // join, SQLite (no statistics yet for a young view_buckets) walked the published articles instead and looked each
    // up in the buckets: 100-230 ms at a million articles, after every publish. A materialized CTE is read as written
    // on both stores.
    const rows = await this.db
      .with(
        (cte) => cte('v').materialized(),
        (db) => db.selectFrom('view_buckets').select(['article_id', 'count']).where('hour', '>=', since),
      )
      .selectFrom('v')
      .innerJoin('articles as a', 'a.id', 'v.article_id')
      .select(['v.article_id', (eb) => eb.fn.sum<number>('v.count').as('n')])
      .where('a.status', '=', 'published')
      .groupBy('v.article_id')
      .orderBy('n', 'desc')
      .orderBy('v.article_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ articleId: r.article_id, count: Number(r.n) }));
  }

  /** Held votes grouped by article and address prefix, oldest burst first. */
  async heldGroups(limit: number): Promise<HeldGroup[]> {
    const rows = await this.db
      .selectFrom('reaction_votes')
      .select([
        'article_id',
        'prefix_hash',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.min('voted_at').as('first'),
        (eb) => eb.fn.max('voted_at').as('last'),
      ])
      .where('held', '=', 1)
      .groupBy(['article_id', 'prefix_hash'])
      .orderBy('first')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      articleId: r.article_id,
      prefixHash: r.prefix_hash,
      votes: Number(r.n),
      first: Number(r.first),
      last: Number(r.last),
    }));
  }

  /** Counts the held votes of an article in, or drops them; returns how many votes were decided. */
  async decideHeld(articleId: number, release: boolean, prefixHash?: string): Promise<number> {
    await lockArticles(this.db, this.dialect, [articleId]);
    const result = release
      ? await this.db
          .updateTable('reaction_votes')
          .set({ held: 0 })
          .where('article_id', '=', articleId)
          .where('held', '=', 1)
          .$if(prefixHash !== undefined, (q) => q.where('prefix_hash', '=', prefixHash!))
          .executeTakeFirst()
      : await this.db
          .deleteFrom('reaction_votes')
          .where('article_id', '=', articleId)
          .where('held', '=', 1)
          .$if(prefixHash !== undefined, (q) => q.where('prefix_hash', '=', prefixHash!))
          .executeTakeFirst();
    return Number('numUpdatedRows' in result ? result.numUpdatedRows : result.numDeletedRows);
  }

  /**
   * Compares the counts and vote buckets with what the vote rows say, and when `repair` rewrites the ones that
   * differ. Votes are locked out meanwhile so the comparison and the repair see the same rows.
   */
  async reconcile(repair: boolean): Promise<{ drift: Drift[]; votes: number }> {
    if (this.dialect === 'postgres') {
      await sql`lock table reaction_votes in share row exclusive mode`.execute(this.db);
    } else {
      // A write first takes SQLite's write lock, so no other process votes between our reads and our repair.
      await sql`update reaction_counts set count = count where 0`.execute(this.db);
    }
    const { votes } = await this.db
      .selectFrom('reaction_votes')
      .select((eb) => eb.fn.countAll<number>().as('votes'))
      .executeTakeFirstOrThrow();

    const actualCounts = await this.db
      .selectFrom('reaction_votes')
      .select(['article_id', 'mood', (eb) => eb.fn.countAll<number>().as('n')])
      .where('held', '=', 0)
      .groupBy(['article_id', 'mood'])
      .execute();
    const storedCounts = await this.db.selectFrom('reaction_counts').select(['article_id', 'mood', 'count']).execute();
    const drift: Drift[] = [];
    const countKey = (a: number, m: string) => `${a}\u0000${m}`;
    const stored = new Map(storedCounts.map((r) => [countKey(r.article_id, r.mood), Number(r.count)]));
    for (const r of actualCounts) {
      const key = countKey(r.article_id, r.mood);
      const s = stored.get(key) ?? 0;
      stored.delete(key);
      if (s !== Number(r.n)) drift.push({ table: 'reaction_counts', articleId: r.article_id, mood: r.mood, stored: s, actual: Number(r.n) });
    }
    for (const [key, s] of stored) {
      if (s === 0) continue;
      const [a, m] = key.split('\u0000') as [string, string];
      drift.push({ table: 'reaction_counts', articleId: Number(a), mood: m, stored: s, actual: 0 });
    }

    const hourOf = sql<number>`voted_at - voted_at % ${sql.lit(HOUR)}`;
    const actualBuckets = await this.db
      .selectFrom('reaction_votes')
      .select(['article_id', 'mood', hourOf.as('hour'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('held', '=', 0)
      .groupBy(['article_id', 'mood', hourOf])
      .execute();
    const storedBuckets = await this.db.selectFrom('reaction_buckets').select(['article_id', 'mood', 'hour', 'count']).execute();
    const bucketKey = (a: number, m: string, h: number) => `${a}\u0000${m}\u0000${h}`;
    const storedB = new Map(storedBuckets.map((r) => [bucketKey(r.article_id, r.mood, Number(r.hour)), Number(r.count)]));
    for (const r of actualBuckets) {
      const key = bucketKey(r.article_id, r.mood, Number(r.hour));
      const s = storedB.get(key) ?? 0;
      storedB.delete(key);
      if (s !== Number(r.n)) {
        drift.push({ table: 'reaction_buckets', articleId: r.article_id, mood: r.mood, hour: Number(r.hour), stored: s, actual: Number(r.n) });
      }
    }
    for (const [key, s] of storedB) {
      if (s === 0) continue;
      const [a, m, h] = key.split('\u0000') as [string, string, string];
      drift.push({ table: 'reaction_buckets', articleId: Number(a), mood: m, hour: Number(h), stored: s, actual: 0 });
    }

    if (repair) {
      for (const d of drift) {
        if (d.table === 'reaction_counts') {
          await this.db
            .insertInto('reaction_counts')
            .values({ article_id: d.articleId, mood: d.mood, count: d.actual })
            .onConflict((oc) => oc.columns(['article_id', 'mood']).doUpdateSet({ count: d.actual }))
            .execute();
        } else {
          await this.db
            .insertInto('reaction_buckets')
            .values({ article_id: d.articleId, mood: d.mood, hour: d.hour!, count: d.actual })
            .onConflict((oc) => oc.columns(['article_id', 'mood', 'hour']).doUpdateSet({ count: d.actual }))
            .execute();
        }
      }
    }
    return { drift, votes: Number(votes) };
  }
}

// 7 parameters a vote: well inside SQLite's 32,766 and PostgreSQL's 65,535 per statement.
const MAX_BATCH = 1000;

/**
 * Votes by group commit (storage/group-commit.ts): those that arrive while a transaction runs are written together by
 * the next one, as one statement, with the counts read back in the same transaction. One per pool, made with the
 * store over it (storage/store.ts).
 */
export class VoteBatcher extends GroupCommit<Vote, VoteOutcome> {
  constructor(db: Kysely<DB>, dialect: Dialect) {
    const tables = db.withTables<ReactionTables>();
    super(dialect, (votes) => tables.transaction().execute((tx) => writeVotes(tx, dialect, votes)), MAX_BATCH);
  }
}

// Namespace of our advisory locks (the first key of pg_advisory_xact_lock(int, int)); the second is the article id.
const ARTICLE_LOCK = 0x52656163;

/**
 * On PostgreSQL, writers of an article's votes take its advisory lock first, in article order: the row locks the
 * count triggers take afterwards can then never form a cycle between two transactions.
 */
async function lockArticles(db: Kysely<DB & ReactionTables>, dialect: Dialect, articleIds: number[]): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const id of [...new Set(articleIds)].sort((a, b) => a - b)) {
    await sql`select pg_advisory_xact_lock(${sql.lit(ARTICLE_LOCK)}, ${id}::int)`.execute(db);
  }
}

/** Writes votes in one upsert (the last vote of a reader on an article wins, as if sent one after another). */
async function writeVotes(tx: Kysely<DB & ReactionTables>, dialect: Dialect, votes: Vote[]): Promise<VoteOutcome[]> {
  const keyOf = (v: { articleId: number; readerId: string }) => `${v.articleId}\u0000${v.readerId}`;
  const last = new Map<string, Vote>();
  for (const v of votes) last.set(keyOf(v), v);
  const articleIds = [...new Set(votes.map((v) => v.articleId))];
  await lockArticles(tx, dialect, articleIds);
  // Typed casts: PostgreSQL would otherwise take the parameters of a VALUES list for text.
  const rows = [...last.values()].map(
    (v) =>
      sql`(cast(${v.articleId} as integer), cast(${v.readerId} as text), cast(${v.mood} as text), cast(${v.held ? 1 : 0} as integer), cast(${v.addressHash} as text), cast(${v.prefixHash} as text), cast(${v.at} as bigint))`,
  );
  const written = await sql<{ article_id: number; reader_id: string }>`
    insert into reaction_votes (article_id, reader_id, mood, held, address_hash, prefix_hash, voted_at)
    select v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7 from (values ${sql.join(rows)}) as v
    where v.column1 in (select id from articles where status = 'published')
    on conflict (article_id, reader_id) do update set mood = excluded.mood, voted_at = excluded.voted_at
      where reaction_votes.mood <> excluded.mood
    returning article_id, reader_id`.execute(tx);
  const writtenKeys = new Set(written.rows.map((r) => keyOf({ articleId: r.article_id, readerId: r.reader_id })));
  const counted = await tx.selectFrom('reaction_counts').select(['article_id', 'mood', 'count']).where('article_id', 'in', articleIds).execute();
  const countsOf = new Map<number, Map<string, number>>(articleIds.map((id) => [id, new Map()]));
  for (const c of counted) countsOf.get(c.article_id)!.set(c.mood, Number(c.count));
  return votes.map((v) => ({ written: writtenKeys.has(keyOf(v)), counts: countsOf.get(v.articleId)! }));
}
