import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { createSynonyms, deleteSynonyms, listSynonyms, SYNONYM_LIMITS, updateSynonyms } from '../../domain/search/synonyms.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { synonymOut } from '../presenters/newsroom.ts';
import { IdParams } from './schemas.ts';

const SynonymBody = Type.Object(
  {
    // Bounds of the shape only; what a word may be (and the minimum of two) is the domain's to say, in its words.
    words: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }),
  },
  { additionalProperties: false },
);

/**
 * The newsroom's search synonyms (admins): groups of words a search treats as one (北大 ↔ 北京大学), applied at
 * query time. Every change is audited.
 */
export function synonymRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.get('/search/synonyms', { config: AUTH_REQUIRED }, async (req) => ({
    items: (await listSynonyms(ctx, req.actor)).map(synonymOut),
    limits: SYNONYM_LIMITS,
  }));

  api.post('/search/synonyms', { config: AUTH_REQUIRED, schema: { body: SynonymBody } }, async (req, reply) =>
    reply.code(201).send(synonymOut(await createSynonyms(ctx, req.actor, req.body))),
  );

  api.patch('/search/synonyms/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: SynonymBody } }, async (req) =>
    synonymOut(await updateSynonyms(ctx, req.actor, req.params.id, req.body)),
  );

  api.delete('/search/synonyms/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await deleteSynonyms(ctx, req.actor, req.params.id);
    return reply.code(204).send();
  });
}
