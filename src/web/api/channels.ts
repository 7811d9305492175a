import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.ts';
import { Type } from 'typebox';
import { updateChannel } from '../../domain/channels/edit.ts';
import { createChannel } from '../../domain/channels/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { heldKey, idempotentCreate } from '../idempotency.ts';
import { typed, type WebDeps } from '../context.ts';
import { readerLoad } from '../reads.ts';
import { channelOut } from '../presenters/articles.ts';
import { IdParams } from './schemas.ts';

const ChannelBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 40 }),
    name: Type.String({ minLength: 1, maxLength: 40 }),
    parent: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    description: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);

const ChannelPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    parent: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** The channel tree: public to read; creating, renaming, moving and reordering are the admins'. */
export function channelRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { ctx } = deps;
  const api = typed(app);

  api.get('/channels', async (req) => ({ items: (await readerLoad(deps, req, (c) => c.store.channels.all())).map(channelOut) }));

  // A retry after a crash between the channel's commit and its answer being kept: the channel as it is now.
  const remake = async (_req: FastifyRequest, reply: FastifyReply, id: number) => {
    const channel = await ctx.store.channels.findById(id);
    if (!channel) throw notFound('channel');
    return reply.code(201).send(channelOut(channel));
  };
  api.post('/channels', { config: idempotentCreate(remake), schema: { body: ChannelBody } }, async (req, reply) => {
    const channel = await createChannel(ctx, req.actor, { ...req.body, parent: req.body.parent ?? undefined }, heldKey(req));
    return reply.code(201).send(channelOut(channel));
  });

  api.patch('/channels/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: ChannelPatch } }, async (req) =>
    channelOut(await updateChannel(ctx, req.actor, req.params.id, req.body)),
  );
}
