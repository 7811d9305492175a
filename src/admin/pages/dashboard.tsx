import { useState } from 'preact/hooks';
import type { Account, Article, Channel, List, User } from '../../shared/api.ts';
import { api } from '../api.ts';
import { formatDayTime, formatTime } from '../format.ts';
import { Notice, StatusBadge, useLoad } from '../ui.tsx';
import { BulkActions } from './bulk-actions.tsx';

interface Section {
  key: string;
  title: string;
  query: string;
  empty: string;
  time: (a: Article) => string | null;
}

function sectionsFor(user: User): Section[] {
  // Whoever sees every article reviews everyone's; a reporter sees their own submissions.
  const editor = user.abilities.listAllArticles;
  return [
    { key: 'drafts', title: '我的草稿', query: 'status=draft&mine=true&limit=20', empty: '没有草稿。', time: (a) => a.updatedAt },
    { key: 'review', title: editor ? '待审稿件' : '我提交的待审稿件', query: 'status=submitted&limit=30', empty: '没有待审的稿件。', time: (a) => a.updatedAt },
    { key: 'scheduled', title: '定时发布', query: 'status=scheduled&limit=20', empty: '没有定时发布的稿件。', time: (a) => a.scheduledAt },
    { key: 'published', title: '最近发布', query: 'status=published&limit=10', empty: '还没有发布的稿件。', time: (a) => a.publishedAt },
  ];
}

/** Drafts an editor returned come first: they are what the reporter has to do next. */
function returnedFirst(articles: Article[]): Article[] {
  return [...articles.filter((a) => a.returned), ...articles.filter((a) => !a.returned)];
}

export function Dashboard({ user, channels, people }: { user: User; channels: Channel[]; people: Account[] }) {
  const sections = sectionsFor(user);
  const { data, error, reload } = useLoad(
    () => Promise.all(sections.map((s) => api<List<Article>>('GET', `/articles?${s.query}`).then((r) => r.items))),
    [user.username],
  );
  const channelName = (path: string) => channels.find((c) => c.path === path)?.name ?? path;
  const author = (id: number) => people.find((p) => p.id === id)?.displayName ?? '—';
  // Editors pick articles for a bulk action; the lists reload after it, without the picks.
  const bulk = user.abilities.bulkArticles;
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const selected = [...new Map((data ?? []).flat().map((a) => [a.id, a])).values()].filter((a) => picked.has(a.id));
  const toggle = (id: number, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
  };

  return (
    <div class="page dashboard">
      <div class="page-head">
        <h1>稿件</h1>
        <a class="button primary" href="/admin/articles/new">
          写新稿
        </a>
      </div>
      <Notice>{error}</Notice>
      {bulk ? (
        <BulkActions
          selected={selected}
          onDone={() => {
            setPicked(new Set());
            reload();
          }}
        />
      ) : null}
      <div class="dash-grid">
        {sections.map((s, i) => (
          <section class="dash-section" aria-labelledby={`dash-${s.key}`} data-section={s.key}>
            <h2 id={`dash-${s.key}`}>
              {s.title}
              {data ? <span class="count">{data[i]!.length}</span> : null}
            </h2>
            {!data ? (
              <p class="muted">正在加载…</p>
            ) : data[i]!.length === 0 ? (
              <p class="muted">{s.empty}</p>
            ) : (
              <ul class="article-list">
                {returnedFirst(data[i]!).map((a) => (
                  <li data-article-id={a.id} class={[bulk ? 'pickable' : '', a.returned ? 'is-returned' : ''].join(' ').trim() || undefined}>
                    {bulk ? (
                      <input
                        type="checkbox"
                        class="pick"
                        aria-label={`选择《${a.title}》`}
                        checked={picked.has(a.id)}
                        onChange={(e) => toggle(a.id, (e.target as HTMLInputElement).checked)}
                      />
                    ) : null}
                    <a class="article-link" href={`/admin/articles/${a.id}`}>
                      {a.title}
                    </a>
                    <span class="meta">
                      {a.returned ? <span class="badge badge-returned">退回修改</span> : <StatusBadge status={a.status} />} {channelName(a.channel)} ·{' '}
                      {author(a.authorId)} · <time>{formatTime(s.time(a))}</time>
                    </span>
                    {a.returned ? (
                      <div class="return-note" data-return-note>
                        <span class="return-by">
                          {a.returned.byName || a.returned.by || '编辑'} 于 <time dateTime={a.returned.at}>{formatDayTime(a.returned.at)}</time> 退回：
                        </span>
                        <q>{a.returned.comment}</q>
                      </div>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}
