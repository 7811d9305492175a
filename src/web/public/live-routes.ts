import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { invalid, notFound } from '../../domain/errors.ts';
import { liveChanges } from '../../domain/live/service.ts';
import type { WebDeps } from '../context.ts';
import { typed } from '../context.ts';
import { sendApiError, toApiError } from '../errors.ts';
import type { LiveHub } from '../live-hub.ts';
import { publicMediaRewriter } from '../media-url.ts';
import { liveChangesOut } from '../presenters/live.ts';
import { readerLoad } from '../reads.ts';

const ArticleParams = Type.Object({ id: Type.String() });
const LiveQuery = Type.Object({ after: Type.Optional(Type.String({ maxLength: 20 })) });

/** A change number: a whole number of at most 15 digits (sequences stay far below 2^53). */
function cursorOf(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw invalid(`${field} must be a cursor from a previous answer`, field, 'invalid_cursor');
  return Number(value);
}

function articleIdOf(raw: string): number {
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw notFound('Live');
  return id;
}

/** Errors of these JSON and event-stream routes are JSON, though they live beside the reader pages. */
const fail = (reply: FastifyReply, err: unknown) => sendApiError(reply, toApiError(err));

/**
 * The live of a published article for readers: `/a/:id/live.json?after=<cursor>` (apps, and any client without
 * EventSource) and `/a/:id/live/events` (server-sent events; a reconnecting browser sends the last event's id as
 * Last-Event-ID and resumes after it). Neither is ever in the page cache (no PUBLIC_PAGE) or compressed.
 */
export function liveReaderRoutes(app: FastifyInstance, deps: WebDeps, hub: LiveHub): void {
  const rewrite = publicMediaRewriter(deps.config.mediaPublicUrl, deps.config.siteUrl);
  const api = typed(app);

  // attachValidation: a query of the wrong shape is refused in JSON too, not by the reader site's HTML error page.
  api.get('/a/:id/live.json', { schema: { params: ArticleParams, querystring: LiveQuery }, attachValidation: true }, async (req, reply) => {
    try {
      if (req.validationError) throw req.validationError;
      const id = articleIdOf(req.params.id);
      const after = cursorOf(req.query.after, 'after') ?? 0;
      const found = await readerLoad(deps, req, async (ctx) => {
        const article = await ctx.store.articles.findWithBody(id, { bodyHtml: '', bodyText: '' });
        return article && liveChanges(ctx.store, article, after);
      });
      if (!found) throw notFound('Live');
      // Short-lived in shared caches: a poller a few seconds behind still resumes from its own cursor.
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'public, max-age=2')
        .send(rewrite(JSON.stringify(liveChangesOut(id, found))));
    } catch (err) {
      return fail(reply, err);
    }
  });

  // The server answers streams before Fastify routes anything (LiveHub.handle, see app.ts); this route is the same
  // answer for requests that reach Fastify without the HTTP server (inject in tests).
  api.get('/a/:id/live/events', { schema: { params: ArticleParams, querystring: LiveQuery } }, async (req, reply) => {
    reply.hijack();
    hub.serve({ id: req.params.id, lastEventId: req.headers['last-event-id'], after: req.query.after, head: req.method === 'HEAD' }, reply.raw);
  });
}
