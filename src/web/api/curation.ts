import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { updateChannel } from '../../domain/channels/edit.ts';
import { updateTopic } from '../../domain/topics/edit.ts';
import { requireActor } from '../auth.ts';
import { channelOut, topicOut } from '../presenters/articles.ts';
import { IdParams } from './articles.ts';
import { typed, type WebDeps } from './context.ts';

const ChannelPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    parent: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const TopicPatch = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    cover: Type.Optional(Type.String({ maxLength: 1000 })),
    articles: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), { maxItems: 200 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Editing the channel tree and topics (creating them lives in catalog.ts). */
export function curationRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);

  api.patch('/channels/:id', { schema: { params: IdParams, body: ChannelPatch } }, async (req) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return channelOut(await updateChannel(ctx, actor, req.params.id, req.body));
  });

  api.patch('/topics/:id', { schema: { params: IdParams, body: TopicPatch } }, async (req) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return topicOut(await updateTopic(ctx, actor, req.params.id, req.body));
  });
}
