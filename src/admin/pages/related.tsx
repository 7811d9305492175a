import { useState } from 'preact/hooks';
import type { Article, RelatedList } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { Notice, useLoad } from '../ui.tsx';
import { ArticlePicker, moved, useRecentPublished } from './picker.tsx';

/** 相关阅读 of one article as readers will see it, and the editors' pins (first, in order) and exclusions. */
export function RelatedPanel({ articleId }: { articleId: number }) {
  const { data, error, setData } = useLoad(() => api<RelatedList>('GET', `/articles/${articleId}/related`), [articleId]);
  const recent = useRecentPublished();
  const [failure, setFailure] = useState<string | null>(null);
  const [titles, setTitles] = useState<Record<number, string>>({});
  if (!data) return <Notice>{error}</Notice>;
  const pinned = data.pinned ?? [];
  const excluded = data.excluded ?? [];
  const titleOf = (id: number) => data.items.find((i) => i.id === id)?.title ?? titles[id] ?? recent.data?.find((a) => a.id === id)?.title ?? `稿件 #${id}`;

  const put = async (next: { pinned: number[]; excluded: number[] }) => {
    try {
      setData(await api<RelatedList>('PUT', `/articles/${articleId}/related`, next));
      setFailure(null);
    } catch (e) {
      setFailure(explain(e));
    }
  };
  const pin = (id: number) => put({ pinned: [...pinned, id], excluded: excluded.filter((x) => x !== id) });
  const unpin = (id: number) => put({ pinned: pinned.filter((x) => x !== id), excluded });
  const exclude = (id: number) => put({ pinned: pinned.filter((x) => x !== id), excluded: [...excluded, id] });
  const restore = (id: number) => put({ pinned, excluded: excluded.filter((x) => x !== id) });

  return (
    <section class="card related-panel" aria-labelledby="related-title" data-related>
      <h2 id="related-title">相关阅读</h2>
      <p class="muted small">读者在文末看到的推荐。置顶的稿件排在最前；移除的稿件不会再被推荐。</p>
      <Notice>{failure}</Notice>
      {data.items.length === 0 ? <p class="muted">暂无相关稿件。</p> : null}
      <ol class="ordered">
        {data.items.map((item) => {
          const i = pinned.indexOf(item.id);
          return (
            <li data-related-item={item.id}>
              <span class="grow">
                {item.title}
                {item.pinned ? <span class="badge badge-scheduled">置顶</span> : null}
              </span>
              {item.pinned ? (
                <>
                  <button
                    type="button"
                    class="small"
                    aria-label={`上移 ${item.title}`}
                    disabled={i <= 0}
                    onClick={() => void put({ pinned: moved(pinned, i, -1), excluded })}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="small"
                    aria-label={`下移 ${item.title}`}
                    disabled={i < 0 || i >= pinned.length - 1}
                    onClick={() => void put({ pinned: moved(pinned, i, 1), excluded })}
                  >
                    ↓
                  </button>
                  <button type="button" class="small" onClick={() => void unpin(item.id)}>
                    取消置顶
                  </button>
                </>
              ) : (
                <button type="button" class="small" onClick={() => void pin(item.id)}>
                  置顶
                </button>
              )}
              <button type="button" class="small danger" onClick={() => void exclude(item.id)}>
                移除
              </button>
            </li>
          );
        })}
      </ol>
      <ArticlePicker
        label="置顶一篇"
        recent={recent.data ?? []}
        exclude={[articleId, ...pinned]}
        onPick={(a: Article) => {
          setTitles((t) => ({ ...t, [a.id]: a.title }));
          void pin(a.id);
        }}
      />
      {excluded.length > 0 ? (
        <>
          <h3>已移除</h3>
          <ul class="ordered">
            {excluded.map((id) => (
              <li data-excluded-item={id}>
                <span class="grow">{titleOf(id)}</span>
                <button type="button" class="small" onClick={() => void restore(id)}>
                  恢复推荐
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
