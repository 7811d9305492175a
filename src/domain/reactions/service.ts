import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { authorize } from '../policy.ts';
import type { Ctx } from '../context.ts';
import { hmac } from '../crypto.ts';
import { invalid, notFound } from '../errors.ts';
import type { Drift, HeldGroup } from './reaction.ts';
import type { Mood } from './moods.ts';
import { admitVoter, HOUR, limitedAddressHash } from './stuffing.ts';

export { HOUR };

export const WINDOWS = ['24h', '7d', '30d'] as const;
export type RankingWindow = (typeof WINDOWS)[number];
const WINDOW_HOURS: Record<RankingWindow, number> = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24 };

export const RANKING_LIMIT = { min: 1, max: 50, default: 10 };

export interface ReactionsView {
  counts: Record<string, number>;
  mine: string | null;
}

export interface VoteResult extends ReactionsView {
  /** The reader who voted: the given one, or a new one the caller must hand out as a cookie. */
  readerId: string;
  newReader: boolean;
}

export interface VoteInput {
  articleId: number;
  mood: string;
  /** A reader id from a verified cookie; null for a reader we have not seen (or whose cookie was forged). */
  readerId: string | null;
  /** The client's address as the web layer determined it (TRUST_PROXY decides whether proxies are believed). */
  address: string;
}

export { addressPrefix, hashed, limitedAddressHash, newReaderId } from './stuffing.ts';

const hourOf = (t: number): number => t - (t % HOUR);

function countsOf(moods: readonly Mood[], stored: Map<string, number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of moods) counts[m.key] = stored.get(m.key) ?? 0;
  return counts;
}

async function requirePublished(ctx: Ctx, articleId: number): Promise<void> {
  if ((await ctx.store.reactions.articleStatus(articleId)) !== 'published') throw notFound('Article');
}

function requireMood(moods: readonly Mood[], mood: string): void {
  if (!moods.some((m) => m.key === mood)) {
    throw invalid(`Unknown mood "${mood.slice(0, 40)}"; one of ${moods.map((m) => m.key).join(', ')}`, 'mood', 'unknown_mood');
  }
}

const RETRYABLE = new Set(['40P01', '40001']);

/** PostgreSQL may end a lock cycle by aborting one side (the vote batches retry on their own): try again. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= 5 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
      await new Promise((r) => setTimeout(r, attempt * 5));
    }
  }
}

/** Public counts of an article (every configured mood, 0 when none) and the given reader's vote. */
/** The public counts of an article the caller has just read as published (its reader page): no second look at its status. */
export async function countsOfPublished(ctx: Ctx, articleId: number): Promise<Record<string, number>> {
  return countsOf(ctx.reactions.moods, await ctx.store.reactions.counts(articleId));
}

export async function getReactions(ctx: Ctx, articleId: number, readerId?: string): Promise<ReactionsView> {
  await requirePublished(ctx, articleId);
  const [stored, mine] = await Promise.all([
    ctx.store.reactions.counts(articleId),
    readerId ? ctx.store.reactions.moodOf(articleId, readerId) : Promise.resolve(undefined),
  ]);
  const { moods } = ctx.reactions;
  return { counts: countsOf(moods, stored), mine: mine !== undefined && moods.some((m) => m.key === mine) ? mine : null };
}

/**
 * One reader's vote: the first sets it, another mood moves it, the same mood again changes nothing. Layers against
 * stuffing: new readers are capped per address and article per hour; a burst from one address prefix is held out
 * of the public counts until an editor reviews it.
 */
export async function castVote(ctx: Ctx, input: VoteInput): Promise<VoteResult> {
  const rules = ctx.reactions;
  requireMood(rules.moods, input.mood);
  const { articleId, mood } = input;
  // The article id is the subject of the caps, as it always was: counters in flight keep their meaning.
  const voter = await admitVoter(ctx, {
    subject: String(articleId),
    readerId: input.readerId,
    address: input.address,
    hasVoted: async (readerId) => (await ctx.store.reactions.moodOf(articleId, readerId)) !== undefined,
  });
  const { readerId, newReader, held, addressHash, prefixHash, at } = voter;
  const { written, counts } = await ctx.store.reactions.vote({ articleId, readerId, mood, held, addressHash, prefixHash, at });
  // Nothing written: the same mood again, or the article is not (or no longer) published.
  if (!written) await requirePublished(ctx, articleId);
  return { counts: countsOf(rules.moods, counts), mine: mood, readerId, newReader };
}

const BOT =
  /bot[/;)-]|bot$|spider|crawl|slurp|facebookexternalhit|headless|lighthouse|python|curl\/|wget|scrapy|httpclient|go-http|okhttp|java\/|axios|node-fetch|pingdom|uptime|monitor|preview/i;

/** Known bots and scripts by user agent; an empty user agent is a script too. */
export const isBot = (userAgent: string | undefined): boolean => !userAgent || userAgent.trim() === '' || BOT.test(userAgent);

export interface ViewInput {
  articleId: number;
  readerId: string | null;
  address: string;
  userAgent: string | undefined;
}

/** Counts one read per reader per article per hour, bots excluded; returns whether this read was counted. */
export async function recordView(ctx: Ctx, input: ViewInput): Promise<boolean> {
  const rules = ctx.reactions;
  await requirePublished(ctx, input.articleId);
  if (isBot(input.userAgent)) return false;
  const now = ctx.clock.now();
  // Readers without a cookie (most: only voting sets one) are told apart by address and browser.
  const viewer = input.readerId ?? `a:${hmac(rules.secret, `viewer:${input.address}|${input.userAgent ?? ''}`)}`;
  if ((await rules.hits.hit(`view:${input.articleId}:${viewer}`, HOUR, now)) > 1) return false;
  // A new browser string is a new viewer above, so one address is held to as many reads of an article an hour as it
  // may bring new voices to its moods: a script changing its user agent otherwise topped 最多阅读 from one machine.
  const cap = rules.capPerHour * 2;
  if (cap > 0 && (await rules.hits.hit(`viewcap:${input.articleId}:${limitedAddressHash(rules, input.address)}`, HOUR, now)) > cap) return false;
  await ctx.store.reactions.addView(input.articleId, hourOf(now));
  return true;
}

/** The start of a window: the current hour and the whole hours before it, `hours` in all. */
export function windowStart(now: number, window: RankingWindow): number {
  return hourOf(now) - (WINDOW_HOURS[window] - 1) * HOUR;
}

function requireWindow(window: string): asserts window is RankingWindow {
  if (!(WINDOWS as readonly string[]).includes(window)) throw invalid(`window must be one of ${WINDOWS.join(', ')}`, 'window');
}

const clampLimit = (limit: number): number =>
  Number.isFinite(limit) ? Math.min(RANKING_LIMIT.max, Math.max(RANKING_LIMIT.min, Math.trunc(limit))) : RANKING_LIMIT.default;

/** Published articles by public votes of one mood cast inside the window (新闻表情排行). */
export async function topByReactions(ctx: Ctx, q: { mood: string; window: RankingWindow; limit: number }): Promise<{ articleId: number; count: number }[]> {
  requireMood(ctx.reactions.moods, q.mood);
  requireWindow(q.window);
  return ctx.store.reactions.topByMood(q.mood, windowStart(ctx.clock.now(), q.window), clampLimit(q.limit));
}

/** Published articles by reads inside the window (最多阅读). */
export async function topByViews(ctx: Ctx, q: { window: RankingWindow; limit: number }): Promise<{ articleId: number; count: number }[]> {
  requireWindow(q.window);
  return ctx.store.reactions.topByViews(windowStart(ctx.clock.now(), q.window), clampLimit(q.limit));
}

// Reviewing held votes is an editor's call, like publishing.
const requireEditor = (actor: Actor): void => authorize(actor, 'reactions.review');

/** Held bursts awaiting review, grouped by article and (hashed) address prefix. */
export async function heldVotes(ctx: Ctx, actor: Actor, limit = 100): Promise<HeldGroup[]> {
  requireEditor(actor);
  return ctx.store.reactions.heldGroups(limit);
}

/** Counts an article's held votes in ('release') or drops them ('discard'), optionally for one prefix only. */
export async function reviewHeldVotes(
  ctx: Ctx,
  actor: Actor,
  input: { articleId: number; decision: 'release' | 'discard'; prefixHash?: string },
): Promise<number> {
  requireEditor(actor);
  return retrying(() =>
    writeActing(ctx.store, actor, async (store, acting) => {
      requireEditor(acting);
      const n = await store.reactions.decideHeld(input.articleId, input.decision === 'release', input.prefixHash);
      if (n > 0) {
        await store.history.record({
          at: ctx.clock.now(),
          actorId: actor.id,
          action: `reactions.${input.decision}`,
          subjectType: 'article',
          subjectId: input.articleId,
          detail: { votes: n, ...(input.prefixHash ? { prefix: input.prefixHash } : {}) },
        });
      }
      return n;
    }),
  );
}

/** Compares the counts with the vote rows and, unless `dryRun`, rewrites what drifted (inkstone reactions check). */
export async function checkReactionCounts(ctx: Ctx, { dryRun = false } = {}): Promise<{ drift: Drift[]; votes: number }> {
  return ctx.store.transaction((store) => store.reactions.reconcile(!dryRun));
}
