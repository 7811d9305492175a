import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { searchArticles } from '../../domain/search/service.ts';
import { articlePath } from '../presenters/articles.ts';
import { typed, type WebDeps } from '../context.ts';
import { readerLoad } from '../reads.ts';

const SearchQuery = Type.Object(
  {
    // Longer than any query we accept: the domain answers a too-long query with its own clear 400.
    q: Type.String({ maxLength: 1000 }),
    channel: Type.Optional(Type.String({ maxLength: 200 })),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    limit: Type.Optional(Type.Integer()),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** GET /search: Chinese full-text search over published articles. */
export function searchRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config } = deps;
  typed(app).get('/search', { schema: { querystring: SearchQuery } }, async (req, reply) => {
    const result = await readerLoad(deps, req, (ctx) => searchArticles(ctx, { ...req.query, timeZone: config.timeZone }));
    reply.header('cache-control', 'public, max-age=30');
    return {
      items: result.hits.map(({ article, snippet }) => ({
        id: article.id,
        title: article.title,
        url: config.siteUrl + articlePath(article.id),
        snippet,
        publishedAt: new Date(article.publishedAt!).toISOString(),
      })),
      total: result.total,
      nextCursor: result.nextCursor,
      // Items from this position of the whole list on hold only some of the query's words (null: none do).
      partialFrom: result.partialFrom,
      // 您是不是要找: a corrected query that finds articles, when no article holds every word of this one.
      suggestion: result.suggestion,
    };
  });
}
