import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listSources, saveSource, SOURCE_LIMITS } from '../../domain/sources/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { sourceOut } from '../presenters/newsroom.ts';

const SourceBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: SOURCE_LIMITS.name }), url: Type.Optional(Type.String({ maxLength: SOURCE_LIMITS.url })) },
  { additionalProperties: false },
);

/** The newsroom's list of 来源 (news sources) the editor offers; saving a known name updates its URL. */
export function sourceRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.get('/sources', { config: AUTH_REQUIRED }, async (req) => ({ items: (await listSources(ctx, req.actor)).map(sourceOut) }));

  api.post('/sources', { config: AUTH_REQUIRED, schema: { body: SourceBody } }, async (req, reply) => {
    const { source, created } = await saveSource(ctx, req.actor, req.body);
    return reply.code(created ? 201 : 200).send(sourceOut(source));
  });
}
