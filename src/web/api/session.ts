import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { login, logout, SESSION_MAX_MS } from '../../domain/accounts/service.ts';
import { AUTH_OPTIONAL, AUTH_REQUIRED, clearSessionCookie, requireSameOrigin, setSessionCookie } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { sessionOut } from '../presenters/newsroom.ts';

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

const LogoutQuery = Type.Object({ everywhere: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

/** Signing in and out of the newsroom with a session cookie (plus the CSRF token changes must carry). */
export function sessionRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);
  const secure = config.siteUrl.startsWith('https:');
  const siteOrigin = new URL(config.siteUrl).origin;
  const limits = { mediaMaxBytes: config.mediaMaxBytes };

  // Login CSRF: another site must not sign a reader's browser in as someone else. JSON only (a cross-site form
  // cannot send it without a preflight), from our own pages, and a small body: nobody is signed in yet.
  api.post('/session', { schema: { body: LoginBody }, bodyLimit: 4096 }, async (req, reply) => {
    requireSameOrigin(req, siteOrigin);
    const result = await login(ctx, { ...req.body, address: req.ip });
    setSessionCookie(reply, result.sessionToken, secure, Math.floor(SESSION_MAX_MS / 1000));
    return sessionOut(result.account, result.csrfToken, limits);
  });

  api.get('/session', { config: AUTH_OPTIONAL }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return req.auth ? sessionOut(req.auth.actor, req.auth.csrfToken ?? null, limits) : { user: null };
  });

  // ?everywhere=true also ends the account's sessions on every other device.
  api.delete('/session', { config: AUTH_REQUIRED, schema: { querystring: LogoutQuery } }, async (req, reply) => {
    const sessionToken = req.auth?.sessionToken;
    if (sessionToken) await logout(ctx, sessionToken, { everywhere: req.query.everywhere === true });
    clearSessionCookie(reply, secure);
    return reply.code(204).send();
  });
}
