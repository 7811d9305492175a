import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  castBallot,
  closePoll,
  createPoll,
  getPoll,
  heldBallots,
  listPolls,
  pollBallots,
  pollResults,
  POLL_LIMITS,
  readerView,
  reviewHeldBallots,
  updatePoll,
} from '../../domain/polls/service.ts';
import { AUTH_REQUIRED, requireSameOrigin } from '../auth.ts';
import { heldKey, idempotentCreate } from '../idempotency.ts';
import { typed, type WebDeps } from '../context.ts';
import { heldBallotsOut, newsroomPollOut, pollHourOut, pollViewOut } from '../presenters/polls.ts';
import { readerOf, setReaderCookie } from '../reader.ts';
import { EmptyBody, IdParams, MAX_ID } from './schemas.ts';

// Shapes only; what a question or an option may be (and how many) is the domain's to say, in its words.
const PollFields = {
  question: Type.String({ maxLength: 1000 }),
  options: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 50 }),
  choice: Type.Optional(Type.Union([Type.Literal('single'), Type.Literal('multiple')])),
  results: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('after_vote')])),
  closesAt: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
  article: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), Type.Null()])),
  topic: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), Type.Null()])),
};
const CreateBody = Type.Object(PollFields, { additionalProperties: false });
const PatchBody = Type.Object(
  { ...PollFields, question: Type.Optional(PollFields.question), options: Type.Optional(PollFields.options) },
  { additionalProperties: false },
);
const BallotBody = Type.Object(
  { choices: Type.Array(Type.Integer({ minimum: 0, maximum: 1000 }), { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false },
);
const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), before: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })) },
  { additionalProperties: false },
);
const ReviewBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('release'), Type.Literal('discard')]),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

/** A ballot is a few bytes. */
const BALLOT_BODY_LIMIT = 1024;

/** A CSV cell: quoted, and a leading =, +, - or @ defused so a spreadsheet never runs it as a formula. */
const cell = (v: string): string => `"${(/^[=+\-@\t\r]/.test(v) ? `'${v}` : v).replaceAll('"', '""')}"`;

/**
 * Reader polls (云投): the public poll and ballot (anonymous, same origin, the mood votes' anti-stuffing), and the
 * newsroom's polls, results over time, held ballots and CSV export.
 */
export function pollRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { ctx, config } = deps;
  const siteOrigin = new URL(config.siteUrl).origin;
  const api = typed(app);
  const when = new Intl.DateTimeFormat('zh-CN', {
    timeZone: config.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });

  // The newsroom's list; listed before /polls/:id so the static path is never read as an id.
  api.get('/polls', { config: AUTH_REQUIRED, schema: { querystring: ListQuery } }, async (req) => {
    const { items, next } = await listPolls(ctx, req.actor, { limit: req.query.limit ?? 30, before: req.query.before });
    return { items: items.map((l) => newsroomPollOut(req.actor, l.poll, l.counts, l.held)), next, limits: POLL_LIMITS };
  });

  api.get('/polls/held', { config: AUTH_REQUIRED }, async (req) => ({ items: (await heldBallots(ctx, req.actor)).map(heldBallotsOut) }));

  // A retry after a crash between the poll's commit and its answer being kept: the poll as it is now.
  const remake = async (req: FastifyRequest, reply: FastifyReply, id: number) => {
    const r = await pollResults(ctx, req.actor, id);
    return reply.code(201).send(newsroomPollOut(req.actor, r.poll, r.counts, r.held));
  };
  api.post('/polls', { config: idempotentCreate(remake), schema: { body: CreateBody } }, async (req, reply) => {
    const poll = await createPoll(ctx, req.actor, req.body, heldKey(req));
    return reply.code(201).send(newsroomPollOut(req.actor, poll, { votes: poll.options.map(() => 0), voters: 0 }, 0));
  });

  api.patch('/polls/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: PatchBody } }, async (req) => {
    const before = await getPoll(ctx, req.params.id);
    const poll = await updatePoll(ctx, req.actor, req.params.id, { question: before.question, options: before.options, ...req.body });
    const r = await pollResults(ctx, req.actor, poll.id);
    return newsroomPollOut(req.actor, poll, r.counts, r.held);
  });

  api.post('/polls/:id/close', { config: AUTH_REQUIRED, schema: { params: IdParams, body: Type.Optional(EmptyBody) } }, async (req) => {
    const poll = await closePoll(ctx, req.actor, req.params.id);
    const r = await pollResults(ctx, req.actor, poll.id);
    return newsroomPollOut(req.actor, poll, r.counts, r.held);
  });

  api.get('/polls/:id/results', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) => {
    const r = await pollResults(ctx, req.actor, req.params.id);
    return { ...newsroomPollOut(req.actor, r.poll, r.counts, r.held), hours: r.hours.map(pollHourOut) };
  });

  api.get('/polls/:id/ballots.csv', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    const rows = pollBallots(ctx, req.actor, req.params.id);
    // The first row is read before answering, so a refusal (403, 404) is still a JSON error, not a broken download.
    const first = await rows.next();
    async function* lines(): AsyncGenerator<string> {
      yield '\ufeff投票时间（北京时间）,选项,状态,地址段\r\n';
      for (let r = first; !r.done; r = await rows.next()) {
        const b = r.value;
        const labels = b.choices.map((c) => b.poll.options[c] ?? `#${c}`).join('；');
        yield `${cell(when.format(new Date(b.at)))},${cell(labels)},${b.held ? '"待审核"' : '"已计入"'},${cell(b.prefixHash.slice(0, 12))}\r\n`;
      }
    }
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="poll-${req.params.id}.csv"`)
      .send(Readable.from(lines()));
  });

  api.post('/polls/:id/held', { config: AUTH_REQUIRED, schema: { params: IdParams, body: ReviewBody } }, async (req) => {
    const decided = await reviewHeldBallots(ctx, req.actor, { pollId: req.params.id, decision: req.body.decision, prefixHash: req.body.prefix });
    return { decision: req.body.decision, ballots: decided };
  });

  // Public: what this reader sees of the poll (the counts once they may see them).
  api.get('/polls/:id', { schema: { params: IdParams } }, async (req) => pollViewOut(await readerView(ctx, req.params.id, readerOf(req, config))));

  api.post('/polls/:id/votes', { schema: { params: IdParams, body: BallotBody }, bodyLimit: BALLOT_BODY_LIMIT }, async (req, reply) => {
    requireSameOrigin(req, siteOrigin);
    const result = await castBallot(ctx, { pollId: req.params.id, choices: req.body.choices, readerId: readerOf(req, config), address: req.ip });
    if (result.newReader) setReaderCookie(reply, config, result.readerId);
    return pollViewOut(result);
  });
}
