import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { login, logout, SESSION_MAX_MS } from '../../domain/accounts/service.ts';
import { authenticate, clearSessionCookie, requireActor, setSessionCookie } from '../auth.ts';
import { typed, type WebDeps } from './context.ts';

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

const LogoutQuery = Type.Object({ everywhere: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export function sessionRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);
  const secure = config.siteUrl.startsWith('https:');

  api.post('/session', { schema: { body: LoginBody } }, async (req, reply) => {
    const result = await login(ctx, { ...req.body, address: req.ip });
    setSessionCookie(reply, result.sessionToken, secure, Math.floor(SESSION_MAX_MS / 1000));
    return {
      csrfToken: result.csrfToken,
      user: { username: result.account.username, displayName: result.account.displayName, role: result.account.role },
    };
  });

  api.get('/session', async (req, reply) => {
    const auth = await authenticate(ctx, req);
    reply.header('cache-control', 'no-store');
    if (!auth) return { user: null };
    const { username, displayName, role } = auth.actor;
    return { user: { username, displayName, role }, csrfToken: auth.csrfToken ?? null };
  });

  // ?everywhere=true also ends the account's sessions on every other device.
  api.delete('/session', { schema: { querystring: LogoutQuery } }, async (req, reply) => {
    const auth = await requireActor(ctx, req, config.siteUrl);
    if (auth.sessionToken) await logout(ctx, auth.sessionToken, { everywhere: req.query.everywhere === true });
    clearSessionCookie(reply, secure);
    return reply.code(204).send();
  });
}
