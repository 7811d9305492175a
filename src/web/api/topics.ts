import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.ts';
import { Type } from 'typebox';
import { updateTopic } from '../../domain/topics/edit.ts';
import { createTopic, listTopics } from '../../domain/topics/service.ts';
import { AUTH_OPTIONAL, AUTH_REQUIRED } from '../auth.ts';
import { heldKey, idempotentCreate } from '../idempotency.ts';
import { typed, type WebDeps } from '../context.ts';
import { readerLoad } from '../reads.ts';
import { topicOut } from '../presenters/articles.ts';
import { IdParams, MAX_ID } from './schemas.ts';

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

const TopicPatch = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    cover: Type.Optional(Type.String({ maxLength: 1000 })),
    articles: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: MAX_ID }), { maxItems: 200 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** 专题: public to read; editors create them and choose their articles. */
export function topicRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { ctx } = deps;
  const api = typed(app);

  api.get('/topics', { config: AUTH_OPTIONAL }, async (req, reply) => {
    // Editors see a topic's unpublished articles too: only the anonymous answer may be shared by caches.
    if (req.auth) reply.header('cache-control', 'no-store');
    return { items: (await readerLoad(deps, req, (c) => listTopics(c, req.auth?.actor))).map(topicOut) };
  });

  // A retry after a crash between the topic's commit and its answer being kept: the topic as it is now.
  const remake = async (_req: FastifyRequest, reply: FastifyReply, id: number) => {
    const topic = await ctx.store.topics.findById(id);
    if (!topic) throw notFound('topic');
    return reply.code(201).send(topicOut(topic));
  };
  api.post('/topics', { config: idempotentCreate(remake), schema: { body: TopicBody } }, async (req, reply) =>
    reply.code(201).send(topicOut(await createTopic(ctx, req.actor, req.body, heldKey(req)))),
  );

  api.patch('/topics/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: TopicPatch } }, async (req) =>
    topicOut(await updateTopic(ctx, req.actor, req.params.id, req.body)),
  );
}
