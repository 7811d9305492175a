import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Ctx } from '../domain/context.ts';
import { hmac, safeEqual } from '../domain/crypto.ts';
import { MemoryHitCounter, type HitCounter } from '../domain/reactions/hits.ts';
import { bindReactionRules, boundReactionRules, type ReactionRules } from '../domain/reactions/service.ts';
import { RedisHitCounter } from '../storage/redis-hits.ts';
import { requireSameOrigin } from './auth.ts';

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

/** Votes and reads come from our own pages: another site's form or beacon is refused when the browser says so. */
export function requireOwnOrigin(req: FastifyRequest, config: Config): void {
  requireSameOrigin(req, new URL(config.siteUrl).origin);
}

/**
 * The reaction rules of this app, made once per Ctx and shared by the API and the no-JavaScript form: the same
 * hit counters (in memory, or in Redis when REDIS_URL is set) must see every vote of this process.
 */
export function reactionRulesFor(app: FastifyInstance, { ctx, config }: { ctx: Ctx; config: Config }): ReactionRules {
  const bound = boundReactionRules(ctx);
  if (bound) return bound;
  let lastWarning = 0;
  const warn = (err: Error) => {
    // Redis reconnects keep failing while it is down: one line a minute is enough.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    app.log.warn({ err: err.message }, 'Redis unreachable: vote caps count in this process only');
  };
  const shared = config.redisUrl ? new RedisHitCounter(config.redisUrl, warn) : undefined;
  const hits: HitCounter = shared ?? new MemoryHitCounter();
  if (shared) {
    // Start serving with the shared counters when Redis answers within a moment, else count locally until it does.
    app.addHook('onReady', async () => {
      if (!(await shared.ready())) warn(new Error('no connection at start'));
    });
  }
  const rules: ReactionRules = {
    moods: config.moods,
    capPerHour: config.reactionCapPerHour,
    newReadersPerHour: config.readerCookiesPerHour,
    burstPerMinute: config.reactionBurstPerMinute,
    secret: config.secret,
    hits,
  };
  bindReactionRules(ctx, rules);
  app.addHook('onClose', async () => hits.close());
  return rules;
}
