import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.ts';
import { accountRoutes } from './accounts.ts';
import { articleRoutes } from './articles.ts';
import { assistRoutes } from './assist.ts';
import { catalogRoutes } from './catalog.ts';
import { curationRoutes } from './curation.ts';
import { newsroomRoutes } from './newsroom.ts';
import { reactionRoutes } from './reactions.ts';
import { relatedRoutes } from './related.ts';
import { searchRoutes } from './search.ts';
import type { WebDeps } from './context.ts';
import { mediaRoutes } from './media.ts';
import { sessionRoutes } from './session.ts';
import { wechatRoutes } from './wechat.ts';

/** The JSON API under /api/v1 (DESIGN.md section 5). */
export async function apiV1(app: FastifyInstance, deps: WebDeps): Promise<void> {
  app.addHook('onSend', async (req, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  sessionRoutes(app, deps);
  articleRoutes(app, deps);
  relatedRoutes(app, deps);
  assistRoutes(app, deps);
  catalogRoutes(app, deps);
  wechatRoutes(app, deps);
  reactionRoutes(app, deps);
  searchRoutes(app, deps);
  // Its own scope: the multipart parser and the larger body limit apply to the upload route only.
  app.register(async (scope) => mediaRoutes(scope, deps));
  newsroomRoutes(app, deps);
  accountRoutes(app, deps);
  curationRoutes(app, deps);
  app.setNotFoundHandler(() => {
    throw notFound('API route');
  });
}
