import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assistArticle } from '../../domain/articles/assist.ts';
import { LIMITS } from '../../domain/articles/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';

const AssistBody = Type.Object(
  {
    title: Type.String({ maxLength: LIMITS.title }),
    body: Type.String({ maxLength: LIMITS.bodyBytes }),
    // The article being edited, so it is not reported as a duplicate of itself.
    articleId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
  },
  { additionalProperties: false },
);

/** Editor assists: summary, keywords, key figures and near-duplicates for the text in the editor. */
export function assistRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  typed(app).post('/assist', { config: AUTH_REQUIRED, schema: { body: AssistBody } }, async (req) => {
    const result = await assistArticle(ctx, req.actor, req.body);
    return {
      summary: result.summary,
      keywords: result.keywords,
      figures: result.figures,
      duplicates: result.duplicates.map((d) => ({ id: d.article.id, title: d.article.title, status: d.article.status, similarity: d.similarity })),
    };
  });
}
