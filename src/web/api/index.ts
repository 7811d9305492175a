import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.ts';
import type { WebDeps } from '../context.ts';
import { registerIdempotency } from '../idempotency.ts';
import { accountRoutes } from './accounts.ts';
import { articleRoutes } from './articles.ts';
import { assistRoutes } from './assist.ts';
import { auditRoutes } from './audit.ts';
import { channelRoutes } from './channels.ts';
import { commentRoutes } from './comments.ts';
import { feedRoutes } from './feed.ts';
import { importRoutes } from './imports.ts';
import { mediaRoutes } from './media.ts';
import { mediaLibraryRoutes } from './media-library.ts';
import { pollRoutes } from './polls.ts';
import { presenceRoutes } from './presence.ts';
import { liveRoutes } from './live.ts';
import { reactionRoutes } from './reactions.ts';
import { relatedRoutes } from './related.ts';
import { searchRoutes } from './search.ts';
import { sessionRoutes } from './session.ts';
import { slotRoutes } from './slots.ts';
import { sourceRoutes } from './sources.ts';
import { synonymRoutes } from './synonyms.ts';
import { tokenRoutes } from './tokens.ts';
import { topicRoutes } from './topics.ts';
import { trashRoutes } from './trash.ts';
import { wechatRoutes } from './wechat.ts';

/**
 * The JSON API under /api/v1, one module per resource. Who may call a route is declared on it
 * (`config: AUTH_REQUIRED`, see auth.ts); handlers call one domain function and return a presenter's output.
 */
export async function apiV1(app: FastifyInstance, deps: WebDeps): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  // Before the routes: the creating POSTs that declare `idempotent` take Idempotency-Key.
  registerIdempotency(app, deps);
  sessionRoutes(app, deps);
  articleRoutes(app, deps);
  trashRoutes(app, deps);
  relatedRoutes(app, deps);
  presenceRoutes(app, deps);
  liveRoutes(app, deps);
  assistRoutes(app, deps);
  channelRoutes(app, deps);
  topicRoutes(app, deps);
  slotRoutes(app, deps);
  feedRoutes(app, deps);
  searchRoutes(app, deps);
  wechatRoutes(app, deps);
  reactionRoutes(app, deps);
  pollRoutes(app, deps);
  // Its own scope: the multipart parser and the larger body limit apply to the upload route only.
  app.register(async (scope) => mediaRoutes(scope, deps));
  mediaLibraryRoutes(app, deps);
  // Its own scope too: the archive upload's multipart parser and its larger body limit.
  const imports = deps.imports;
  if (imports) app.register(async (scope) => importRoutes(scope, deps, imports));
  sourceRoutes(app, deps);
  synonymRoutes(app, deps);
  commentRoutes(app, deps);
  auditRoutes(app, deps);
  accountRoutes(app, deps);
  tokenRoutes(app, deps);
  app.setNotFoundHandler(() => {
    throw notFound('API route');
  });
}
