import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../domain/context.ts';
import { resolveOldUrl } from '../../domain/imports/old-urls.ts';
import { articlePath } from '../presenters/articles.ts';
import { sendHtml } from './html.ts';

/**
 * Answers a GET or HEAD for an old address of an imported article (`inkstone import`): 301 to its page, or the 410
 * page when it is not public; undefined when the address is none of them, for the caller's 404. Asked only where no
 * page of ours answers: the not-found handler, and our own routes when they find nothing (WordPress's `/p/123.html`
 * under the polls' `/p/`, a `/c/news` of a site without that channel). `maxAge` is how long the move may be kept: short
 * under our routes, where a channel, topic or poll made later takes the address.
 */
export async function answerOldAddress(
  ctx: Ctx,
  req: FastifyRequest,
  reply: FastifyReply,
  renderError: (status: number) => Promise<string>,
  maxAge: number,
): Promise<FastifyReply | undefined> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const old = await resolveOldUrl(ctx, req.url);
  if (old?.kind === 'moved') return reply.code(301).header('location', articlePath(old.articleId)).header('cache-control', `public, max-age=${maxAge}`).send();
  if (old?.kind === 'gone') return sendHtml(reply, 410, await renderError(410), 'public, max-age=30');
  return undefined;
}
