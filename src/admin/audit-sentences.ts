import type { AuditEvent, AuditGroup, KnownAuditAction } from '../shared/api.ts';

/**
 * The audit log as Chinese sentences (王斌 于 12月2日 10:31 发布了《……》): one entry per action the code records
 * (the type makes a missing one an error), and a plain sentence for any other, so no event is ever hidden.
 */

/** A piece of a sentence: text, or a name that links to what it names. */
export type Piece = string | { text: string; href?: string };

interface Parts {
  /** 《title》 of the article the event is about, linked to it. */
  article: Piece;
  /** The subject's name: an account's username, a channel's path, a file's name… */
  name: string;
  detail: Record<string, unknown>;
  /** "批量" for one of many done at once. */
  bulk: string;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const words = (v: unknown): string => (Array.isArray(v) ? v.map(text).join('、') : text(v));
const ROLE: Record<string, string> = { reporter: '记者', editor: '编辑', admin: '管理员' };
const SLOT: Record<string, string> = { focus: '视觉焦点', headline: '头条' };

const SENTENCES: Record<KnownAuditAction, (p: Parts) => Piece[]> = {
  'article.create': (p) => ['新建了稿件', p.article],
  'article.import': (p) => ['导入了稿件', p.article],
  'article.edit': (p) => ['修改了', p.article],
  'article.restore': (p) => ['把', p.article, '恢复为旧版本'],
  'article.move': (p) => [`${p.bulk}把`, p.article, `移到频道 ${text(p.detail.channel)}`],
  'article.tag': (p) => [`${p.bulk}给`, p.article, `加上标签“${text(p.detail.tag)}”`],
  'article.submit': (p) => ['把', p.article, '提交审核'],
  'article.return': (p) => ['把', p.article, `退回修改${text(p.detail.note) ? `：“${text(p.detail.note)}”` : ''}`],
  'article.publish': (p) => [`${p.bulk}发布了`, p.article],
  'article.schedule': (p) => ['把', p.article, '设为定时发布'],
  'article.unpublish': (p) => [`${p.bulk}撤下了`, p.article],
  'article.delete': (p) => [`${p.bulk}删除了`, p.article, '（移入回收站）'],
  'article.undelete': (p) => [`从回收站${p.bulk}恢复了`, p.article],
  'article.purge': (p) => [`${p.bulk}永久清除了`, p.article],
  'article.related': (p) => ['调整了', p.article, '的相关阅读'],
  'channel.create': (p) => [`新建了频道 ${text(p.detail.path) || p.name}`],
  'channel.update': (p) => [`修改了频道 ${text(p.detail.path) || p.name}`],
  'topic.create': (p) => [`新建了专题 ${text(p.detail.slug) || p.name}`],
  'topic.update': (p) => [`修改了专题 ${text(p.detail.slug) || p.name}`],
  'slot.set': (p) => [`设置了首页${SLOT[p.name] ?? p.name}推荐位`],
  'source.create': (p) => [`新增了来源“${text(p.detail.name) || p.name}”`],
  'source.update': (p) => [`修改了来源“${text(p.detail.name) || p.name}”`],
  'synonym.create': (p) => [`新增了搜索同义词“${words(p.detail.words)}”`],
  'synonym.update': (p) => [`把搜索同义词“${words(p.detail.before)}”改为“${words(p.detail.words)}”`],
  'synonym.delete': (p) => [`删除了搜索同义词“${words(p.detail.words)}”`],
  'media.upload': (p) => [`上传了图片 ${text(p.detail.name) || p.name}`],
  'media.edit': (p) => [`修改了图片 #${p.name} 的${mediaFields(p.detail)}`],
  'media.delete': (p) => [`删除了图片 ${text(p.detail.name) || p.name}`],
  'reactions.release': (p) => ['放行了', p.article, `被拦下的 ${text(p.detail.votes) || '若干'} 个心情投票`],
  'reactions.discard': (p) => ['作废了', p.article, `被拦下的 ${text(p.detail.votes) || '若干'} 个心情投票`],
  'poll.create': (p) => [{ text: `新建了投票“${text(p.detail.question) || p.name}”`, href: `/admin/polls/${p.name}` }],
  'poll.update': (p) => [{ text: `修改了投票“${text(p.detail.question) || p.name}”`, href: `/admin/polls/${p.name}` }],
  'poll.close': (p) => [{ text: `截止了投票“${text(p.detail.question) || p.name}”`, href: `/admin/polls/${p.name}` }],
  'poll.release': (p) => [`放行了投票 #${p.name} 被拦下的 ${text(p.detail.votes) || '若干'} 张选票`],
  'poll.discard': (p) => [`作废了投票 #${p.name} 被拦下的 ${text(p.detail.votes) || '若干'} 张选票`],
  'comment.approve': (p) => [`通过了${text(p.detail.nickname)}在`, p.article, '下的留言'],
  'comment.reject': (p) => [`删除了${text(p.detail.nickname)}在`, p.article, '下的留言'],
  'comment.reply': (p) => [`回复了${text(p.detail.nickname)}在`, p.article, '下的留言'],
  'comment.ban': (p) => [`禁止${p.detail.kind === 'prefix' ? '网段' : '读者'}留言（${text(p.detail.note)}）`],
  'comment.unban': (p) => [`解除了${p.detail.kind === 'prefix' ? '网段' : '读者'}的留言禁令（${text(p.detail.note)}）`],
  'comment.settings': (p) => [`把频道 ${p.name} 的留言设为${p.detail.moderation === 'post' ? '先发后审' : '先审后发'}`],
  'moderation.add': (p) => [`添加了敏感词“${words(p.detail.words)}”`],
  'moderation.import': (p) => [`导入了敏感词表（新增 ${text(p.detail.added) || 0} 个，更新 ${text(p.detail.updated) || 0} 个）`],
  'moderation.update': (p) => [`把敏感词“${text(p.detail.before)}”改为“${text(p.detail.word)}”`],
  'moderation.delete': (p) => [`删除了敏感词“${text(p.detail.word)}”`],
  'account.create': (p) => [`新建了账号 ${text(p.detail.username) || p.name}${ROLE[text(p.detail.role)] ? `（${ROLE[text(p.detail.role)]}）` : ''}`],
  'account.update': (p) => [`修改了账号 ${text(p.detail.username) || p.name}${accountChanges(p.detail)}`],
  'account.password': () => ['修改了自己的密码'],
  'account.password_reset': (p) => [`重置了账号 ${text(p.detail.username) || p.name} 的密码`],
  'account.login_attack': (p) => [
    `发现账号 ${text(p.detail.username) || p.name} 在 ${text(p.detail.windowMinutes) || '60'} 分钟内被多个地址猜错密码 ${text(p.detail.failures)} 次，已对其登录减速`,
  ],
  'token.create': (p) => [`为账号 ${p.name} 创建了 API 令牌“${text(p.detail.name)}”`],
  'token.revoke': (p) => [`撤销了 API 令牌 #${p.name}`],
  'session.create': () => ['登录了编辑部'],
  'session.delete': () => ['退出了登录'],
  'session.delete_all': () => ['退出了所有设备上的登录'],
  'live.open': (p) => ['开启了', p.article, '的图文直播'],
  'live.close': (p) => ['结束了', p.article, '的图文直播'],
  'live.entry.create': (p) => ['在', p.article, `的直播中发布了一条消息${text(p.detail.text) ? `：“${text(p.detail.text)}”` : ''}`],
  'live.entry.update': (p) => ['修改了', p.article, `的一条直播消息${text(p.detail.text) ? `：“${text(p.detail.text)}”` : ''}`],
  'live.entry.delete': (p) => ['删除了', p.article, `的一条直播消息${text(p.detail.text) ? `：“${text(p.detail.text)}”` : ''}`],
};

function mediaFields(d: Record<string, unknown>): string {
  const names: Record<string, string> = { caption: '说明', alt: '替代文字', credit: '署名' };
  const changed = Object.keys(d)
    .map((k) => names[k])
    .filter(Boolean);
  return changed.length ? changed.join('、') : '信息';
}

function accountChanges(d: Record<string, unknown>): string {
  const changes: string[] = [];
  const role = d.role as { from?: string; to?: string } | undefined;
  if (role?.to) changes.push(`角色改为${ROLE[role.to] ?? role.to}`);
  if (d.disabled === true) changes.push('停用');
  if (d.disabled === false) changes.push('启用');
  if (typeof d.displayName === 'string') changes.push(`显示名改为“${d.displayName}”`);
  return changes.length ? `：${changes.join('，')}` : '';
}

/** The actions of each group, in the newsroom's words, for the log's 操作 filter. */
export const GROUP_LABELS: Record<AuditGroup, string> = {
  writing: '写稿与修改',
  review: '送审与退回',
  publishing: '发布与撤稿',
  deletion: '删除与恢复',
  curation: '频道、专题与推荐',
  media: '图片',
  reactions: '心情投票审核',
  comments: '留言审核与敏感词',
  accounts: '账号与令牌',
  sessions: '登录与退出',
  live: '图文直播',
};

/** Who did it: the display name, else the username; 系统 for the scheduler and the server's own safeguards. */
export function auditActor(e: AuditEvent): string {
  return e.actorName || e.actor || '系统';
}

/** What the event says after who and when: 发布了《标题》. */
export function auditPredicate(e: AuditEvent): Piece[] {
  const title = e.subjectName ? `《${e.subjectName}》` : `稿件 #${e.subjectId}`;
  const parts: Parts = {
    article: e.subjectType === 'article' ? { text: title, href: `/admin/articles/${e.subjectId}` } : title,
    name: e.subjectName ?? e.subjectId,
    detail: e.detail,
    bulk: e.detail.bulk === true ? '批量' : '',
  };
  const sentence = (SENTENCES as Record<string, ((p: Parts) => Piece[]) | undefined>)[e.action];
  if (sentence) return sentence(parts);
  // An action this table does not know yet: still shown, in plain words, with its name and subject.
  return [`执行了操作 ${e.action}${parts.bulk ? '（批量）' : ''}，对象：`, e.subjectType === 'article' ? parts.article : `${e.subjectType} ${e.subjectId}`];
}

/** The whole sentence as text: 王斌 于 12月2日 10:31 发布了《标题》. */
export function auditSentence(e: AuditEvent, when: string): string {
  return `${auditActor(e)} 于 ${when} ${auditPredicate(e)
    .map((p) => (typeof p === 'string' ? p : p.text))
    .join('')}`;
}
