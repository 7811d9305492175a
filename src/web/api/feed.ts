import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { normalizeChannelPath } from '../../domain/channels/channel.ts';
import { notFound } from '../../domain/errors.ts';
import { typed, type WebDeps } from '../context.ts';
import { feedPage } from '../loaders.ts';
import { readerLoad } from '../reads.ts';
import { feedItem } from '../presenters/articles.ts';

const FeedQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ maxLength: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export const FEED_LIMIT = { min: 1, max: 50, default: 20 };

/** GET /feed: the reader pages' feed (same loader, same cursors), of one channel's subtree or all; the reader script pages with it. */
export function feedRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config } = deps;
  typed(app).get('/feed', { schema: { querystring: FeedQuery } }, async (req, reply) => {
    const { channel, cursor } = req.query;
    // Out-of-range limits are clamped rather than refused: a feed reader asking for 500 gets 50.
    const limit = Math.min(FEED_LIMIT.max, Math.max(FEED_LIMIT.min, req.query.limit ?? FEED_LIMIT.default));
    const feed = await readerLoad(deps, req, async (ctx) => {
      let channelIds: number[] | undefined;
      if (channel !== undefined && channel !== '') {
        const path = normalizeChannelPath(channel);
        if (!(await ctx.store.channels.findByPath(path))) throw notFound(`Channel ${path}`);
        channelIds = await ctx.store.channels.subtreeIds(path);
      }
      return feedPage(ctx, { channelIds, cursor, limit });
    });
    reply.header('cache-control', 'public, max-age=30');
    return { items: feed.items.map((a) => feedItem(a, config.siteUrl)), nextCursor: feed.nextCursor };
  });
}
