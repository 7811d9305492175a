import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import type { Ctx } from '../domain/context.ts';
import { DomainError, invalid } from '../domain/errors.ts';
import { answerLost, type IdempotencyHold, type IdempotentAnswer, keyReused, madeByAnother } from '../domain/idempotency.ts';

/**
 * Answers a retry with what the key's first request created (by its id) as it is now, when that creation committed
 * but its answer was never kept (the process died in between): sends the reply as the creation would have. `secret`
 * is what the creation recorded with keepMade for it (an API token's secret), opened with the request's key.
 */
export type Remake = (req: FastifyRequest, reply: FastifyReply, id: number, secret?: string) => Promise<unknown>;

/**
 * Before a kept answer is given again: throws (the route's own 4xx) when what the key's request made (by its id) is no
 * more, so the retry is told what became of it instead of getting the answer about something gone.
 */
export type StillThere = (req: FastifyRequest, id: number) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route creates something a retry must not create twice: it honours `Idempotency-Key` (see below). With a
     * Remake, the route passes heldKey(req) to its creation, which records what it made in its transaction.
     */
    idempotent?: boolean | Remake;
    /** With a Remake: checked before a kept answer is replayed (see StillThere). */
    idempotentStillThere?: StillThere;
  }
}

/** A creating newsroom route: signed in, and a retry with the same Idempotency-Key gets the first answer. */
export const IDEMPOTENT_CREATE = { auth: 'required', idempotent: true } as const;

/**
 * A creating route whose creation records what it made in its own transaction (keepMade with heldKey(req)): a retry
 * after a crash between that commit and the answer gets `remake`'s answer instead of a second creation.
 */
export function idempotentCreate(remake: Remake, stillThere?: StillThere) {
  return { auth: 'required', idempotent: remake, ...(stillThere ? { idempotentStillThere: stillThere } : {}) } as const;
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Keys are 1 to 255 printable ASCII characters (as Stripe takes them; a UUID is 36). */
const KEY_SHAPE = /^[\x20-\x7e]{1,255}$/;
/** The headers of a creation a client reads, given again with a replayed answer. */
const KEPT_HEADERS = ['content-type', 'location', 'etag'];

type Held = IdempotencyHold;

const held = new WeakMap<FastifyRequest, Held>();

/** The request's hold on its Idempotency-Key, if it sent one: the creation records what it made with it. */
export function heldKey(req: FastifyRequest): IdempotencyHold | undefined {
  const mine = held.get(req);
  return mine ? { ...mine } : undefined;
}

/** The request's key, if it sent one; a malformed one (or several) is refused before anything is done. */
function keyOf(req: FastifyRequest): string | undefined {
  const value = req.headers[IDEMPOTENCY_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY_SHAPE.test(value)) {
    throw invalid('Idempotency-Key is 1 to 255 printable ASCII characters', 'Idempotency-Key', 'invalid_input');
  }
  return value;
}

/** A value with its objects' keys in order: a client that serialises the same request anew may order fields otherwise. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

/** What a key stands for: the method, the path with its query, and a hash of the body as parsed. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([method, url, canonical(body ?? null)]))
    .digest('base64url');
}

function replay(reply: FastifyReply, answer: IdempotentAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).header('idempotent-replayed', 'true').send(answer.body);
}

/**
 * `Idempotency-Key` on the routes that declare `config.idempotent` (after the auth gate, so keys are per account):
 * the first request with a key claims it and runs; its success (2xx) is kept 24 hours with the request's fingerprint,
 * and a retry with the same key and the same request gets that answer again (same status, body, Location, ETag, and
 * `Idempotent-Replayed: true`) without running; the same key with another request is 422 `idempotency_key_reused`;
 * while the first still runs, 409 `idempotency_in_progress`. A failure (4xx, 5xx) changed nothing: the key is let go
 * and a retry runs anew. Routes declared with idempotentCreate also record what they made in the creating transaction:
 * a retry after a crash between that commit and the answer being kept answers with it (remake), and a failure after
 * the commit keeps the key. Without the header nothing changes. Register on the scope before its routes.
 */
export function registerIdempotency(app: FastifyInstance, { ctx }: { ctx: Ctx }): void {
  const claim: preHandlerAsyncHookHandler = async (req, reply) => {
    const key = keyOf(req);
    if (key === undefined) return;
    const accountId = req.actor.id;
    const fingerprint = requestFingerprint(req.method, req.url, req.body);
    const owner = randomBytes(16).toString('base64url');
    const now = ctx.clock.now();
    const found = await ctx.store.idempotency.claim({ accountId, key, fingerprint, owner, now });
    if (found.claimed) {
      held.set(req, { accountId, key, owner, fingerprint, claimedAt: now });
      return;
    }
    if (found.fingerprint !== fingerprint) throw keyReused();
    const remake = req.routeOptions.config.idempotent;
    if (!found.answer && found.made !== undefined && typeof remake === 'function') {
      // The creation committed, its answer was never kept (or was altered): what it made, as it is now.
      reply.header('idempotent-replayed', 'true');
      return remake(req, reply, found.made, found.secret);
    }
    if (found.lost) throw answerLost();
    if (!found.answer) {
      throw new DomainError(
        'conflict',
        'idempotency_in_progress',
        'A request with this Idempotency-Key is still running; try again shortly',
        'Idempotency-Key',
        1,
      );
    }
    // What it made was deleted since (an article in the 回收站): the retry is told that, not the answer about it.
    const stillThere = req.routeOptions.config.idempotentStillThere;
    if (stillThere && found.made !== undefined) await stillThere(req, found.made);
    return replay(reply, found.answer);
  };

  const settle: onSendHookHandler = async (req, reply, payload) => {
    const mine = held.get(req);
    if (!mine) return payload;
    held.delete(req);
    try {
      if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
        const headers: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await ctx.store.idempotency.answer(mine.accountId, mine.key, mine.owner, { status: reply.statusCode, headers, body: payload });
      } else {
        await ctx.store.idempotency.release(mine.accountId, mine.key, mine.owner);
      }
    } catch (err) {
      // The work is done and answered; the key stays held until its lease ends (a retry meanwhile is told to wait).
      req.log.error({ err }, 'keeping the answer of an Idempotency-Key failed');
    }
    return payload;
  };

  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const asList = <T>(h: T | T[] | undefined): T[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);
    // Last: after the auth gate the auth hook puts first, so the key is the signed-in account's.
    route.preHandler = [...asList(route.preHandler), claim];
    route.onSend = [...asList(route.onSend), settle];
    const remake = route.config.idempotent;
    if (typeof remake !== 'function') return;
    const handler = route.handler;
    // Two requests with one key both ran (the first outlived its lease and its retry took the key over): the first
    // creation to commit stands, and the other request answers with it instead of a 409 or a second creation.
    route.handler = async function (this: FastifyInstance, req, reply) {
      try {
        return await handler.call(this, req, reply);
      } catch (err) {
        const made = madeByAnother(err);
        if (made === undefined) throw err;
        reply.header('idempotent-replayed', 'true');
        return remake(req, reply, made.id, made.secret);
      }
    };
  });
}
