import { useEffect, useState } from 'preact/hooks';
import type { Account, MediaItem, MediaPage } from '../shared/api.ts';
import { api, explain } from './api.ts';
import { formatTime } from './format.ts';
import { shownMedia } from './media-url.ts';
import { Notice } from './ui.tsx';

/**
 * The picture library as a searchable grid of thumbnails (search words, uploader, 加载更多 by cursor): the 图片库 page
 * and the editor's picker show the same component and differ in what choosing an image does.
 */
export function MediaBrowser({
  people,
  onChoose,
  chooseLabel,
  reloadKey = 0,
  changed,
}: {
  people: Account[];
  onChoose: (item: MediaItem) => void;
  /** The label of the button on each image (打开 / 插入 / 设为封面). */
  chooseLabel: string;
  /** Bumped by the page after an upload, edit or delete: the list is read again. */
  reloadKey?: number;
  /** An item changed elsewhere (edited in a dialog): shown without reading the list again. */
  changed?: MediaItem | null;
}) {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [uploader, setUploader] = useState('');
  const [items, setItems] = useState<MediaItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (cursor: string | null) => {
    setLoading(true);
    const params = new URLSearchParams({ limit: '40' });
    if (query) params.set('q', query);
    if (uploader) params.set('uploader', uploader);
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await api<MediaPage>('GET', `/media?${params}`);
      setItems((old) => (cursor ? [...old, ...page.items] : page.items));
      setNext(page.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => void load(null), [query, uploader, reloadKey]);
  useEffect(() => {
    if (changed) setItems((old) => old.map((i) => (i.id === changed.id ? changed : i)));
  }, [changed]);

  return (
    <div class="media-browser">
      <form
        class="media-filters"
        aria-label="搜索图片库"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <input
          type="search"
          aria-label="搜索图片"
          placeholder="搜索图片说明、替代文字或文件名"
          value={q}
          maxLength={100}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <select aria-label="上传者" value={uploader} onChange={(e) => setUploader((e.target as HTMLSelectElement).value)}>
          <option value="">全部上传者</option>
          {people.map((p) => (
            <option value={p.username}>{p.displayName}</option>
          ))}
        </select>
        <button type="submit">搜索</button>
      </form>
      <Notice>{error}</Notice>
      {items.length === 0 && !loading ? <p class="muted">{query || uploader ? '没有找到符合条件的图片。' : '图片库里还没有图片。'}</p> : null}
      <ul class="media-grid">
        {items.map((m) => (
          <li class="media-card" data-media-id={m.id}>
            <img src={shownMedia(m.thumbnail.url)} alt={m.alt || m.caption || m.original.name} loading="lazy" width={m.thumbnail.width} />
            <div class="media-meta">
              <p class="media-caption" title={m.original.name}>
                {m.caption || <span class="muted">{m.original.name}（无说明）</span>}
              </p>
              <p class="muted small">
                {m.uploader?.displayName ?? '—'} · {formatTime(m.createdAt)}
                {m.usedBy > 0 ? ` · ${m.usedBy} 篇稿件在用` : ''}
                {m.alt ? '' : ' · 缺替代文字'}
              </p>
              <button type="button" class="small" onClick={() => onChoose(m)}>
                {chooseLabel}
              </button>
            </div>
          </li>
        ))}
      </ul>
      {next ? (
        <button type="button" disabled={loading} onClick={() => void load(next)}>
          {loading ? '正在加载…' : '加载更多'}
        </button>
      ) : null}
    </div>
  );
}
