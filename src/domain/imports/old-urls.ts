import type { Ctx } from '../context.ts';
import { oldUrlKeysOfRequest } from '../../transfer/old-urls.ts';

/** Where a request for an old address of an imported article goes: the article (published), gone (410), or unknown. */
export type OldUrlAnswer = { kind: 'moved'; articleId: number } | { kind: 'gone' } | undefined;

/**
 * Looks a request's path up among the imported articles' old addresses (`/2010/10/05/slug/`, `/?p=123`, percent-encoded
 * or not). Only asked where no page of ours answers (the not-found handler, `/` with `?p=`, a route of ours that finds
 * nothing: web/public/old-addresses.ts), so it never shadows a page of the site.
 */
export async function resolveOldUrl(ctx: Ctx, url: string): Promise<OldUrlAnswer> {
  for (const key of oldUrlKeysOfRequest(url)) {
    const target = await ctx.store.imports.findOldUrl(key);
    if (target) return target.status === 'published' ? { kind: 'moved', articleId: target.articleId } : { kind: 'gone' };
  }
  return undefined;
}
