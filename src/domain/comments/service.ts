import { isIP } from 'node:net';
import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { hmac } from '../crypto.ts';
import { DomainError, conflict, invalid, notFound } from '../errors.ts';
import { maskHits } from '../moderation/matcher.ts';
import { authorize } from '../policy.ts';
import { addressPrefix, hashed, limitedAddressHash, newReaderId } from '../reactions/service.ts';
import type { Store } from '../store.ts';
import { length } from '../text.ts';
import type { Comment, CommentBan, CommentStatus, ModerationMode, QueuedComment } from './comment.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const COMMENT_LIMITS = {
  bodyChars: 500,
  nicknameChars: 20,
  replyChars: 500,
  /** Comments one reader (cookie) may post in ten minutes. */
  perReader: 5,
  /** Comments one address may post in an hour, whatever cookies it sends. */
  perAddress: 30,
  /**
   * A post repeated (same reader, article, nickname and text) within this time is the same comment: a retry. Without a
   * reader cookie the same words from the same address are refused (409 `duplicate_comment`) for this time.
   */
  retryWindowMs: 10 * MINUTE,
  /** Approved comments shown under an article (the rest through the API's cursor). */
  page: 50,
};

export const DEFAULT_NICKNAME = '网友';

/**
 * Plain text of a comment: control characters out (newlines kept, at most two in a row), trimmed. Bidi embeddings,
 * overrides and isolates go too: plain text needs none (browsers lay out right-to-left script by themselves), and an
 * unclosed U+202E in a nickname turned the rest of its line (the time beside it) around on the page and in the queue.
 */
export function commentText(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u2028\u2029]/g, ' ')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Text that shows nothing: spaces and characters drawn as nothing (zero-width spaces, joiners, soft hyphens, fillers). */
const invisible = (text: string): boolean => /^[\s\p{Default_Ignorable_Code_Point}]*$/u.test(text);

function nicknameOf(value: string | undefined): string {
  const nickname = commentText(value ?? '').replace(/\s+/g, ' ');
  if (length(nickname) > COMMENT_LIMITS.nicknameChars) throw invalid(`nickname is at most ${COMMENT_LIMITS.nicknameChars} characters`, 'nickname', 'too_long');
  return invisible(nickname) ? DEFAULT_NICKNAME : nickname;
}

function bodyOf(value: string, field = 'body', max = COMMENT_LIMITS.bodyChars): string {
  const body = commentText(value);
  if (invisible(body)) throw invalid(`${field} must not be empty`, field, 'required');
  if (length(body) > max) throw invalid(`${field} is at most ${max} characters`, field, 'too_long');
  return body;
}

/** The address block a prefix ban names: IPv4 /24, IPv6 /48. */
export const banPrefix = (address: string): string => addressPrefix(address, 3);

export interface PostInput {
  articleId: number;
  nickname?: string;
  body: string;
  /** From a verified reader cookie; null for a reader we have not seen. */
  readerId: string | null;
  address: string;
}

export type PostResult = {
  comment: Comment;
  /** The same post again within the retry window: nothing new was written. */
  repeated: boolean;
} & ({ newReader: true /** to hand out as a cookie */; readerId: string } | { newReader: false; readerId: string | null });

const throttled = (message: string, now: number, windowMs: number) =>
  new DomainError('throttled', 'too_many_comments', message, undefined, Math.max(1, Math.ceil((windowMs - (now % windowMs)) / 1000)));

/**
 * The article a reader's comment goes under, or why it may not: it is not published (or is in the 回收站), or the
 * reader or their address block is banned. `held`, inside the transaction that inserts the comment: read so that an
 * unpublish, a move or a ban being written meanwhile waits for the comment to commit, or the comment for it (and then
 * sees it).
 */
async function admitted(store: Store, input: PostInput, prefixHash: string, held: boolean): Promise<{ channelId: number }> {
  const article = held ? await store.comments.holdArticle(input.articleId) : await store.comments.articleOf(input.articleId);
  if (article?.status !== 'published') throw notFound('Article');
  if (held) await store.comments.holdBans(input.readerId, prefixHash);
  if (await store.comments.isBanned(input.readerId, prefixHash)) {
    throw new DomainError('forbidden', 'comment_banned', 'Comments from this reader or network are not accepted');
  }
  return article;
}

/**
 * Inside the comment's transaction: the moderation mode of the article's channel, which cannot change until the
 * comment commits (a change waits for it, or it waits for the change and reads the new mode).
 */
async function heldModeration(store: Store, channelId: number): Promise<ModerationMode> {
  await store.comments.holdChannel(channelId);
  return moderationOf(store, channelId);
}

/** Whether the article's channel (or the nearest parent with a setting) shows comments before review. */
async function moderationOf(store: Store, channelId: number): Promise<ModerationMode> {
  const settings = new Map((await store.comments.settings()).map((s) => [s.channelId, s.moderation]));
  if (settings.size === 0) return 'pre';
  for (let id: number | null = channelId, hops = 0; id !== null && hops < 20; hops++) {
    const mode = settings.get(id);
    if (mode) return mode;
    id = (await store.channels.findById(id))?.parentId ?? null;
  }
  return 'pre';
}

/**
 * A reader's comment: checked (plain text, ≤ 500 characters), refused for a banned reader or address block, screened
 * against the sensitive-word list (a block word refuses it, mask words become ＊, a review word holds it for review
 * even in a post-moderated channel), limited per reader and per address, and kept pending unless the channel is
 * post-moderated. The same reader's same post again within ten minutes (a retry) is the comment already made; the
 * same words from the same address without a reader cookie are refused for that time (see the retry check).
 */
export async function postComment(ctx: Ctx, input: PostInput): Promise<PostResult> {
  const rules = ctx.reactions;
  let nickname = nicknameOf(input.nickname);
  let body = bodyOf(input.body);
  const now = ctx.clock.now();
  const addressHash = hashed(rules, `address:${input.address}`);
  const prefixHash = hashed(rules, `ban-prefix:${banPrefix(input.address)}`);

  // Refused before any limit counts the post; checked again, held, in the transaction that inserts it.
  await admitted(ctx.store, input, prefixHash, false);

  // The list as this process has it now (see WordListCache): a word changed while the comment is on its way may or
  // may not apply to it, as if the comment had come a moment earlier or later; screening under a lock would make every
  // comment wait for every change of the list.
  const matcher = await ctx.wordList.get(ctx.store);
  const screened = [matcher.screen(nickname), matcher.screen(body)];
  if (screened.some((s) => s.verdict === 'block')) {
    throw invalid('The comment contains words this site does not publish', 'body', 'comment_blocked');
  }
  nickname = maskHits(nickname, screened[0]!.hits);
  body = maskHits(body, screened[1]!.hits);
  const flags = [...new Set(screened.flatMap((s) => s.hits.filter((h) => h.action === 'review').map((h) => h.word)))];

  // A retry is recognised before any limit counts it. A reader with a cookie retries as that reader: the same words
  // again are their comment (a double submit, a resend), and only theirs. Without a cookie nothing tells a sender from
  // another reader at the same address (a retry whose answer and cookie were lost, a colleague behind the office's NAT,
  // a bot repeating one text), so the same words from that address are refused for the retry window: handing back the
  // comment would hand one reader another's.
  const addressKey = hmac(rules.secret, `comment:${input.articleId}|${addressHash}|${nickname}|${body}`);
  const dedupeKey = input.readerId ? hmac(rules.secret, `comment-reader:${input.articleId}|${input.readerId}|${nickname}|${body}`) : addressKey;
  const repeated = await findRetry(ctx, dedupeKey, now);
  if (repeated && input.readerId) return repeatOf(repeated, input.readerId);
  if (repeated) throw duplicateFromAddress();
  if (input.readerId) {
    // The reader's first post came without a cookie (it handed them theirs): it holds the address's key.
    const first = await findRetry(ctx, addressKey, now);
    if (first?.readerId === input.readerId) return repeatOf(first, input.readerId);
  }

  // Cookies handed to one address are capped as for votes, so clearing cookies buys no fresh per-reader limit.
  const limited = limitedAddressHash(rules, input.address);
  if (!input.readerId && rules.newReadersPerHour > 0 && (await rules.hits.hit(`mint:${limited}`, HOUR, now)) > rules.newReadersPerHour) {
    throw throttled('Too many new readers from this address; try again later', now, HOUR);
  }
  const readerId = input.readerId ?? newReaderId();
  if ((await rules.hits.hit(`comment:reader:${readerId}`, 10 * MINUTE, now)) > COMMENT_LIMITS.perReader) {
    throw throttled('Too many comments from this reader; try again in a few minutes', now, 10 * MINUTE);
  }
  if ((await rules.hits.hit(`comment:address:${limited}`, HOUR, now)) > COMMENT_LIMITS.perAddress) {
    throw throttled('Too many comments from this address; try again later', now, HOUR);
  }

  const comment = await ctx.store.transaction(async (store): Promise<{ found: Comment } | { made: Comment }> => {
    // The article's status, the bans and the channel's mode as they stand until this commits: a comment never lands
    // under rules changed while it was on its way (approved after its channel turned to 先审后发, under an article
    // taken down, from a reader banned meanwhile).
    const article = await admitted(store, input, prefixHash, true);
    const mode = flags.length > 0 ? 'pre' : await heldModeration(store, article.channelId);
    const status: CommentStatus = mode === 'post' ? 'approved' : 'pending';
    const row = { articleId: input.articleId, nickname, body, status, readerId, addressHash, prefixHash, flags, dedupeKey, createdAt: now };
    let inserted = await store.comments.insert(row);
    if ('existing' in inserted) {
      // Another request with the same key won the insert (a double submit): with a cookie, the same reader's, so that
      // comment is this one; without, anyone's at this address.
      if (inserted.createdAt >= now - COMMENT_LIMITS.retryWindowMs) {
        if (!input.readerId) throw duplicateFromAddress();
        return { found: (await store.comments.find(inserted.existing))! };
      }
      await store.comments.releaseDedupeKey(inserted.existing);
      inserted = await store.comments.insert(row);
      if ('existing' in inserted) throw conflict('concurrent_change', 'The same comment is being posted at this moment');
    }
    if (status === 'approved') announceComments(ctx, store, input.articleId);
    return { made: (await store.comments.find(inserted.id))! };
  });
  if ('found' in comment) return repeatOf(comment.found, readerId);
  return { comment: comment.made, readerId, newReader: input.readerId === null, repeated: false };
}

/** The answer to a reader's own post again: their comment, and no new cookie (they hold theirs). */
function repeatOf(comment: Comment, readerId: string): PostResult {
  return { comment, readerId, newReader: false, repeated: true };
}

const duplicateFromAddress = () => conflict('duplicate_comment', 'The same comment was posted from this address a moment ago; it is not posted twice');

async function findRetry(ctx: Ctx, dedupeKey: string, now: number): Promise<Comment | undefined> {
  const existing = await ctx.store.comments.findByDedupeKey(dedupeKey);
  if (!existing || existing.createdAt < now - COMMENT_LIMITS.retryWindowMs) return undefined;
  return existing;
}

function announceComments(ctx: Ctx, store: Store, articleId: number): void {
  announce(ctx, store, { kind: 'comments', id: articleId });
}

/** An article's approved comments, newest first (the reader page and the public API). */
export async function publicComments(
  ctx: Ctx,
  articleId: number,
  options: { before?: number; limit?: number } = {},
): Promise<{ items: Comment[]; total: number }> {
  const article = await ctx.store.comments.articleOf(articleId);
  if (article?.status !== 'published') throw notFound('Article');
  return commentsOfPublished(ctx, articleId, options);
}

/** publicComments for a caller that has just read the article as published (its page): the article is not read again. */
export async function commentsOfPublished(
  ctx: Ctx,
  articleId: number,
  options: { before?: number; limit?: number } = {},
): Promise<{ items: Comment[]; total: number }> {
  const limit = Math.min(100, Math.max(1, options.limit ?? COMMENT_LIMITS.page));
  if (options.before !== undefined) {
    const [items, total] = await Promise.all([ctx.store.comments.approved(articleId, limit, options.before), ctx.store.comments.countApproved(articleId)]);
    return { items, total };
  }
  const items = await ctx.store.comments.approved(articleId, limit);
  // A first page with room to spare holds every approved comment, which most articles' does: nothing left to count.
  return { items, total: items.length < limit ? items.length : await ctx.store.comments.countApproved(articleId) };
}

/** The comments the reader has liked among these (for the page's script: the page itself is the same for everyone). */
export async function likedComments(ctx: Ctx, readerId: string | null, ids: readonly number[]): Promise<number[]> {
  if (!readerId || ids.length === 0) return [];
  return ctx.store.comments.likedBy(readerId, ids);
}

export interface LikeResult {
  likes: number;
  added: boolean;
  readerId: string;
  newReader: boolean;
}

/**
 * One like per reader per comment (a second is no change); approved comments under a published article only (its
 * comments leave the site with it). New readers are capped as for votes.
 */
export async function likeComment(ctx: Ctx, input: { commentId: number; readerId: string | null; address: string }): Promise<LikeResult> {
  const rules = ctx.reactions;
  // Refused before a new reader counts; checked again, held, where the like is written.
  await likeable(ctx.store, input.commentId, false);
  const now = ctx.clock.now();
  if (!input.readerId && rules.newReadersPerHour > 0) {
    if ((await rules.hits.hit(`mint:${limitedAddressHash(rules, input.address)}`, HOUR, now)) > rules.newReadersPerHour) {
      throw throttled('Too many new readers from this address; try again later', now, HOUR);
    }
  }
  const readerId = input.readerId ?? newReaderId();
  const { added, likes } = await ctx.store.transaction(async (store) => {
    await likeable(store, input.commentId, true);
    return store.comments.like(input.commentId, readerId, now);
  });
  return { likes, added, readerId, newReader: input.readerId === null };
}

/**
 * Refuses a like of a comment not shown: not approved, or under an article not published. `held`, inside the
 * transaction that writes the like: a removal of the comment or a takedown of its article waits for it, or it for them.
 */
async function likeable(store: Store, commentId: number, held: boolean): Promise<void> {
  const comment = held ? await store.comments.holdComment(commentId) : await store.comments.find(commentId);
  if (comment?.status !== 'approved') throw notFound('Comment');
  const article = held ? await store.comments.holdArticle(comment.articleId) : await store.comments.articleOf(comment.articleId);
  if (article?.status !== 'published') throw notFound('Comment');
}

// ——— The newsroom ———

export async function commentQueue(
  ctx: Ctx,
  actor: Actor,
  query: { status: CommentStatus; articleId?: number; after?: number; limit?: number },
): Promise<{ items: QueuedComment[]; counts: Record<CommentStatus, number> }> {
  authorize(actor, 'comments.moderate');
  const limit = Math.min(100, Math.max(1, query.limit ?? 50));
  const [items, counts] = await Promise.all([ctx.store.comments.queue({ ...query, limit }), ctx.store.comments.countByStatus()]);
  return { items, counts };
}

async function requireComment(store: Store, id: number): Promise<Comment> {
  const comment = await store.comments.find(id);
  if (!comment) throw notFound('Comment');
  return comment;
}

const FROM: Record<'approve' | 'reject', readonly CommentStatus[]> = { approve: ['pending'], reject: ['pending', 'approved'] };
const TO: Record<'approve' | 'reject', CommentStatus> = { approve: 'approved', reject: 'rejected' };

/**
 * Approves a pending comment or rejects (removes) a pending or approved one: a compare-and-set on its status, so of
 * two moderators acting at once one decides; the other is told what happened (the same decision again is no change,
 * a different one a 409 with the comment's state).
 */
export async function decideComment(ctx: Ctx, actor: Actor, id: number, decision: 'approve' | 'reject'): Promise<Comment> {
  authorize(actor, 'comments.moderate');
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.moderate');
    const before = await requireComment(store, id);
    const at = ctx.clock.now();
    if (!(await store.comments.decide(id, FROM[decision], TO[decision], actor.id, at))) {
      const now = await requireComment(store, id);
      if (now.status === TO[decision]) return now;
      throw new DomainError('conflict', 'comment_decided', `The comment was already ${now.status}`, undefined, undefined, { status: now.status });
    }
    await store.history.record({
      at,
      actorId: actor.id,
      action: `comment.${decision}`,
      subjectType: 'article',
      subjectId: before.articleId,
      detail: { comment: id, nickname: before.nickname, excerpt: [...before.body].slice(0, 40).join('') },
    });
    // Readers see a change when the comment comes into view or leaves it.
    if (decision === 'approve' || before.status === 'approved') announceComments(ctx, store, before.articleId);
    return (await store.comments.find(id))!;
  });
}

/** The newsroom's answer under a comment (官方回复); an empty text takes it away. */
export async function replyToComment(ctx: Ctx, actor: Actor, id: number, text: string): Promise<Comment> {
  authorize(actor, 'comments.moderate');
  const reply = invisible(commentText(text)) ? null : bodyOf(text, 'reply', COMMENT_LIMITS.replyChars);
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.moderate');
    const before = await requireComment(store, id);
    const at = ctx.clock.now();
    await store.comments.setReply(id, reply, actor.id, at);
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'comment.reply',
      subjectType: 'article',
      subjectId: before.articleId,
      detail: { comment: id, nickname: before.nickname, reply: reply === null ? null : [...reply].slice(0, 80).join('') },
    });
    if (before.status === 'approved') announceComments(ctx, store, before.articleId);
    return (await store.comments.find(id))!;
  });
}

export type BanInput = { commentId: number; kind: 'reader' | 'prefix' } | { prefix: string };

/** An address or block as typed (203.0.113.7, 203.0.113.0/24, 2001:db8:1::/48) → its ban prefix. */
export function typedPrefix(value: string): string {
  const address = value.trim().replace(/\/\d{1,3}$/, '');
  if (isIP(address) === 0) throw invalid('prefix must be an IPv4 or IPv6 address or block, such as 203.0.113.0/24', 'prefix');
  return banPrefix(address);
}

/**
 * Bans a reader (their cookie) or an address block (IPv4 /24, IPv6 /48) from commenting, from one of their comments
 * or by a typed block. Addresses are never stored: the block is kept as its HMAC, and the note says what it was.
 */
export async function banCommenter(ctx: Ctx, actor: Actor, input: BanInput): Promise<CommentBan> {
  authorize(actor, 'comments.moderate');
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.moderate');
    const at = ctx.clock.now();
    let ban: Omit<CommentBan, 'id'>;
    if ('prefix' in input) {
      const prefix = typedPrefix(input.prefix);
      ban = { kind: 'prefix', value: hashed(ctx.reactions, `ban-prefix:${prefix}`), note: prefix, commentId: null, createdBy: actor.id, createdAt: at };
    } else {
      const comment = await requireComment(store, input.commentId);
      const note = `${comment.nickname}：${[...comment.body].slice(0, 30).join('')}`;
      ban =
        input.kind === 'reader'
          ? { kind: 'reader', value: comment.readerId, note, commentId: comment.id, createdBy: actor.id, createdAt: at }
          : { kind: 'prefix', value: comment.prefixHash, note, commentId: comment.id, createdBy: actor.id, createdAt: at };
    }
    const made = await store.comments.addBan(ban);
    if (!made) throw conflict('already_banned', 'This reader or block is already banned');
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'comment.ban',
      subjectType: 'comment_ban',
      subjectId: made.id,
      detail: { kind: made.kind, note: made.note, comment: made.commentId },
    });
    return made;
  });
}

export async function liftBan(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  authorize(actor, 'comments.moderate');
  await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.moderate');
    const gone = await store.comments.removeBan(id);
    if (!gone) throw notFound('Ban');
    await store.history.record({
      at: ctx.clock.now(),
      actorId: actor.id,
      action: 'comment.unban',
      subjectType: 'comment_ban',
      subjectId: id,
      detail: { kind: gone.kind, note: gone.note },
    });
  });
}

export async function listBans(ctx: Ctx, actor: Actor): Promise<CommentBan[]> {
  authorize(actor, 'comments.moderate');
  return ctx.store.comments.bans();
}

export async function commentSettings(ctx: Ctx, actor: Actor): Promise<{ channelId: number; moderation: ModerationMode }[]> {
  authorize(actor, 'comments.moderate');
  return ctx.store.comments.settings();
}

/** Sets a channel (and the subchannels without their own setting) to pre- or post-moderation. Admins. */
export async function setChannelModeration(ctx: Ctx, actor: Actor, channelId: number, moderation: ModerationMode): Promise<void> {
  authorize(actor, 'comments.configure');
  await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.configure');
    if (!(await store.channels.findById(channelId))) throw invalid(`No channel ${channelId}`, 'channelId', 'unknown_channel');
    const at = ctx.clock.now();
    await store.comments.setModeration(channelId, moderation, actor.id, at);
    await store.history.record({ at, actorId: actor.id, action: 'comment.settings', subjectType: 'channel', subjectId: channelId, detail: { moderation } });
  });
}
