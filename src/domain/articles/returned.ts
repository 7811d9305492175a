import type { Ctx } from '../context.ts';
import type { Article, ReturnNote } from './article.ts';

export type { ReturnNote };

/** The workflow steps after which a return no longer stands (edits and restores keep it standing). */
export const WORKFLOW_STEPS = ['create', 'submit', 'return', 'publish', 'schedule', 'unpublish'] as const;

/**
 * The standing return notes of these articles, by article id: for drafts whose latest workflow step is a return (the
 * comment is that revision's note). One query for the whole list, whatever its length.
 */
export async function returnNotes(ctx: Ctx, articles: readonly Article[]): Promise<Map<number, ReturnNote>> {
  // Revision 1 is the article's first (its create or import): no return can stand on it, and nothing is asked (the
  // answer to a create).
  const drafts = articles.filter((a) => a.status === 'draft' && a.revision > 1).map((a) => a.id);
  if (drafts.length === 0) return new Map();
  const notes = await ctx.store.history.latestReturns(drafts, WORKFLOW_STEPS);
  return new Map(notes.map((n) => [n.articleId, n]));
}
