import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Actor } from '../domain/accounts/roles.ts';
import { authenticateSession, authenticateToken } from '../domain/accounts/service.ts';
import type { Ctx } from '../domain/context.ts';
import { safeEqual } from '../domain/crypto.ts';
import { DomainError, unauthorized } from '../domain/errors.ts';

export const SESSION_COOKIE = 'inkstone_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Authenticated {
  actor: Actor;
  via: 'token' | 'session';
  csrfToken?: string;
  sessionToken?: string;
}

/**
 * Who may call a route, declared on the route (`config: { auth: 'required' }`), never checked by hand in a handler:
 * - `required`: someone must be signed in (401 otherwise); a cookie-authenticated change must carry the session's
 *   CSRF token and come from our own origin. The handler reads `req.actor` (and `req.auth` for the session).
 * - `optional`: `req.auth` is whoever is signed in, or null; a bad bearer token is still a 401.
 */
export type AuthMode = 'required' | 'optional';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
  }
  interface FastifyRequest {
    /** Set before the handler on routes that declare `auth`; null when nobody is signed in (optional auth). */
    auth: Authenticated | null;
    /** The signed-in account; only on routes with `auth: 'required'` (reading it elsewhere is a bug and a 500). */
    readonly actor: Actor;
  }
}

/** Route configs, beside `PUBLIC_PAGE`: `{ config: AUTH_REQUIRED, schema: … }`. */
export const AUTH_REQUIRED = { auth: 'required' } as const;
export const AUTH_OPTIONAL = { auth: 'optional' } as const;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"', 'invalid_token');
  return match[1];
}

/** Who is calling, by bearer token or session cookie; undefined when nobody is signed in. */
async function authenticate(ctx: Ctx, req: FastifyRequest): Promise<Authenticated | undefined> {
  const token = bearer(req);
  if (token !== undefined) {
    const actor = await authenticateToken(ctx, token);
    if (!actor) throw unauthorized('The API token is unknown or revoked', 'invalid_token');
    return { actor, via: 'token' };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  const session = await authenticateSession(ctx, cookie);
  if (!session) return undefined;
  return { actor: session.actor, via: 'session', csrfToken: session.csrfToken, sessionToken: cookie };
}

/**
 * A newsroom route's gate: someone must be signed in, and a cookie-authenticated change must carry the
 * session's CSRF token and come from our own origin (tokens in headers cannot be forged by another site).
 */
/**
 * Refuses a request another site made the browser send: by `Origin` when the browser sends it, else by
 * `Sec-Fetch-Site` (only our own pages, or a person typing the address, may cause a change). Scripts without
 * either header are not browsers acting for someone else.
 */
export function requireSameOrigin(req: FastifyRequest, siteOrigin: string): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== siteOrigin && origin !== `${req.protocol}://${req.host}`) {
    throw new DomainError('forbidden', 'bad_origin', 'Cross-site request refused');
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new DomainError('forbidden', 'bad_origin', 'Cross-site request refused');
  }
}

async function requireActor(ctx: Ctx, req: FastifyRequest, siteOrigin: string): Promise<Authenticated> {
  const auth = await authenticate(ctx, req);
  if (!auth) throw unauthorized();
  if (auth.via === 'session' && !SAFE_METHODS.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !auth.csrfToken || !safeEqual(sent, auth.csrfToken)) {
      throw new DomainError('forbidden', 'csrf_failed', 'Missing or wrong X-CSRF-Token header');
    }
    requireSameOrigin(req, siteOrigin);
  }
  return auth;
}

/**
 * Gives every route that declares `config.auth` its gate as the first preHandler: after the input is validated
 * (a malformed request is a 400 whoever sends it), before the handler. Register on the root instance before routes.
 */
export function registerAuth(app: FastifyInstance, { ctx, siteUrl }: { ctx: Ctx; siteUrl: string }): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('actor', {
    getter(this: FastifyRequest) {
      if (!this.auth) throw new Error(`${this.method} ${this.routeOptions.url} reads req.actor but does not declare auth: 'required'`);
      return this.auth.actor;
    },
  });
  const gates: Record<AuthMode, preHandlerAsyncHookHandler> = {
    required: async (req) => {
      req.auth = await requireActor(ctx, req, siteUrl);
    },
    optional: async (req) => {
      req.auth = (await authenticate(ctx, req)) ?? null;
    },
  };
  app.addHook('onRoute', (route) => {
    const mode = route.config?.auth;
    if (!mode) return;
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [gates[mode], ...own];
  });
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
