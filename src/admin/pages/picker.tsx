import { useState } from 'preact/hooks';
import type { Article, List } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { useLoad } from '../ui.tsx';

/** Recent published articles, for picking what goes into a topic or a home-page slot. */
export function useRecentPublished() {
  return useLoad(() => api<List<Article>>('GET', '/articles?status=published&limit=100').then((r) => r.items), []);
}

/** Picks a published article from the recent list, or any article by its number. */
export function ArticlePicker({
  recent,
  exclude,
  onPick,
  label = '添加稿件',
}: {
  recent: Article[];
  exclude: number[];
  onPick: (a: Article) => void;
  label?: string;
}) {
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async () => {
    setError(null);
    const id = Number(chosen.replace(/^#/, ''));
    if (!Number.isInteger(id) || id < 1) return setError('请选择稿件或输入稿件编号。');
    if (exclude.includes(id)) return setError('这篇稿件已在列表中。');
    try {
      onPick(recent.find((a) => a.id === id) ?? (await api<Article>('GET', `/articles/${id}`)));
      setChosen('');
    } catch (e) {
      setError(explain(e));
    }
  };
  return (
    <div class="picker">
      <input
        aria-label="稿件（选择或输入编号）"
        list="recent-articles"
        placeholder="选择最近发布的稿件，或输入编号"
        value={chosen}
        onInput={(e) => setChosen((e.target as HTMLInputElement).value)}
      />
      <datalist id="recent-articles">
        {recent
          .filter((a) => !exclude.includes(a.id))
          .map((a) => (
            <option value={String(a.id)}>{`${a.title}（${formatTime(a.publishedAt)}）`}</option>
          ))}
      </datalist>
      <button type="button" onClick={() => void add()}>
        {label}
      </button>
      {error ? (
        <span class="inline-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Moves item i of a list by delta places (-1 up, +1 down). */
export function moved<T>(list: readonly T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (j < 0 || j >= list.length) return [...list];
  const out = [...list];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
