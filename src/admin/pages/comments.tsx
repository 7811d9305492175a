import { useState } from 'preact/hooks';
import type { Channel, CommentBan, QueuedComment, User } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { channelTree, Notice, useLoad } from '../ui.tsx';

type Status = 'pending' | 'approved' | 'rejected';
const STATUS_NAMES: Record<Status, string> = { pending: '待审核', approved: '已通过', rejected: '已删除' };

interface Queue {
  items: QueuedComment[];
  counts: Record<Status, number>;
  nextAfter: number | null;
}

function CommentCard({ comment: c, onDone }: { comment: QueuedComment; onDone: (message: string | null, error?: string) => void }) {
  const [replying, setReplying] = useState(false);
  const [reply, setReply] = useState(c.reply?.body ?? '');
  const run = async (what: () => Promise<unknown>, message: string) => {
    try {
      await what();
      onDone(message);
    } catch (err) {
      onDone(null, explain(err));
    }
  };
  const ban = (kind: 'reader' | 'prefix') => {
    const what =
      kind === 'reader'
        ? `禁止“${c.nickname}”（这个读者的浏览器）留言？`
        : `禁止“${c.nickname}”所在的网段（IPv4 /24、IPv6 /48）留言？同一网段的其他读者也将不能留言。`;
    if (!confirm(what)) return;
    void run(() => api('POST', '/comments/bans', { commentId: c.id, kind }), kind === 'reader' ? '已禁止该读者留言。' : '已禁止该网段留言。');
  };
  return (
    <li class="card comment-card" data-comment={c.id}>
      <p class="row">
        <strong class="comment-nickname">{c.nickname}</strong>
        <span class="muted small-text">{formatTime(c.createdAt)}</span>
        <a href={`/a/${c.articleId}#comments`} target="_blank" rel="noopener">
          《{c.articleTitle}》
        </a>
      </p>
      <p class="comment-text">{c.body}</p>
      {c.flags.length > 0 ? <p class="notice notice-info">含需人工审核的词：{c.flags.join('、')}</p> : null}
      {c.reply && !replying ? (
        <p class="comment-official">
          <span class="badge">官方回复</span> {c.reply.body}
        </p>
      ) : null}
      {replying ? (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => api('PUT', `/comments/${c.id}/reply`, { text: reply }), reply.trim() ? '已回复。' : '已撤下回复。').then(() => setReplying(false));
          }}
        >
          <label class="field grow">
            <span>官方回复（不超过 500 字；留空则撤下回复）</span>
            <textarea rows={3} maxLength={500} value={reply} onInput={(e) => setReply((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" class="primary small">
            发送回复
          </button>
          <button type="button" class="small" onClick={() => setReplying(false)}>
            取消
          </button>
        </form>
      ) : null}
      <div class="row">
        <span class="muted small-text">赞 {c.likes}</span>
        {c.abilities.approve ? (
          <button
            type="button"
            class="primary small"
            onClick={() => void run(() => api('POST', `/comments/${c.id}/approve`), '已通过，留言已显示在文章下方。')}
          >
            通过
          </button>
        ) : null}
        {c.abilities.reject ? (
          <button type="button" class="small danger" onClick={() => void run(() => api('POST', `/comments/${c.id}/reject`), '已删除。')}>
            {c.status === 'approved' ? '撤下' : '删除'}
          </button>
        ) : null}
        {c.abilities.reply && !replying ? (
          <button type="button" class="small" onClick={() => setReplying(true)}>
            官方回复
          </button>
        ) : null}
        {c.abilities.ban ? (
          <>
            <button type="button" class="small" onClick={() => ban('reader')}>
              禁言此读者
            </button>
            <button type="button" class="small" onClick={() => ban('prefix')}>
              禁言此网段
            </button>
          </>
        ) : null}
      </div>
    </li>
  );
}

function Bans({ onDone }: { onDone: (message: string | null, error?: string) => void }) {
  const { data, reload } = useLoad(() => api<{ items: CommentBan[] }>('GET', '/comments/bans').then((r) => r.items), []);
  const [prefix, setPrefix] = useState('');
  const done = (message: string | null, error?: string) => {
    onDone(message, error);
    reload();
  };
  return (
    <section class="card">
      <h2>禁言名单</h2>
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api('POST', '/comments/bans', { prefix });
            setPrefix('');
            done('已禁止该网段留言。');
          } catch (err) {
            done(null, explain(err));
          }
        }}
      >
        <label class="field grow">
          <span>按地址或网段禁言（如 203.0.113.0/24、2001:db8:1::/48）</span>
          <input required maxLength={60} value={prefix} onInput={(e) => setPrefix((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="small">
          禁言
        </button>
      </form>
      {data && data.length === 0 ? <p class="muted">没有被禁言的读者或网段。</p> : null}
      <ul class="plain-list">
        {(data ?? []).map((b) => (
          <li class="row" data-ban={b.id}>
            <span>
              {b.kind === 'reader' ? '读者' : '网段'}：{b.note}
            </span>
            <span class="muted small-text">{formatTime(b.createdAt)}</span>
            <button
              type="button"
              class="small"
              onClick={async () => {
                try {
                  await api('DELETE', `/comments/bans/${b.id}`);
                  done('已解除禁言。');
                } catch (err) {
                  done(null, explain(err));
                }
              }}
            >
              解除
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ChannelModes({
  channels,
  canConfigure,
  onDone,
}: {
  channels: Channel[];
  canConfigure: boolean;
  onDone: (message: string | null, error?: string) => void;
}) {
  const { data, reload } = useLoad(
    () => api<{ channels: { channelId: number; moderation: 'pre' | 'post' }[] }>('GET', '/comments/settings').then((r) => r.channels),
    [],
  );
  const modes = new Map((data ?? []).map((s) => [s.channelId, s.moderation]));
  return (
    <section class="card">
      <h2>频道留言方式</h2>
      <p class="muted">
        默认先审后发：留言经编辑通过后才显示。设为先发后审的频道，留言立即显示（含“审核”类敏感词的除外），编辑可事后撤下。下级频道沿用上级的设置。
      </p>
      <ul class="plain-list">
        {channelTree(channels).map((ch) => (
          <li class="row" style={{ paddingLeft: `${ch.depth * 1.25}rem` }}>
            <span>{ch.name}</span>
            <select
              aria-label={`${ch.name}的留言方式`}
              disabled={!canConfigure}
              value={modes.get(ch.id) ?? ''}
              onChange={async (e) => {
                const moderation = (e.target as HTMLSelectElement).value as 'pre' | 'post';
                try {
                  await api('PUT', `/comments/settings/${ch.id}`, { moderation });
                  onDone(`“${ch.name}”已设为${moderation === 'post' ? '先发后审' : '先审后发'}。`);
                } catch (err) {
                  onDone(null, explain(err));
                }
                reload();
              }}
            >
              {modes.has(ch.id) ? null : <option value="">沿用上级（默认先审后发）</option>}
              <option value="pre">先审后发</option>
              <option value="post">先发后审</option>
            </select>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** 留言审核 (editors): the queue of readers' comments, decisions, the newsroom's replies, bans and channels' modes. */
export function CommentsPage({ user, channels }: { user: User; channels: Channel[] }) {
  const [status, setStatus] = useState<Status>('pending');
  const { data, error, reload } = useLoad(() => api<Queue>('GET', `/comments?status=${status}`), [status]);
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const done = (msg: string | null, err?: string) => {
    setMessage(msg);
    setFailure(err ?? null);
    reload();
  };
  return (
    <div class="page comments-page">
      <h1>留言审核</h1>
      <Notice kind="ok">{message}</Notice>
      <Notice>{failure ?? error}</Notice>
      <div class="row" role="tablist" aria-label="留言状态">
        {(Object.keys(STATUS_NAMES) as Status[]).map((s) => (
          <button type="button" role="tab" aria-selected={status === s} class={status === s ? 'primary small' : 'small'} onClick={() => setStatus(s)}>
            {STATUS_NAMES[s]}
            {data ? `（${data.counts[s]}）` : ''}
          </button>
        ))}
      </div>
      {data && data.items.length === 0 ? <p class="muted">{status === 'pending' ? '没有待审核的留言。' : '没有留言。'}</p> : null}
      <ul class="comment-queue plain-list">
        {(data?.items ?? []).map((c) => (
          <CommentCard key={`${c.id}-${c.status}-${c.reply?.at ?? ''}`} comment={c} onDone={done} />
        ))}
      </ul>
      <Bans onDone={done} />
      <ChannelModes channels={channels} canConfigure={user.abilities.configureComments} onDone={done} />
    </div>
  );
}
