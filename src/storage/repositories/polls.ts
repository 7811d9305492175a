import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  Ballot,
  BallotOutcome,
  BallotRow,
  HeldBallots,
  Poll,
  PollChoice,
  PollCounts,
  PollHour,
  PollListing,
  PollResults,
  PollWrite,
} from '../../domain/polls/poll.ts';
import type * as Port from '../../domain/store.ts';
import { GroupCommit } from '../group-commit.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB } from '../schema.ts';

const HOUR = 3_600_000;
// Namespace of the polls' advisory locks (pg_advisory_xact_lock(int, int)); the second key is the poll id.
const POLL_LOCK = 0x506f6c6c;
/**
 * Polls of unpublished articles a topic page names beside those it shows (their keys purge it when one is published):
 * a bound on its Surrogate-Key header; past it, a publish shows on the page within its TTL.
 */
const TOPIC_WAITING_POLLS = 100;

type PollRow = Selectable<DB['polls']>;

function toPoll(r: PollRow, options: string[]): Poll {
  return {
    id: r.id,
    question: r.question,
    choice: r.choice as PollChoice,
    results: r.results as PollResults,
    options,
    closesAt: r.closes_at === null ? null : Number(r.closes_at),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    articleId: r.article_id,
    topicId: r.topic_id,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedBy: r.updated_by,
    updatedAt: Number(r.updated_at),
  };
}

/**
 * Polls, options and ballots. A ballot is written in one transaction with its counts; on PostgreSQL that transaction
 * first takes the poll's advisory lock, so ballots, a close and a review of one poll follow each other and the open
 * check, the insert and the counts always agree (SQLite has one writer anyway).
 */
export class PollRepository implements Port.PollRepository {
  constructor(
    readonly db: Kysely<DB>,
    readonly dialect: Dialect,
    /** The store's group commit of ballots, shared by every repository over the same pool. */
    private readonly batcher: BallotBatcher,
  ) {}

  async lock(id: number): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(POLL_LOCK)}, ${id}::int)`.execute(this.db);
  }

  private async inTransaction<T>(fn: (repo: PollRepository) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return this.db.transaction().execute((tx) => fn(new PollRepository(tx, this.dialect, this.batcher)));
  }

  private async optionsOf(ids: readonly number[]): Promise<Map<number, { labels: string[]; votes: number[] }>> {
    const out = new Map<number, { labels: string[]; votes: number[] }>(ids.map((id) => [id, { labels: [], votes: [] }]));
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('poll_options')
      .select(['poll_id', 'position', 'label', 'votes'])
      .where('poll_id', 'in', ids)
      .orderBy('poll_id')
      .orderBy('position')
      .execute();
    for (const r of rows) {
      const o = out.get(r.poll_id)!;
      o.labels.push(r.label);
      o.votes.push(Number(r.votes));
    }
    return out;
  }

  async findMany(ids: readonly number[]): Promise<Poll[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const rows = await this.db.selectFrom('polls').selectAll().where('id', 'in', unique).execute();
    const options = await this.optionsOf(rows.map((r) => r.id));
    // `in` answers in whatever order the database reads the rows: put them back in the order asked for.
    const byId = new Map(rows.map((r) => [r.id, r]));
    return unique.flatMap((id) => {
      const r = byId.get(id);
      return r ? [toPoll(r, options.get(id)!.labels)] : [];
    });
  }

  async find(id: number): Promise<Poll | undefined> {
    return (await this.findMany([id]))[0];
  }

  async list(limit: number, before?: number): Promise<PollListing[]> {
    const rows = await this.db
      .selectFrom('polls')
      .selectAll()
      .$if(before !== undefined, (q) => q.where('id', '<', before!))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    const ids = rows.map((r) => r.id);
    const options = await this.optionsOf(ids);
    const held = ids.length
      ? await this.db
          .selectFrom('poll_ballots')
          .select(['poll_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('poll_id', 'in', ids)
          .where('held', '=', 1)
          .groupBy('poll_id')
          .execute()
      : [];
    const heldOf = new Map(held.map((h) => [h.poll_id, Number(h.n)]));
    return rows.map((r) => {
      const o = options.get(r.id)!;
      return { poll: toPoll(r, o.labels), counts: { votes: o.votes, voters: Number(r.voters) }, held: heldOf.get(r.id) ?? 0 };
    });
  }

  async ofTopic(topicId: number, limit: number): Promise<number[]> {
    // Public as isPublicPoll has it: of no article, or of a published one. Filtered here, so the limit counts only
    // polls readers see and newer polls of unpublished articles cannot crowd older public ones off the page.
    const shown = await this.db
      .selectFrom('polls as p')
      .leftJoin('articles as a', 'a.id', 'p.article_id')
      .select('p.id')
      .where('p.topic_id', '=', topicId)
      .where((eb) => eb.or([eb('p.article_id', 'is', null), eb('a.status', '=', 'published')]))
      .orderBy('p.id', 'desc')
      .limit(limit)
      .execute();
    const last = shown.length === limit ? shown.at(-1)!.id : undefined;
    const waiting = await this.db
      .selectFrom('polls as p')
      .innerJoin('articles as a', 'a.id', 'p.article_id')
      .select('p.id')
      .where('p.topic_id', '=', topicId)
      .where('a.status', '<>', 'published')
      .$if(last !== undefined, (q) => q.where('p.id', '>', last!))
      .orderBy('p.id', 'desc')
      .limit(TOPIC_WAITING_POLLS)
      .execute();
    return [...shown, ...waiting].map((r) => r.id).sort((a, b) => b - a);
  }

  async insert(poll: PollWrite, actorId: number, at: number): Promise<number> {
    const { id } = await this.db
      .insertInto('polls')
      .values({
        question: poll.question,
        choice: poll.choice,
        results: poll.results,
        closes_at: poll.closesAt,
        closed_at: null,
        article_id: poll.articleId,
        topic_id: poll.topicId,
        created_by: actorId,
        created_at: at,
        updated_by: actorId,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.db
      .insertInto('poll_options')
      .values(poll.options.map((label, position) => ({ poll_id: id, position, label, votes: 0 })))
      .execute();
    return id;
  }

  async update(id: number, poll: PollWrite, actorId: number, at: number): Promise<void> {
    await this.lock(id);
    await this.db
      .updateTable('polls')
      .set({
        question: poll.question,
        choice: poll.choice,
        results: poll.results,
        closes_at: poll.closesAt,
        article_id: poll.articleId,
        topic_id: poll.topicId,
        updated_by: actorId,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
    const count = poll.options.length;
    // Options beyond the new number go (the domain allows that only before any ballot), new ones start at zero.
    await this.db.deleteFrom('poll_options').where('poll_id', '=', id).where('position', '>=', count).execute();
    for (const [position, label] of poll.options.entries()) {
      await this.db
        .insertInto('poll_options')
        .values({ poll_id: id, position, label, votes: 0 })
        .onConflict((oc) => oc.columns(['poll_id', 'position']).doUpdateSet({ label }))
        .execute();
    }
  }

  async close(id: number, actorId: number, at: number): Promise<boolean> {
    await this.lock(id);
    const r = await this.db
      .updateTable('polls')
      .set({ closed_at: at, updated_by: actorId, updated_at: at })
      .where('id', '=', id)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async ballotCount(id: number): Promise<number> {
    const r = await this.db
      .selectFrom('poll_ballots')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('poll_id', '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async counts(id: number): Promise<PollCounts> {
    const [poll, options] = await Promise.all([
      this.db.selectFrom('polls').select('voters').where('id', '=', id).executeTakeFirst(),
      this.db.selectFrom('poll_options').select('votes').where('poll_id', '=', id).orderBy('position').execute(),
    ]);
    return { votes: options.map((o) => Number(o.votes)), voters: Number(poll?.voters ?? 0) };
  }

  async choicesOf(id: number, readerId: string): Promise<number[] | undefined> {
    const ballot = await this.db.selectFrom('poll_ballots').select('reader_id').where('poll_id', '=', id).where('reader_id', '=', readerId).executeTakeFirst();
    if (!ballot) return undefined;
    const rows = await this.db
      .selectFrom('poll_choices')
      .select('position')
      .where('poll_id', '=', id)
      .where('reader_id', '=', readerId)
      .orderBy('position')
      .execute();
    return rows.map((r) => r.position);
  }

  /**
   * Ballots arriving together are written in one transaction (group commit, as the mood votes are): the commit, not the
   * SQL, is what a ballot costs, and on PostgreSQL the poll's lock is taken once per batch instead of once per ballot.
   * Each caller is answered after that transaction has committed.
   */
  async vote(b: Ballot): Promise<BallotOutcome> {
    if (this.db.isTransaction) return (await writeBallots(this, [b]))[0]!;
    return this.batcher.add(b);
  }

  /** Adds `ballots` to the counts: one voter each, one vote for each of its choices. */
  async count(id: number, ballots: number[][]): Promise<void> {
    if (ballots.length === 0) return;
    const perOption = new Map<number, number>();
    for (const choices of ballots) for (const p of choices) perOption.set(p, (perOption.get(p) ?? 0) + 1);
    for (const [position, n] of [...perOption].sort((a, b) => a[0] - b[0])) {
      await this.db
        .updateTable('poll_options')
        .set((eb) => ({ votes: eb('votes', '+', n) }))
        .where('poll_id', '=', id)
        .where('position', '=', position)
        .execute();
    }
    await this.db
      .updateTable('polls')
      .set((eb) => ({ voters: eb('voters', '+', ballots.length) }))
      .where('id', '=', id)
      .execute();
  }

  async hours(id: number): Promise<PollHour[]> {
    const hourOf = sql<number>`b.voted_at - b.voted_at % ${sql.lit(HOUR)}`;
    const [options, perOption, perVoter] = await Promise.all([
      this.db.selectFrom('poll_options').select('position').where('poll_id', '=', id).execute(),
      this.db
        .selectFrom('poll_choices as c')
        .innerJoin('poll_ballots as b', (j) => j.onRef('b.poll_id', '=', 'c.poll_id').onRef('b.reader_id', '=', 'c.reader_id'))
        .select([hourOf.as('hour'), 'c.position', (eb) => eb.fn.countAll<number>().as('n')])
        .where('c.poll_id', '=', id)
        .where('b.held', '=', 0)
        .groupBy([hourOf, 'c.position'])
        .execute(),
      this.db
        .selectFrom('poll_ballots as b')
        .select([hourOf.as('hour'), (eb) => eb.fn.countAll<number>().as('n')])
        .where('b.poll_id', '=', id)
        .where('b.held', '=', 0)
        .groupBy(hourOf)
        .execute(),
    ]);
    const hours = new Map<number, PollHour>();
    for (const r of perVoter) hours.set(Number(r.hour), { hour: Number(r.hour), votes: options.map(() => 0), voters: Number(r.n) });
    for (const r of perOption) {
      const h = hours.get(Number(r.hour));
      if (h && r.position < h.votes.length) h.votes[r.position] = Number(r.n);
    }
    return [...hours.values()].sort((a, b) => a.hour - b.hour);
  }

  async ballots(id: number, limit: number, after?: { at: number; readerId: string }): Promise<(BallotRow & { readerId: string })[]> {
    const rows = await this.db
      .selectFrom('poll_ballots')
      .select(['reader_id', 'held', 'prefix_hash', 'voted_at'])
      .where('poll_id', '=', id)
      .$if(after !== undefined, (q) =>
        q.where((eb) => eb.or([eb('voted_at', '>', after!.at), eb.and([eb('voted_at', '=', after!.at), eb('reader_id', '>', after!.readerId)])])),
      )
      .orderBy('voted_at')
      .orderBy('reader_id')
      .limit(limit)
      .execute();
    const readers = rows.map((r) => r.reader_id);
    const choices = readers.length
      ? await this.db
          .selectFrom('poll_choices')
          .select(['reader_id', 'position'])
          .where('poll_id', '=', id)
          .where('reader_id', 'in', readers)
          .orderBy('reader_id')
          .orderBy('position')
          .execute()
      : [];
    const of = new Map<string, number[]>();
    for (const c of choices) {
      const list = of.get(c.reader_id) ?? [];
      list.push(c.position);
      of.set(c.reader_id, list);
    }
    return rows.map((r) => ({
      readerId: r.reader_id,
      at: Number(r.voted_at),
      held: r.held === 1,
      prefixHash: r.prefix_hash,
      choices: of.get(r.reader_id) ?? [],
    }));
  }

  async heldGroups(limit: number): Promise<HeldBallots[]> {
    const rows = await this.db
      .selectFrom('poll_ballots as b')
      .innerJoin('polls as p', 'p.id', 'b.poll_id')
      .select([
        'b.poll_id',
        'p.question',
        'b.prefix_hash',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.min('b.voted_at').as('first'),
        (eb) => eb.fn.max('b.voted_at').as('last'),
      ])
      .where('b.held', '=', 1)
      .groupBy(['b.poll_id', 'p.question', 'b.prefix_hash'])
      .orderBy('first')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      pollId: r.poll_id,
      question: r.question,
      prefixHash: r.prefix_hash,
      ballots: Number(r.n),
      first: Number(r.first),
      last: Number(r.last),
    }));
  }

  async decideHeld(id: number, release: boolean, prefixHash?: string): Promise<number> {
    return this.inTransaction(async (repo) => {
      await repo.lock(id);
      const held = await repo.db
        .selectFrom('poll_ballots')
        .select('reader_id')
        .where('poll_id', '=', id)
        .where('held', '=', 1)
        .$if(prefixHash !== undefined, (q) => q.where('prefix_hash', '=', prefixHash!))
        .execute();
      if (held.length === 0) return 0;
      const readers = held.map((h) => h.reader_id);
      // In slices: a large burst must stay within the statements' parameter limits.
      for (let i = 0; i < readers.length; i += 500) {
        const slice = readers.slice(i, i + 500);
        if (release) {
          const choices = await repo.db
            .selectFrom('poll_choices')
            .select(['reader_id', 'position'])
            .where('poll_id', '=', id)
            .where('reader_id', 'in', slice)
            .execute();
          const byReader = new Map<string, number[]>(slice.map((r) => [r, []]));
          for (const c of choices) byReader.get(c.reader_id)!.push(c.position);
          await repo.db.updateTable('poll_ballots').set({ held: 0 }).where('poll_id', '=', id).where('reader_id', 'in', slice).execute();
          await repo.count(id, [...byReader.values()]);
        } else {
          await repo.db.deleteFrom('poll_ballots').where('poll_id', '=', id).where('reader_id', 'in', slice).execute();
        }
      }
      return readers.length;
    });
  }
}

const MAX_BATCH = 500;

/**
 * Ballots by group commit (storage/group-commit.ts): those arriving while a transaction runs are written together by
 * the next one; batches of one poll follow each other through its lock. One per pool, made with the store over it.
 */
export class BallotBatcher extends GroupCommit<Ballot, BallotOutcome> {
  constructor(db: Kysely<DB>, dialect: Dialect) {
    // The transaction's repository is made with this batcher (which exists once super returns).
    const self: { batcher?: BallotBatcher } = {};
    super(dialect, (ballots: Ballot[]) => db.transaction().execute((tx) => writeBallots(new PollRepository(tx, dialect, self.batcher!), ballots)), MAX_BATCH);
    self.batcher = this;
  }
}

/**
 * Writes ballots in one transaction, in the order they came: each poll is locked first (in id order, so two batches
 * never wait for each other in a cycle) and checked open at the ballot's own time, so a close racing with them is
 * exact; the counts are added once per poll and read back after all of them.
 */
async function writeBallots(repo: PollRepository, ballots: Ballot[]): Promise<BallotOutcome[]> {
  const db = repo.db;
  const pollIds = [...new Set(ballots.map((b) => b.pollId))].sort((a, b) => a - b);
  for (const id of pollIds) {
    await repo.lock(id);
    // SQLite: a write first, so its write lock is held before the open check is read.
    if (repo.dialect === 'sqlite') await sql`update polls set voters = voters where id = ${id}`.execute(db);
  }
  const polls = new Map(
    (await db.selectFrom('polls').select(['id', 'closes_at', 'closed_at', 'choice']).where('id', 'in', pollIds).execute()).map((p) => [p.id, p]),
  );
  // The ballot was checked against the poll as the reader's request read it; an edit that committed since (fewer
  // options, or single choice: allowed until the first ballot) is checked again here, under the poll's lock.
  const optionCounts = new Map(
    (
      await db
        .selectFrom('poll_options')
        .select(['poll_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('poll_id', 'in', pollIds)
        .groupBy('poll_id')
        .execute()
    ).map((r) => [r.poll_id, Number(r.n)]),
  );
  const counted = new Map<number, number[][]>(pollIds.map((id) => [id, []]));
  const results: (
    | { kind: 'counted' | 'held' }
    | { kind: 'repeat'; choices: number[] }
    | { kind: 'closed' }
    | { kind: 'missing' }
    | { kind: 'unfit'; options: number; choice: 'single' | 'multiple' }
  )[] = [];
  for (const b of ballots) {
    const poll = polls.get(b.pollId);
    if (!poll) {
      results.push({ kind: 'missing' });
      continue;
    }
    if (poll.closed_at !== null || (poll.closes_at !== null && b.at >= Number(poll.closes_at))) {
      results.push({ kind: 'closed' });
      continue;
    }
    const options = optionCounts.get(b.pollId) ?? 0;
    const choice = poll.choice === 'multiple' ? 'multiple' : 'single';
    if (b.choices.some((c) => c >= options) || (choice === 'single' && b.choices.length > 1)) {
      // A reader who had voted already is answered with their ballot (a retry), not with the edit.
      const earlier = await repo.choicesOf(b.pollId, b.readerId);
      results.push(earlier ? { kind: 'repeat', choices: earlier } : { kind: 'unfit', options, choice });
      continue;
    }
    const inserted = await db
      .insertInto('poll_ballots')
      .values({ poll_id: b.pollId, reader_id: b.readerId, held: b.held ? 1 : 0, address_hash: b.addressHash, prefix_hash: b.prefixHash, voted_at: b.at })
      .onConflict((oc) => oc.columns(['poll_id', 'reader_id']).doNothing())
      .returning('reader_id')
      .executeTakeFirst();
    if (!inserted) {
      results.push({ kind: 'repeat', choices: (await repo.choicesOf(b.pollId, b.readerId)) ?? [] });
      continue;
    }
    await db
      .insertInto('poll_choices')
      .values(b.choices.map((position) => ({ poll_id: b.pollId, reader_id: b.readerId, position })))
      .execute();
    if (!b.held) counted.get(b.pollId)!.push(b.choices);
    results.push({ kind: b.held ? 'held' : 'counted' });
  }
  for (const [id, choices] of counted) await repo.count(id, choices);
  const counts = new Map<number, PollCounts>();
  for (const id of pollIds) if (polls.has(id)) counts.set(id, await repo.counts(id));
  return results.map((r, i): BallotOutcome => {
    if (r.kind === 'missing' || r.kind === 'closed' || r.kind === 'unfit') return r;
    const c = counts.get(ballots[i]!.pollId)!;
    return r.kind === 'repeat' ? { kind: 'repeat', choices: r.choices, counts: c } : { kind: r.kind, counts: c };
  });
}
