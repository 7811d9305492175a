import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { conflict, DomainError, forbidden, invalid, notFound } from '../errors.ts';
import { authorize, can, canEditPoll } from '../policy.ts';
import { admitVoter } from '../reactions/stuffing.ts';
import { lineField } from '../text.ts';
import type { Store } from '../store.ts';
import { type IdempotencyHold, keepMade } from '../idempotency.ts';
import type { BallotRow, HeldBallots, Poll, PollChoice, PollCounts, PollHour, PollListing, PollResults, PollWrite } from './poll.ts';

export const POLL_LIMITS = { question: 200, option: 60, minOptions: 2, maxOptions: 10 };
/** A closing time is at most this far ahead: a poll is news, not a standing survey. */
const MAX_AHEAD = 366 * 24 * 3_600_000;

export interface PollInput {
  question: string;
  options: string[];
  choice?: PollChoice;
  results?: PollResults;
  /** ISO 8601, or null for no closing time. */
  closesAt?: string | null;
  article?: number | null;
  topic?: number | null;
}

/** Whether a poll takes ballots at `now`: not closed by hand, and `now` before its closing time (to the second). */
export const isOpen = (poll: Poll, now: number): boolean => poll.closedAt === null && (poll.closesAt === null || now < poll.closesAt);

/** Checks a poll's fields as an editor sent them, against the poll as it stands (for an edit). */
async function pollWrite(ctx: Ctx, store: Store, actor: Actor, input: PollInput, before?: Poll): Promise<PollWrite> {
  const question = lineField(input.question, 'question', POLL_LIMITS.question, true);
  if (!Array.isArray(input.options)) throw invalid('options must be a list', 'options');
  const options = input.options.map((o) => lineField(o, 'options', POLL_LIMITS.option, true));
  if (options.length < POLL_LIMITS.minOptions) throw invalid(`a poll needs at least ${POLL_LIMITS.minOptions} options`, 'options', 'too_short');
  if (options.length > POLL_LIMITS.maxOptions) throw invalid(`a poll has at most ${POLL_LIMITS.maxOptions} options`, 'options', 'too_many');
  if (new Set(options).size !== options.length) throw invalid('two options say the same', 'options', 'duplicate');
  const choice = input.choice ?? before?.choice ?? 'single';
  if (choice !== 'single' && choice !== 'multiple') throw invalid('choice is single or multiple', 'choice');
  const results = input.results ?? before?.results ?? 'after_vote';
  if (results !== 'always' && results !== 'after_vote') throw invalid('results is always or after_vote', 'results');
  let closesAt = before?.closesAt ?? null;
  if (input.closesAt !== undefined) {
    if (input.closesAt === null || input.closesAt === '') closesAt = null;
    else {
      const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(input.closesAt) ? Date.parse(input.closesAt) : NaN;
      if (!Number.isFinite(t)) throw invalid('closesAt must be an ISO 8601 time with its offset', 'closesAt', 'invalid_time');
      // Closing is exact to the second: a time within a second is that second.
      closesAt = t - (t % 1000);
      const now = ctx.clock.now();
      if (closesAt !== before?.closesAt && closesAt <= now) throw invalid('closesAt must be in the future', 'closesAt', 'in_past');
      if (closesAt - now > MAX_AHEAD) throw invalid('closesAt is at most a year ahead', 'closesAt', 'too_far');
    }
  }
  const articleId = input.article === undefined ? (before?.articleId ?? null) : input.article;
  const topicId = input.topic === undefined ? (before?.topicId ?? null) : input.topic;
  if (articleId !== null) {
    const article = await store.articles.findById(articleId);
    if (!article) throw invalid(`no article #${articleId}`, 'article', 'unknown_article');
    // Reporters make polls for their own articles only; the policy decides, with the article.
    if (!before || articleId !== before.articleId) authorize(actor, 'poll.create', article);
  } else if (!can(actor, 'poll.create')) {
    throw forbidden(`Your role (${actor.role}) may make polls for your own articles only`);
  }
  if (topicId !== null) {
    if (!(await store.topics.findById(topicId))) throw invalid(`no topic #${topicId}`, 'topic', 'unknown_topic');
    if (topicId !== before?.topicId) authorize(actor, 'topic.manage');
  }
  return { question, options, choice, results, closesAt, articleId, topicId };
}

/** Reader pages showing the poll (its own, an article or topic embedding it) are purged once a change commits. */
const changed = (ctx: Ctx, store: Store, poll: { id: number; articleId: number | null; topicId: number | null }, before?: Poll) => {
  announce(ctx, store, { kind: 'poll', id: poll.id });
  if (before?.topicId && before.topicId !== poll.topicId) announce(ctx, store, { kind: 'topic', id: before.topicId });
  if (poll.topicId && poll.topicId !== before?.topicId) announce(ctx, store, { kind: 'topic', id: poll.topicId });
};

/** With `hold` (the request's Idempotency-Key), the key's row records the poll in the same transaction. */
export async function createPoll(ctx: Ctx, actor: Actor, input: PollInput, hold?: IdempotencyHold): Promise<Poll> {
  return writeActing(ctx.store, actor, async (store, acting) => {
    const write = await pollWrite(ctx, store, acting, input);
    const at = ctx.clock.now();
    const id = await store.polls.insert(write, actor.id, at);
    await keepMade(store, hold, id);
    await store.history.record({ at, actorId: actor.id, action: 'poll.create', subjectType: 'poll', subjectId: id, detail: { question: write.question } });
    changed(ctx, store, { id, ...write });
    return (await store.polls.find(id))!;
  });
}

export async function updatePoll(ctx: Ctx, actor: Actor, id: number, input: PollInput): Promise<Poll> {
  return writeActing(ctx.store, actor, async (store, acting) => {
    const before = await store.polls.find(id);
    if (!before) throw notFound('Poll');
    if (!canEditPoll(acting, before)) throw forbidden(`Your role (${acting.role}) may edit only the polls you made`);
    const write = await pollWrite(ctx, store, acting, input, before);
    // Readers chose among these options: their number and the kind of choice stay once anyone voted (labels may be
    // corrected). The count is read after the write lock the update takes, so a ballot cannot slip in between.
    const reshaped = write.options.length !== before.options.length || write.choice !== before.choice;
    const at = ctx.clock.now();
    await store.polls.update(id, write, actor.id, at);
    if (reshaped && (await store.polls.ballotCount(id)) > 0) {
      throw conflict('poll_has_votes', 'readers have voted: the options may be reworded, not added, removed or made single/multiple', 'options');
    }
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'poll.update',
      subjectType: 'poll',
      subjectId: id,
      detail: { question: write.question, ...(before.question !== write.question ? { before: before.question } : {}) },
    });
    changed(ctx, store, { id, ...write }, before);
    return (await store.polls.find(id))!;
  });
}

/** Closes a poll now; closing a closed poll changes nothing (a retry is safe). */
export async function closePoll(ctx: Ctx, actor: Actor, id: number): Promise<Poll> {
  authorize(actor, 'poll.close');
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'poll.close');
    const poll = await store.polls.find(id);
    if (!poll) throw notFound('Poll');
    const at = ctx.clock.now();
    if (await store.polls.close(id, actor.id, at)) {
      await store.history.record({ at, actorId: actor.id, action: 'poll.close', subjectType: 'poll', subjectId: id, detail: { question: poll.question } });
      changed(ctx, store, poll);
    }
    return (await store.polls.find(id))!;
  });
}

/**
 * Whether readers may see a poll: one made for an article goes public with it (an embargoed story's poll must not
 * give it away at /p/<id>); one of no article is public at once.
 */
export async function isPublicPoll(ctx: Ctx, poll: Poll): Promise<boolean> {
  return poll.articleId === null || (await ctx.store.reactions.articleStatus(poll.articleId)) === 'published';
}

/** A poll as readers may ask for it: 404 while it is not public. */
async function publicPoll(ctx: Ctx, id: number): Promise<Poll> {
  const poll = await getPoll(ctx, id);
  if (!(await isPublicPoll(ctx, poll))) throw notFound('Poll');
  return poll;
}

export async function getPoll(ctx: Ctx, id: number): Promise<Poll> {
  const poll = await ctx.store.polls.find(id);
  if (!poll) throw notFound('Poll');
  return poll;
}

/**
 * The newsroom's polls, newest first: all of them for editors; for a reporter those of no article, their own, and those
 * of articles they may read, so a colleague's unpublished story is not given away by its poll's question. `next`
 * continues after the last poll looked at (shown or not), null when there are no more.
 */
export async function listPolls(ctx: Ctx, actor: Actor, q: { limit: number; before?: number }): Promise<{ items: PollListing[]; next: number | null }> {
  const limit = Math.min(100, Math.max(1, Math.trunc(q.limit) || 30));
  const page = await ctx.store.polls.list(limit, q.before);
  const next = page.length === limit ? page[page.length - 1]!.poll.id : null;
  const articleIds = [...new Set(page.map((l) => l.poll.articleId).filter((id): id is number => id !== null))];
  const articles = new Map((await ctx.store.articles.findMany(articleIds, { bodies: false })).map((a) => [a.id, a]));
  const items = page.filter(({ poll }) => {
    if (poll.articleId === null || poll.createdBy === actor.id) return true;
    // A poll whose article is in the 回收站 (not found) stays with editors and its maker.
    return can(actor, 'article.read', articles.get(poll.articleId));
  });
  return { items, next };
}

/** What a reader sees of a poll: the poll, their choices, and the counts when the poll shows them to this reader. */
export interface PollView {
  poll: Poll;
  open: boolean;
  mine: number[] | null;
  /** Null while the poll keeps its results until the reader has voted. */
  counts: PollCounts | null;
  /** The reader's ballot awaits review (a burst from their network): it is kept, not yet counted. */
  held?: boolean;
}

export const showsResults = (poll: Poll, open: boolean, mine: number[] | null): boolean => poll.results === 'always' || !open || mine !== null;

export async function readerView(ctx: Ctx, id: number, readerId: string | null): Promise<PollView> {
  const poll = await publicPoll(ctx, id);
  const mine = readerId ? ((await ctx.store.polls.choicesOf(id, readerId)) ?? null) : null;
  const open = isOpen(poll, ctx.clock.now());
  return { poll, open, mine, counts: showsResults(poll, open, mine) ? await ctx.store.polls.counts(id) : null };
}

export interface BallotInput {
  pollId: number;
  /** Option positions, 0-based. */
  choices: number[];
  readerId: string | null;
  address: string;
}

export interface BallotResult extends PollView {
  readerId: string;
  newReader: boolean;
}

const sameChoices = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A reader's ballot: one per reader per poll. The same ballot again is answered as the first was (a retry); a different
 * one is refused (409 `already_voted`). Ballots pass the mood votes' anti-stuffing layers; closing is exact to the
 * second: a ballot at or after the closing time is refused (409 `poll_closed`), checked in the write itself.
 */
export async function castBallot(ctx: Ctx, input: BallotInput): Promise<BallotResult> {
  const poll = await publicPoll(ctx, input.pollId);
  const choices = [...new Set(input.choices)].sort((a, b) => a - b);
  if (choices.length === 0) throw invalid('choose an option', 'choices', 'required');
  if (choices.some((c) => !Number.isInteger(c) || c < 0 || c >= poll.options.length)) {
    throw invalid(`options are numbered 0 to ${poll.options.length - 1}`, 'choices', 'unknown_option');
  }
  if (poll.choice === 'single' && choices.length > 1) throw invalid('this poll takes one option', 'choices', 'unknown_option');
  const closed = () => new DomainError('conflict', 'poll_closed', '投票已截止', 'choices');
  if (!isOpen(poll, ctx.clock.now())) throw closed();
  const voter = await admitVoter(ctx, {
    subject: `poll:${poll.id}`,
    readerId: input.readerId,
    address: input.address,
    hasVoted: async (readerId) => (await ctx.store.polls.choicesOf(poll.id, readerId)) !== undefined,
  });
  const outcome = await ctx.store.polls.vote({
    pollId: poll.id,
    readerId: voter.readerId,
    choices,
    held: voter.held,
    addressHash: voter.addressHash,
    prefixHash: voter.prefixHash,
    at: voter.at,
  });
  if (outcome.kind === 'missing') throw notFound('Poll');
  if (outcome.kind === 'closed') throw closed();
  // Answered as the same ballot sent after the edit would be.
  if (outcome.kind === 'unfit') {
    throw outcome.choice === 'single' && choices.length > 1
      ? invalid('this poll takes one option', 'choices', 'unknown_option')
      : invalid(`options are numbered 0 to ${outcome.options - 1}`, 'choices', 'unknown_option');
  }
  if (outcome.kind === 'repeat' && !sameChoices(outcome.choices, choices)) {
    throw new DomainError('conflict', 'already_voted', '您已经投过票了', 'choices', undefined, { mine: outcome.choices });
  }
  const mine = outcome.kind === 'repeat' ? outcome.choices : choices;
  return {
    poll,
    open: true,
    mine,
    counts: outcome.counts,
    ...(outcome.kind === 'held' ? { held: true } : {}),
    readerId: voter.readerId,
    newReader: voter.newReader,
  };
}

function requireResults(actor: Actor, poll: Poll): void {
  if (!canEditPoll(actor, poll)) throw forbidden(`Your role (${actor.role}) may see the results of the polls you made only`);
}

/** The newsroom's results: counts, held ballots, and public votes per hour. */
export async function pollResults(ctx: Ctx, actor: Actor, id: number): Promise<{ poll: Poll; counts: PollCounts; held: number; hours: PollHour[] }> {
  const poll = await getPoll(ctx, id);
  requireResults(actor, poll);
  const [counts, hours, ballots] = await Promise.all([ctx.store.polls.counts(id), ctx.store.polls.hours(id), ctx.store.polls.ballotCount(id)]);
  return { poll, counts, held: ballots - counts.voters, hours };
}

/** Every ballot of a poll, oldest first, in pages (the CSV export streams them). */
export async function* pollBallots(ctx: Ctx, actor: Actor, id: number): AsyncGenerator<BallotRow & { poll: Poll }> {
  const poll = await getPoll(ctx, id);
  requireResults(actor, poll);
  let after: { at: number; readerId: string } | undefined;
  for (;;) {
    const page = await ctx.store.polls.ballots(id, 1000, after);
    for (const b of page) yield { ...b, poll };
    if (page.length < 1000) return;
    const last = page[page.length - 1]!;
    after = { at: last.at, readerId: last.readerId };
  }
}

export async function heldBallots(ctx: Ctx, actor: Actor): Promise<HeldBallots[]> {
  authorize(actor, 'poll.review');
  return ctx.store.polls.heldGroups(100);
}

/** Counts a poll's held ballots in ('release') or drops them ('discard'), optionally from one prefix only. */
export async function reviewHeldBallots(
  ctx: Ctx,
  actor: Actor,
  input: { pollId: number; decision: 'release' | 'discard'; prefixHash?: string },
): Promise<number> {
  authorize(actor, 'poll.review');
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'poll.review');
    const poll = await store.polls.find(input.pollId);
    if (!poll) throw notFound('Poll');
    const n = await store.polls.decideHeld(input.pollId, input.decision === 'release', input.prefixHash);
    if (n > 0) {
      await store.history.record({
        at: ctx.clock.now(),
        actorId: actor.id,
        action: `poll.${input.decision}`,
        subjectType: 'poll',
        subjectId: input.pollId,
        detail: { votes: n, ...(input.prefixHash ? { prefix: input.prefixHash } : {}) },
      });
    }
    return n;
  });
}

/** Poll ids a (sanitized) article body embeds, in order: `<figure data-poll="12">`. */
export function embeddedPollIds(html: string): number[] {
  const ids: number[] = [];
  for (const m of html.matchAll(/<figure data-poll="(\d{1,9})"/g)) ids.push(Number(m[1]));
  return [...new Set(ids)];
}
