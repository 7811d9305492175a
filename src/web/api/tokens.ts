import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listApiTokens, revokeApiToken } from '../../domain/accounts/manage.ts';
import { createApiToken } from '../../domain/accounts/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { newTokenOut, tokenOut } from '../presenters/newsroom.ts';
import { IdParams } from './schemas.ts';

const NewTokenBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

/** API tokens for scripts and tools (admins): listed without their secret, shown once when made, revoked. */
export function tokenRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.get('/tokens', { config: AUTH_REQUIRED }, async (req) => ({ items: (await listApiTokens(ctx, req.actor)).map(tokenOut) }));

  api.post('/tokens', { config: AUTH_REQUIRED, schema: { body: NewTokenBody } }, async (req, reply) => {
    const { token, id } = await createApiToken(ctx, req.actor, req.body);
    return reply.code(201).send(newTokenOut({ id, token, username: req.body.username, name: req.body.name }));
  });

  api.delete('/tokens/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await revokeApiToken(ctx, req.actor, req.params.id);
    return reply.code(204).send();
  });
}
