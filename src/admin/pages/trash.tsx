import { useState } from 'preact/hooks';
import type { Article, Channel, TrashItem } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, StatusBadge, useLoad } from '../ui.tsx';

interface TrashPage {
  items: TrashItem[];
  next: string | null;
}

/**
 * 回收站: deleted articles, newest deleted first (editors see everyone's, reporters their own), with who deleted each,
 * when, and when it will be removed for good; 恢复 brings one back as a draft.
 */
export function TrashPage({ channels }: { channels: Channel[] }) {
  const [pages, setPages] = useState<TrashItem[][]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [restored, setRestored] = useState<Article | null>(null);
  const [error, setError] = useState<string | null>(null);
  const first = useLoad(
    () =>
      api<TrashPage>('GET', '/trash?limit=50').then((r) => {
        setPages([r.items]);
        setNext(r.next);
        return r;
      }),
    [],
  );
  const channelName = (path: string) => channels.find((c) => c.path === path)?.name ?? path;
  const items = pages.flat();

  async function more() {
    if (!next) return;
    try {
      const r = await api<TrashPage>('GET', `/trash?limit=50&before=${encodeURIComponent(next)}`);
      setPages([...pages, r.items]);
      setNext(r.next);
    } catch (e) {
      setError(explain(e));
    }
  }

  async function restore(item: TrashItem) {
    setError(null);
    setRestored(null);
    try {
      const article = await api<Article>('POST', `/articles/${item.id}/undelete`, undefined, { ifMatch: item.revision });
      setPages(pages.map((p) => p.filter((i) => i.id !== item.id)));
      setRestored(article);
    } catch (e) {
      setError(explain(e));
      first.reload();
    }
  }

  return (
    <div class="page trash">
      <div class="page-head">
        <h1>回收站</h1>
      </div>
      <p class="muted">删除的稿件在这里保留 30 天，期间可以恢复为草稿；到期后将被永久删除。</p>
      <Notice>{first.error ?? error}</Notice>
      {restored ? (
        <Notice kind="ok" onDismiss={() => setRestored(null)}>
          已恢复为草稿：<a href={`/admin/articles/${restored.id}`}>{restored.title}</a>
        </Notice>
      ) : null}
      {!first.data ? (
        <p class="muted">正在加载…</p>
      ) : items.length === 0 ? (
        <p class="muted">回收站是空的。</p>
      ) : (
        <table class="trash-table">
          <thead>
            <tr>
              <th scope="col">标题</th>
              <th scope="col">作者</th>
              <th scope="col">删除者 · 时间</th>
              <th scope="col">永久删除于</th>
              <th scope="col">
                <span class="visually-hidden">操作</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr data-trash-id={i.id}>
                <td>
                  <strong>{i.title}</strong>
                  <span class="meta">
                    <StatusBadge status={i.status} /> {channelName(i.channel)}
                  </span>
                </td>
                <td>{i.author.displayName}</td>
                <td>
                  {i.deletedBy?.displayName ?? '—'} · <time dateTime={i.deletedAt}>{formatTime(i.deletedAt)}</time>
                </td>
                <td>
                  <time dateTime={i.purgeAt}>{formatTime(i.purgeAt)}</time>
                </td>
                <td>
                  {i.abilities.undelete ? (
                    <button type="button" data-restore={i.id} onClick={() => void restore(i)}>
                      恢复
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next ? (
        <button type="button" onClick={() => void more()}>
          加载更多
        </button>
      ) : null}
    </div>
  );
}
