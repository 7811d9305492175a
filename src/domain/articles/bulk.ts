import type { Actor } from '../accounts/roles.ts';
import { normalizeChannelPath } from '../channels/channel.ts';
import type { Ctx } from '../context.ts';
import { DomainError, invalid, type ErrorCode } from '../errors.ts';
import { authorize } from '../policy.ts';
import { length } from '../text.ts';
import { cleanLine } from './html.ts';
import { LIMITS } from './limits.ts';
import { deleteArticle, getArticle, publishArticle, unpublishArticle, updateArticle, type AuditDetail } from './service.ts';
import type { ArticleStatus } from './status.ts';

export const BULK_ACTIONS = ['publish', 'unpublish', 'move', 'tag', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Articles per bulk request: a page of the 稿件库 and then some; each is its own transaction. */
export const BULK_MAX_IDS = 200;

export interface BulkRequest {
  action: BulkAction;
  ids: number[];
  /** `move`: the channel's path. */
  channel?: string;
  /** `tag`: the tag to add. */
  tag?: string;
}

/**
 * What became of one article. `unchanged`: it already was as asked (published, in the channel, tagged, in the 回收站),
 * so a retried bulk request reports it done without a new revision or audit entry.
 */
export interface BulkOutcome {
  id: number;
  ok: boolean;
  unchanged?: boolean;
  error?: { code: ErrorCode; message: string; field?: string };
}

/** Every change a bulk action makes is audited on its article with this beside the usual detail. */
const BULK: AuditDetail = { bulk: true };

/**
 * A write that found a newer revision than the one it read is tried again this often on the newer one: as often as a
 * single edit without If-Match is (lastWriteWins), since each try lets one racing writer through; at 3, a bulk tag
 * racing another bulk action and an edit of the same article failed as stale_revision though nobody sent If-Match.
 */
const ATTEMPTS = 10;

/**
 * One action over many articles for editors (reporters 403): each article goes through the same command as the single
 * action (publishArticle, unpublishArticle, updateArticle, deleteArticle: their rules, validation, revisions, search,
 * related reading and page-cache purges), in its own transaction, one after another. One article failing (wrong status,
 * gone, invalid) does not stop the others; the answer says, per article, what happened.
 */
export async function bulkArticles(ctx: Ctx, actor: Actor, req: BulkRequest): Promise<BulkOutcome[]> {
  authorize(actor, 'article.bulk');
  if (req.ids.length === 0) throw invalid('Name at least one article', 'ids', 'required');
  if (req.ids.length > BULK_MAX_IDS) throw invalid(`At most ${BULK_MAX_IDS} articles at once`, 'ids', 'too_many');
  const ids = [...new Set(req.ids)];
  const run = await prepare(ctx, actor, req);
  const outcomes: BulkOutcome[] = [];
  for (const id of ids) {
    try {
      outcomes.push({ id, ok: true, ...((await run(id)) ? {} : { unchanged: true }) });
    } catch (err) {
      // Our own failures are not the article's: they end the request (500), and a retry finds the done ones unchanged.
      if (!(err instanceof DomainError)) throw err;
      // Each step checks the account as it stands now: one disabled meanwhile can change none of the rest (401).
      if (err.kind === 'unauthorized') throw err;
      outcomes.push({ id, ok: false, error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
    }
  }
  return outcomes;
}

/** Checks what the whole request needs once (the channel, the tag); returns the step for one article: true when it changed it. */
async function prepare(ctx: Ctx, actor: Actor, req: BulkRequest): Promise<(id: number) => Promise<boolean>> {
  switch (req.action) {
    case 'publish':
      return (id) => already(ctx, actor, id, 'published', () => publishArticle(ctx, actor, id, undefined, BULK));
    case 'unpublish':
      return (id) => already(ctx, actor, id, 'unpublished', () => unpublishArticle(ctx, actor, id, undefined, BULK));
    case 'delete':
      return async (id) => {
        try {
          await deleteArticle(ctx, actor, id, undefined, BULK);
          return true;
        } catch (err) {
          // Deleted already (by an earlier try of this request, or by someone else): done.
          if (err instanceof DomainError && err.code === 'not_found' && (await ctx.store.articles.findInTrash(id))) return false;
          throw err;
        }
      };
    case 'move': {
      if (req.channel === undefined) throw invalid('Name the channel to move the articles to', 'channel', 'required');
      const channel = await ctx.store.channels.findByPath(normalizeChannelPath(req.channel));
      if (!channel) throw invalid(`No channel at path "${req.channel}"`, 'channel', 'unknown_channel');
      return (id) =>
        edit(ctx, actor, id, (a) =>
          a.channelPath === channel.path ? undefined : { changes: { channel: channel.path }, action: 'move', detail: { channel: channel.path } },
        );
    }
    case 'tag': {
      const tag = cleanLine(req.tag ?? '').replace(/^#+/, '');
      if (tag === '') throw invalid('Name the tag to add', 'tag', 'required');
      if (length(tag) > LIMITS.tag) throw invalid(`A tag must be at most ${LIMITS.tag} characters`, 'tag', 'too_long');
      return (id) => edit(ctx, actor, id, (a) => (a.tags.includes(tag) ? undefined : { changes: { tags: [...a.tags, tag] }, action: 'tag', detail: { tag } }));
    }
  }
}

/** A workflow step, or nothing when the article already is where the step leads. */
async function already(ctx: Ctx, actor: Actor, id: number, target: ArticleStatus, step: () => Promise<unknown>): Promise<boolean> {
  try {
    await step();
    return true;
  } catch (err) {
    if (err instanceof DomainError && err.code === 'invalid_transition' && (await getArticle(ctx, actor, id)).status === target) return false;
    throw err;
  }
}

type EditPlan = { changes: { channel?: string; tags?: string[] }; action: string; detail: AuditDetail } | undefined;

/**
 * An edit computed from the article as it is (its tags plus one): made against that revision, so a change landing
 * in between is never overwritten; then read again and tried anew.
 */
async function edit(ctx: Ctx, actor: Actor, id: number, plan: (a: { channelPath: string; tags: string[] }) => EditPlan): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const article = await getArticle(ctx, actor, id);
    const p = plan(article);
    if (!p) return false;
    try {
      await updateArticle(ctx, actor, id, p.changes, p.action, '', article.revision, { ...BULK, ...p.detail });
      return true;
    } catch (err) {
      if (attempt >= ATTEMPTS || !(err instanceof DomainError && err.code === 'stale_revision')) throw err;
    }
  }
}
