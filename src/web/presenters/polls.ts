import type { Actor } from '../../domain/accounts/roles.ts';
import type { HeldBallots, Poll, PollCounts, PollHour } from '../../domain/polls/poll.ts';
import type { PollView } from '../../domain/polls/service.ts';
import { pollAbilities } from '../../domain/policy.ts';

/** Output allowlists for polls: readers get the poll, their choices and the counts they may see; never hashes. */

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** A poll as every reader may see it (also inside the newsroom's answers). */
export function pollOut(p: Poll) {
  return {
    id: p.id,
    question: p.question,
    options: p.options,
    choice: p.choice,
    results: p.results,
    closesAt: iso(p.closesAt),
    closedAt: iso(p.closedAt),
    url: `/p/${p.id}`,
  };
}

export function countsOut(c: PollCounts) {
  return { votes: c.votes, voters: c.voters };
}

/** GET /polls/:id and a ballot's answer: the poll, whether it is open, the reader's choices and the counts they may see. */
export function pollViewOut(v: PollView) {
  return {
    poll: pollOut(v.poll),
    open: v.open,
    mine: v.mine,
    counts: v.counts ? countsOut(v.counts) : null,
    ...(v.held ? { held: true } : {}),
  };
}

/** A poll in the newsroom: where it is shown, who may do what, counts and ballots awaiting review. */
export function newsroomPollOut(actor: Actor, p: Poll, counts: PollCounts, held: number) {
  return {
    ...pollOut(p),
    article: p.articleId,
    topic: p.topicId,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    counts: countsOut(counts),
    held,
    abilities: pollAbilities(actor, p),
  };
}

export function pollHourOut(h: PollHour) {
  return { hour: iso(h.hour), votes: h.votes, voters: h.voters };
}

export function heldBallotsOut(g: HeldBallots) {
  return { poll: g.pollId, question: g.question, prefix: g.prefixHash, ballots: g.ballots, firstAt: iso(g.first), lastAt: iso(g.last) };
}
