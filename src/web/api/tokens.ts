import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { answerLost } from '../../domain/idempotency.ts';
import { listApiTokens, revokeApiToken } from '../../domain/accounts/manage.ts';
import { createApiToken } from '../../domain/accounts/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { heldKey, idempotentCreate } from '../idempotency.ts';
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

  // A retry after a crash between the token's commit and its answer being kept: the same token and secret (the secret
  // recorded sealed with the request's Idempotency-Key, opened with it), as the first answer would have been.
  const remake = async (req: FastifyRequest, reply: FastifyReply, id: number, secret?: string) => {
    const body = req.body as Static<typeof NewTokenBody>;
    // Not recorded, or altered in the database: the token exists but its secret cannot be given again.
    if (secret === undefined) throw answerLost();
    return reply.code(201).send(newTokenOut({ id, token: secret, username: body.username, name: body.name }));
  };

  api.post('/tokens', { config: idempotentCreate(remake), schema: { body: NewTokenBody } }, async (req, reply) => {
    const { token, id } = await createApiToken(ctx, req.actor, req.body, heldKey(req));
    return reply.code(201).send(newTokenOut({ id, token, username: req.body.username, name: req.body.name }));
  });

  api.delete('/tokens/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await revokeApiToken(ctx, req.actor, req.params.id);
    return reply.code(204).send();
  });
}
