import { isIPv4, isIPv6 } from 'node:net';
import type { Actor } from '../accounts/roles.ts';
import { authorize } from '../policy.ts';
import type { Ctx } from '../context.ts';
import { hmac, randomToken } from '../crypto.ts';
import { DomainError, invalid, notFound } from '../errors.ts';
import type { Drift, HeldGroup } from './reaction.ts';
import type { Mood } from './moods.ts';
import type { ReactionRules } from './rules.ts';

export const HOUR = 3_600_000;
const MINUTE = 60_000;

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

export const newReaderId = (): string => randomToken(16);

// Addresses are never stored in the clear, only HMACed with the secret (`address:…`, `prefix:…`).
// A reader votes from the same address again and again: recent hashes are kept instead of recomputed.
const recentHashes = new WeakMap<ReactionRules, Map<string, string>>();
const RECENT_HASHES = 10_000;

/** An address (or prefix, or other key) HMACed with the secret; recent ones kept. Comments use it too. */
export function hashed(rules: ReactionRules, input: string): string {
  let recent = recentHashes.get(rules);
  if (!recent) recentHashes.set(rules, (recent = new Map()));
  let hash = recent.get(input);
  if (hash === undefined) {
    if (recent.size >= RECENT_HASHES) recent.clear();
    recent.set(input, (hash = hmac(rules.secret, input)));
  }
  return hash;
}

/**
 * The /24 of an IPv4 address or the /64 of an IPv6 one: what one household, office or host usually holds. Comment
 * bans name a wider IPv6 block (`v6Groups` 3: a /48, a site's usual allocation).
 */
export function addressPrefix(address: string, v6Groups = 4): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped ? mapped[1]! : address;
  if (isIPv4(v4)) return v4.split('.').slice(0, 3).join('.') + '.0/24';
  if (isIPv6(address)) return expandIPv6(address).slice(0, v6Groups).join(':') + `::/${v6Groups * 16}`;
  return address;
}

function expandIPv6(address: string): string[] {
  const bare = address.split('%')[0]!;
  const [head, tail] = bare.includes('::') ? (bare.split('::') as [string, string]) : [bare, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...fill, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

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
  const { articleId, mood, address } = input;
  const now = ctx.clock.now();
  const addrHash = hashed(rules, `address:${address}`);
  const newReader = input.readerId === null;
  const over = async (key: string, cap: number) => cap > 0 && (await rules.hits.hit(key, HOUR, now)) > cap;
  const refuse = () => {
    const retryAfter = Math.max(1, Math.ceil((hourOf(now) + HOUR - now) / 1000));
    return new DomainError('throttled', 'too_many_votes', '该地址本小时投票过多，请稍后再试', undefined, retryAfter);
  };
  // A reader without a cookie is indistinguishable from a stuffer clearing theirs: cap them per address and article,
  // and cap the cookies one address collects, so that they cannot be replayed by the hundred afterwards.
  if (newReader && (await over(`cap:${articleId}:${addrHash}`, rules.capPerHour))) throw refuse();
  if (newReader && (await over(`mint:${addrHash}`, rules.newReadersPerHour))) throw refuse();
  // Every new voice on the article from this address counts, cookie or not; a reader changing their mood does not.
  const changing = !newReader && (await ctx.store.reactions.moodOf(articleId, input.readerId!)) !== undefined;
  if (!changing && (await over(`all:${articleId}:${addrHash}`, rules.capPerHour * 2))) throw refuse();
  const readerId = input.readerId ?? newReaderId();
  const prefixHash = hashed(rules, `prefix:${addressPrefix(address)}`);
  const burst = rules.burstPerMinute > 0 && (await rules.hits.hit(`burst:${articleId}:${prefixHash}`, MINUTE, now)) > rules.burstPerMinute;
  const { written, counts } = await ctx.store.reactions.vote({ articleId, readerId, mood, held: burst, addressHash: addrHash, prefixHash, at: now });
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
    ctx.store.transaction(async (store) => {
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
