import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { curateRelated, relatedFor, RELATED, type RelatedView } from '../../domain/articles/related.ts';
import { AUTH_OPTIONAL, AUTH_REQUIRED } from '../auth.ts';
import { relatedOut } from '../presenters/articles.ts';
import { typed, type WebDeps } from '../context.ts';
import { readerLoad } from '../reads.ts';
import { IdParams, MAX_ID } from './schemas.ts';

const ArticleIds = (max: number) => Type.Array(Type.Integer({ minimum: 1, maximum: MAX_ID }), { maxItems: max });

const PicksBody = Type.Object({ pinned: ArticleIds(RELATED.max), excluded: ArticleIds(RELATED.maxExcluded) }, { additionalProperties: false });

/** 相关阅读: the list readers see (public), and the editors' pins and exclusions. */
export function relatedRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { ctx, config } = deps;
  const api = typed(app);
  const present = (view: RelatedView) => relatedOut(view, config.siteUrl);

  api.get('/articles/:id/related', { config: AUTH_OPTIONAL, schema: { params: IdParams } }, async (req, reply) => {
    // Readers' lists from the replica; the newsroom's (picks, drafts) from the primary (readerLoad: credentials).
    const view = await readerLoad(deps, req, (c) => relatedFor(c, req.auth?.actor, req.params.id));
    // What an editor sees includes the picks and drafts; only the anonymous answer may be shared by caches.
    reply.header('cache-control', req.auth ? 'no-store' : 'public, max-age=60');
    return present(view);
  });

  api.put('/articles/:id/related', { config: AUTH_REQUIRED, schema: { params: IdParams, body: PicksBody } }, async (req) =>
    present(await curateRelated(ctx, req.actor, req.params.id, req.body)),
  );
}
