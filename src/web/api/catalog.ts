import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { normalizeChannelPath } from '../../domain/channels/channel.ts';
import { createChannel } from '../../domain/channels/service.ts';
import { notFound } from '../../domain/errors.ts';
import { createTopic } from '../../domain/topics/service.ts';
import { isSlotName, setSlot, SLOTS } from '../../domain/slots/service.ts';
import { requireActor } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { channelOut, feedItem, topicOut } from '../presenters/articles.ts';
import { typed, type WebDeps } from './context.ts';

const ChannelBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 40 }),
    name: Type.String({ minLength: 1, maxLength: 40 }),
    parent: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    description: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);

const TopicBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 40 }),
    title: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    cover: Type.Optional(Type.String({ maxLength: 1000 })),
    articles: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 200 })),
  },
  { additionalProperties: false },
);

const FeedQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ maxLength: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const SlotParams = Type.Object({ slot: Type.String({ maxLength: 40 }) });
const SlotBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { article: Type.Integer({ minimum: 1 }), expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time', maxLength: 40 }), Type.Null()])) },
        { additionalProperties: false },
      ),
      { maxItems: 20 },
    ),
  },
  { additionalProperties: false },
);

export const FEED_LIMIT = { min: 1, max: 50, default: 20 };

/** Channels, topics and the public feed: the catalogue readers and tools walk. */
export function catalogRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);

  api.get('/channels', async () => ({ items: (await ctx.store.channels.all()).map(channelOut) }));

  api.post('/channels', { schema: { body: ChannelBody } }, async (req, reply) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    const channel = await createChannel(ctx, actor, { ...req.body, parent: req.body.parent ?? undefined });
    return reply.code(201).send(channelOut(channel));
  });

  api.get('/topics', async () => ({ items: (await ctx.store.topics.all()).map(topicOut) }));

  api.post('/topics', { schema: { body: TopicBody } }, async (req, reply) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return reply.code(201).send(topicOut(await createTopic(ctx, actor, req.body)));
  });

  const slotName = (slot: string) => {
    if (!isSlotName(slot)) throw notFound(`Slot ${slot} (known: ${Object.keys(SLOTS).join(', ')})`);
    return slot;
  };
  const slotOut = (items: { articleId: number; expiresAt: number | null }[]) => ({
    items: items.map((i) => ({ article: i.articleId, expiresAt: i.expiresAt === null ? null : new Date(i.expiresAt).toISOString() })),
  });

  api.get('/slots/:slot', { schema: { params: SlotParams } }, async (req) => slotOut(await ctx.store.slots.items(slotName(req.params.slot))));

  api.put('/slots/:slot', { schema: { params: SlotParams, body: SlotBody } }, async (req) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    const items = req.body.items.map((i) => ({ articleId: i.article, expiresAt: i.expiresAt ? Date.parse(i.expiresAt) : null }));
    return slotOut(await setSlot(ctx, actor, slotName(req.params.slot), items));
  });

  api.get('/feed', { schema: { querystring: FeedQuery } }, async (req, reply) => {
    const { channel, cursor } = req.query;
    // Out-of-range limits are clamped rather than refused: a feed reader asking for 500 gets 50.
    const limit = Math.min(FEED_LIMIT.max, Math.max(FEED_LIMIT.min, req.query.limit ?? FEED_LIMIT.default));
    let channelIds: number[] | undefined;
    if (channel !== undefined && channel !== '') {
      const path = normalizeChannelPath(channel);
      if (!(await ctx.store.channels.findByPath(path))) throw notFound(`Channel ${path}`);
      channelIds = await ctx.store.channels.subtreeIds(path);
    }
    const before = cursor ? decodeCursor(cursor) : undefined;
    const items = await ctx.store.articles.listPublished({ channelIds, before, limit });
    const last = items[items.length - 1];
    reply.header('cache-control', 'public, max-age=30');
    return {
      items: items.map((a) => feedItem(a, config.siteUrl)),
      nextCursor: items.length === limit && last ? encodeCursor({ publishedAt: last.publishedAt!, id: last.id }) : null,
    };
  });
}
