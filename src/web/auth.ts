import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"', 'invalid_token');
  return match[1];
}

/** Who is calling, by bearer token or session cookie; undefined when nobody is signed in. */
export async function authenticate(ctx: Ctx, req: FastifyRequest): Promise<Authenticated | undefined> {
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
export async function requireActor(ctx: Ctx, req: FastifyRequest, siteOrigin: string): Promise<Authenticated> {
  const auth = await authenticate(ctx, req);
  if (!auth) throw unauthorized();
  if (auth.via === 'session' && !SAFE_METHODS.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !auth.csrfToken || !safeEqual(sent, auth.csrfToken)) {
      throw new DomainError('forbidden', 'csrf_failed', 'Missing or wrong X-CSRF-Token header');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== siteOrigin && origin !== `${req.protocol}://${req.host}`) {
      throw new DomainError('forbidden', 'bad_origin', 'Cross-site request refused');
    }
  }
  return auth;
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
