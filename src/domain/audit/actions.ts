/**
 * The audit log's actions, in the groups the newsroom filters by (谁 做了 什么): every action the code records belongs
 * to one group (test/unit/audit-sentences.test.ts reads the code to make sure).
 */
export const AUDIT_GROUPS = {
  writing: ['article.create', 'article.import', 'article.edit', 'article.restore', 'article.move', 'article.tag'],
  review: ['article.submit', 'article.return'],
  publishing: ['article.publish', 'article.schedule', 'article.unpublish'],
  deletion: ['article.delete', 'article.undelete', 'article.purge'],
  curation: [
    'article.related',
    'channel.create',
    'channel.update',
    'topic.create',
    'topic.update',
    'slot.set',
    'source.create',
    'source.update',
    'synonym.create',
    'synonym.update',
    'synonym.delete',
  ],
  media: ['media.upload', 'media.edit', 'media.delete'],
  reactions: ['reactions.release', 'reactions.discard', 'poll.create', 'poll.update', 'poll.close', 'poll.release', 'poll.discard'],
  comments: [
    'comment.approve',
    'comment.reject',
    'comment.reply',
    'comment.ban',
    'comment.unban',
    'comment.settings',
    'moderation.add',
    'moderation.import',
    'moderation.update',
    'moderation.delete',
  ],
  live: ['live.open', 'live.close', 'live.entry.create', 'live.entry.update', 'live.entry.delete'],
  accounts: ['account.create', 'account.update', 'account.password', 'account.password_reset', 'account.login_attack', 'token.create', 'token.revoke'],
  sessions: ['session.create', 'session.delete', 'session.delete_all'],
} as const satisfies Record<string, readonly string[]>;

export type AuditGroup = keyof typeof AUDIT_GROUPS;
export type KnownAuditAction = (typeof AUDIT_GROUPS)[AuditGroup][number];

export const AUDIT_GROUP_NAMES = Object.keys(AUDIT_GROUPS) as AuditGroup[];
