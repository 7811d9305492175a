import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { Type } from 'typebox';
import { castVote } from '../../domain/reactions/service.ts';
import { notFound } from '../../domain/errors.ts';
import { typed, type WebDeps } from '../context.ts';
import { readerOf, setReaderCookie } from '../reader.ts';
import { requireSameOrigin } from '../auth.ts';

// Matches the article page's own id check; ids beyond int4 cannot exist.
const PageParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) });
const MoodForm = Type.Object({ mood: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });

/** Voting without JavaScript: the article page's mood buttons post a form here and land back on the moods. */
export async function reactionFormRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  await app.register(formbody, { bodyLimit: 1024 });
  const { ctx, config } = deps;
  // Votes and reads come from our own pages: another site's form or beacon is refused when the browser says so.
  const siteOrigin = new URL(config.siteUrl).origin;

  typed(app).post('/a/:id/mood', { schema: { params: PageParams, body: MoodForm } }, async (req, reply) => {
    const articleId = Number(req.params.id);
    if (articleId > 2_147_483_647) throw notFound('Article');
    requireSameOrigin(req, siteOrigin);
    const vote = await castVote(ctx, { articleId, mood: req.body.mood, readerId: readerOf(req, config), address: req.ip });
    if (vote.newReader) setReaderCookie(reply, config, vote.readerId);
    // The acknowledgement page shows the vote and the new counts (the cached article page cannot show a reader's vote).
    const mode = (req.query as { mode?: unknown }).mode === 'care' ? '?mode=care' : '';
    return reply.code(303).header('cache-control', 'no-store').redirect(`/a/${articleId}/mood${mode}`);
  });
}
