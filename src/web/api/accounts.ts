import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { changePassword, listAccounts, updateAccount } from '../../domain/accounts/manage.ts';
import { ROLES } from '../../domain/accounts/roles.ts';
import { createAccount } from '../../domain/accounts/service.ts';
import { sha256 } from '../../domain/crypto.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { accountOut } from '../presenters/newsroom.ts';

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

/** The newsroom's people: accounts, their roles, and passwords (one's own, or anyone's reset by an admin). */
export function accountRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.get('/accounts', { config: AUTH_REQUIRED }, async (req) => ({ items: (await listAccounts(ctx, req.actor)).map(accountOut) }));

  api.post('/accounts', { config: AUTH_REQUIRED, schema: { body: NewAccountBody } }, async (req, reply) =>
    reply.code(201).send(accountOut(await createAccount(ctx, req.actor, req.body))),
  );

  api.patch('/accounts/:username', { config: AUTH_REQUIRED, schema: { params: UsernameParams, body: AccountPatch } }, async (req) =>
    accountOut(await updateAccount(ctx, req.actor, req.params.username, req.body)),
  );

  api.post('/accounts/:username/password', { config: AUTH_REQUIRED, schema: { params: UsernameParams, body: PasswordBody } }, async (req, reply) => {
    const sessionToken = req.auth?.sessionToken;
    await changePassword(ctx, req.actor, {
      username: req.params.username,
      password: req.body.password,
      currentPassword: req.body.currentPassword,
      // The session this change comes from stays signed in; every other one ends.
      sessionId: sessionToken ? sha256(sessionToken) : undefined,
      address: req.ip,
    });
    return reply.code(204).send();
  });
}
