import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { hmac, safeEqual } from '../domain/crypto.ts';

/** The anonymous reader: a random id signed with the site secret, set by the first vote, kept a year. */
export const READER_COOKIE = 'inkstone_reader';
const READER_MAX_AGE = 365 * 24 * 3600;
const READER_ID = /^[A-Za-z0-9_-]{16,64}$/;

export const signReader = (secret: string, readerId: string): string => `${readerId}.${hmac(secret, readerId)}`;

/** The reader id of a genuine cookie; null for none, a forged one or one signed with another secret. */
export function verifiedReader(secret: string, cookie: string | undefined): string | null {
  if (!cookie) return null;
  const dot = cookie.indexOf('.');
  if (dot < 0) return null;
  const id = cookie.slice(0, dot);
  if (!READER_ID.test(id)) return null;
  return safeEqual(cookie.slice(dot + 1), hmac(secret, id)) ? id : null;
}

export function readerOf(req: FastifyRequest, config: Config): string | null {
  return verifiedReader(config.secret, req.cookies[READER_COOKIE]);
}

export function setReaderCookie(reply: FastifyReply, config: Config, readerId: string): void {
  reply.setCookie(READER_COOKIE, signReader(config.secret, readerId), {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.siteUrl.startsWith('https:'),
    path: '/',
    maxAge: READER_MAX_AGE,
  });
}
