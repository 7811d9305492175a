import type { Actor } from '../../domain/accounts/roles.ts';
import type { Comment, CommentBan, QueuedComment } from '../../domain/comments/comment.ts';
import type { SensitiveWord } from '../../domain/moderation/word.ts';
import { can } from '../../domain/policy.ts';

const iso = (t: number): string => new Date(t).toISOString();

/** What readers see of a comment: never its reader id, address hashes or review flags. */
export function commentPublic(c: Comment) {
  return {
    id: c.id,
    nickname: c.nickname,
    body: c.body,
    createdAt: iso(c.createdAt),
    likes: c.likes,
    reply: c.reply === null ? null : { body: c.reply, at: iso(c.replyAt ?? c.createdAt) },
  };
}

/** A reader's own comment just posted: whether it shows now or waits for review. */
export function commentPosted(c: Comment) {
  return { ...commentPublic(c), status: c.status === 'approved' ? ('approved' as const) : ('pending' as const) };
}

/** A comment in the newsroom's queue, with what the moderator may do. */
export function commentNewsroom(c: Comment | QueuedComment, actor: Actor) {
  const moderate = can(actor, 'comments.moderate');
  return {
    ...commentPublic(c),
    articleId: c.articleId,
    articleTitle: 'articleTitle' in c ? c.articleTitle : null,
    status: c.status,
    flags: c.flags,
    decidedAt: c.decidedAt === null ? null : iso(c.decidedAt),
    abilities: {
      approve: moderate && c.status === 'pending',
      reject: moderate && c.status !== 'rejected',
      reply: moderate,
      ban: moderate,
    },
  };
}

export function banOut(b: CommentBan) {
  return { id: b.id, kind: b.kind, note: b.note, commentId: b.commentId, createdAt: iso(b.createdAt) };
}

export function sensitiveWordOut(w: SensitiveWord) {
  return { id: w.id, word: w.word, action: w.action, updatedAt: iso(w.updatedAt) };
}
