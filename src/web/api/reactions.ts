import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  castVote,
  getReactions,
  heldVotes,
  RANKING_LIMIT,
  recordView,
  reviewHeldVotes,
  topByReactions,
  topByViews,
  WINDOWS,
  type RankingWindow,
} from '../../domain/reactions/service.ts';
import { AUTH_REQUIRED, requireSameOrigin } from '../auth.ts';
import { feedItem } from '../presenters/articles.ts';
import { readerOf, setReaderCookie } from '../reader.ts';
import { typed, type WebDeps } from '../context.ts';
import type { Ctx } from '../../domain/context.ts';
import { readerLoad } from '../reads.ts';
import { IdParams } from './schemas.ts';

const VoteBody = Type.Object({ mood: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });

const Window = Type.Union(WINDOWS.map((w) => Type.Literal(w)));

const MoodRankingQuery = Type.Object(
  {
    mood: Type.String({ minLength: 1, maxLength: 40 }),
    window: Type.Optional(Window),
    limit: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const ViewRankingQuery = Type.Object({ window: Type.Optional(Window), limit: Type.Optional(Type.Integer()) }, { additionalProperties: false });

const ReviewBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('release'), Type.Literal('discard')]),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const iso = (t: number) => new Date(t).toISOString();

/** Mood votes, the read beacon and the rankings (public), and the review of held votes (newsroom). */
const ANONYMOUS_BODY_LIMIT = 1024;

export function reactionRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { ctx, config } = deps;
  // Votes and reads come from our own pages: another site's form or beacon is refused when the browser says so.
  const siteOrigin = new URL(config.siteUrl).origin;

  void app.register(async (scope) => {
    // navigator.sendBeacon posts text/plain; the beacon carries nothing in its body, so it is read and dropped.
    scope.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 1024 }, (_req, _body, done) => done(null, undefined));
    const api = typed(scope);

    api.get('/articles/:id/reactions', { schema: { params: IdParams } }, async (req) => getReactions(ctx, req.params.id, readerOf(req, config) ?? undefined));

    // Anonymous routes take small bodies: a vote is a few bytes, a beacon none.
    api.post('/articles/:id/reactions', { schema: { params: IdParams, body: VoteBody }, bodyLimit: ANONYMOUS_BODY_LIMIT }, async (req, reply) => {
      requireSameOrigin(req, siteOrigin);
      const vote = await castVote(ctx, { articleId: req.params.id, mood: req.body.mood, readerId: readerOf(req, config), address: req.ip });
      if (vote.newReader) setReaderCookie(reply, config, vote.readerId);
      return { counts: vote.counts, mine: vote.mine };
    });

    api.post('/articles/:id/views', { schema: { params: IdParams }, bodyLimit: ANONYMOUS_BODY_LIMIT }, async (req, reply) => {
      requireSameOrigin(req, siteOrigin);
      await recordView(ctx, { articleId: req.params.id, readerId: readerOf(req, config), address: req.ip, userAgent: req.headers['user-agent'] });
      return reply.code(204).send();
    });

    api.get('/rankings/reactions', { schema: { querystring: MoodRankingQuery } }, async (req, reply) => {
      const window: RankingWindow = req.query.window ?? '24h';
      // Rankings are public reads (a replica's, when there is one); the vote counts of one article stay on the primary.
      const items = await readerLoad(deps, req, async (c) =>
        rankedItems(c, await topByReactions(c, { mood: req.query.mood, window, limit: req.query.limit ?? RANKING_LIMIT.default })),
      );
      reply.header('cache-control', 'public, max-age=60');
      return { mood: req.query.mood, window, items };
    });

    api.get('/rankings/views', { schema: { querystring: ViewRankingQuery } }, async (req, reply) => {
      const window: RankingWindow = req.query.window ?? '24h';
      const items = await readerLoad(deps, req, async (c) => rankedItems(c, await topByViews(c, { window, limit: req.query.limit ?? RANKING_LIMIT.default })));
      reply.header('cache-control', 'public, max-age=60');
      return { window, items };
    });

    api.get('/reactions/held', { config: AUTH_REQUIRED }, async (req) => {
      const groups = await heldVotes(ctx, req.actor);
      return {
        items: groups.map((g) => ({ articleId: g.articleId, prefix: g.prefixHash, votes: g.votes, firstAt: iso(g.first), lastAt: iso(g.last) })),
      };
    });

    api.post('/articles/:id/reactions/held', { config: AUTH_REQUIRED, schema: { params: IdParams, body: ReviewBody } }, async (req) => {
      const decided = await reviewHeldVotes(ctx, req.actor, { articleId: req.params.id, decision: req.body.decision, prefixHash: req.body.prefix });
      return { decision: req.body.decision, votes: decided };
    });
  });

  async function rankedItems(c: Ctx, ranked: { articleId: number; count: number }[]) {
    const articles = await c.store.articles.findMany(ranked.map((r) => r.articleId));
    const countOf = new Map(ranked.map((r) => [r.articleId, r.count]));
    return articles.map((a) => ({ ...feedItem(a, config.siteUrl), count: countOf.get(a.id) ?? 0 }));
  }
}
