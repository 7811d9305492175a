import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { changePassword, listAccounts, listApiTokens, revokeApiToken, updateAccount } from '../../domain/accounts/manage.ts';
import { ROLES } from '../../domain/accounts/roles.ts';
import { createAccount, createApiToken } from '../../domain/accounts/service.ts';
import { sha256 } from '../../domain/crypto.ts';
import { requireActor } from '../auth.ts';
import { accountOut, tokenOut } from '../presenters/newsroom.ts';
import { typed, type WebDeps } from './context.ts';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });
const NewAccountBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    displayName: Type.Optional(Type.String({ maxLength: 50 })),
    role: Role,
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
const AccountPatch = Type.Object(
  { role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()), displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })) },
  { additionalProperties: false, minProperties: 1 },
);
const PasswordBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 256 }), currentPassword: Type.Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: false },
);
const NewTokenBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
const TokenParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });

/** People and their credentials: accounts, passwords, API tokens. */
export function accountRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);

  api.get('/accounts', async (req) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return { items: (await listAccounts(ctx, actor)).map(accountOut) };
  });

  api.post('/accounts', { schema: { body: NewAccountBody } }, async (req, reply) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return reply.code(201).send(accountOut(await createAccount(ctx, actor, req.body)));
  });

  api.patch('/accounts/:username', { schema: { params: UsernameParams, body: AccountPatch } }, async (req) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return accountOut(await updateAccount(ctx, actor, req.params.username, req.body));
  });

  api.post('/accounts/:username/password', { schema: { params: UsernameParams, body: PasswordBody } }, async (req, reply) => {
    const auth = await requireActor(ctx, req, config.siteUrl);
    await changePassword(ctx, auth.actor, {
      username: req.params.username,
      password: req.body.password,
      currentPassword: req.body.currentPassword,
      sessionId: auth.sessionToken ? sha256(auth.sessionToken) : undefined,
      address: req.ip,
    });
    return reply.code(204).send();
  });

  api.get('/tokens', async (req) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    return { items: (await listApiTokens(ctx, actor)).map(tokenOut) };
  });

  api.post('/tokens', { schema: { body: NewTokenBody } }, async (req, reply) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    const { token, id } = await createApiToken(ctx, actor, req.body);
    // The only time the token is ever shown; only its hash is kept.
    return reply.code(201).send({ id, token, username: req.body.username.trim().toLowerCase(), name: req.body.name });
  });

  api.delete('/tokens/:id', { schema: { params: TokenParams } }, async (req, reply) => {
    const { actor } = await requireActor(ctx, req, config.siteUrl);
    await revokeApiToken(ctx, actor, req.params.id);
    return reply.code(204).send();
  });
}
