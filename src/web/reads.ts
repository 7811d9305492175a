import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.ts';
import { SESSION_COOKIE } from './auth.ts';
import type { WebDeps } from './context.ts';

/**
 * A reader-side read: reader pages, feeds, sitemaps, search and the public JSON reads load their data here, so that
 * with a read replica (DATABASE_READ_URL) they read it when it is fresh enough (see storage/replica.ts). A request
 * that carries credentials (the newsroom, an API token) reads the primary: whoever just wrote must see it, on any
 * app machine, before the replica has replayed it. Everything else — every write, the newsroom, sessions, votes —
 * uses `deps.ctx`, the primary, as before.
 */
export function readerLoad<T>(deps: WebDeps, req: FastifyRequest | undefined, load: (ctx: Ctx) => Promise<T>): Promise<T> {
  if (!deps.reads || (req && (req.headers.authorization !== undefined || req.cookies?.[SESSION_COOKIE] !== undefined))) return load(deps.ctx);
  return deps.reads.run(load);
}
