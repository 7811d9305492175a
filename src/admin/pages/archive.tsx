import { BulkActions } from './bulk-actions.tsx';
import { useEffect, useState } from 'preact/hooks';
import type { Account, ArchiveItem, ArchivePage as ArchiveAnswer, ArticleStatus, Channel, User } from '../../shared/api.ts';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import { navigate, NAVIGATED } from '../router.ts';
import { ChannelSelect, Notice, StatusBadge, statusNames, useLoad } from '../ui.tsx';

/**
 * 稿件库: every article the person may see, searched (drafts too), filtered, sorted and paged by the API's cursor. The
 * filters live in the address (?q=…&status=…&cursor=…), so a reload, a shared link or the back button shows the same
 * page; the form only changes the address.
 */

const PAGE = 30;

/** The parameters the page keeps in its address, in the API's own names. */
const KEYS = ['q', 'status', 'channel', 'author', 'from', 'to', 'hasImage', 'sort', 'cursor'] as const;
type Key = (typeof KEYS)[number];
type Filters = Partial<Record<Key, string>>;

const sortNames: Record<string, string> = { updated: '最近修改', published: '发布时间', created: '创建时间', relevance: '相关度' };

/** Cut to a day, as the date inputs take it; the API takes days in the site's time zone. */
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readFilters(search: string): Filters {
  const params = new URLSearchParams(search);
  const out: Filters = {};
  for (const k of KEYS) {
    const v = params.get(k);
    if (v !== null && v !== '') out[k] = v;
  }
  return out;
}

function addressOf(f: Filters): string {
  const params = new URLSearchParams();
  for (const k of KEYS) if (f[k]) params.set(k, f[k]!);
  const qs = params.toString();
  return `/admin/archive${qs ? `?${qs}` : ''}`;
}

/** The address's query string, followed through in-app navigation and the back button. */
function useSearch(): string {
  const [search, setSearch] = useState(location.search);
  useEffect(() => {
    const update = () => setSearch(location.search);
    addEventListener('popstate', update);
    addEventListener(NAVIGATED, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(NAVIGATED, update);
    };
  }, []);
  return search;
}

function Picture({ a }: { a: ArchiveItem }) {
  if (a.cover) return <img class="archive-thumb" src={a.cover} alt="" loading="lazy" width={48} height={32} />;
  if (a.hasImage)
    return (
      <span class="archive-image-mark" title="正文有图片">
        图
      </span>
    );
  return null;
}

export function ArchivePage({ user, channels, people }: { user: User; channels: Channel[]; people: Account[] }) {
  const search = useSearch();
  const filters = readFilters(search);
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(readFilters(search)), [search]);
  const [selected, setSelected] = useState<Map<number, ArchiveItem>>(new Map());
  // Editors act on many articles at once; reporters only read the list.
  const selectable = user.abilities.listAllArticles;

  // Bumped after a bulk action, to show the page as it now is.
  const [version, setVersion] = useState(0);
  const { data, error } = useLoad(() => {
    const params = new URLSearchParams(readFilters(search) as Record<string, string>);
    params.set('limit', String(PAGE));
    return api<ArchiveAnswer>('GET', `/articles?${params}`);
  }, [search, version]);
  // What is on screen belongs to this address; while the next answer is on its way the table says it is loading.
  const [shownFor, setShownFor] = useState<string | null>(null);
  useEffect(() => {
    if (data) setShownFor(search);
    setSelected(new Map());
  }, [data]);
  const loading = !error && (data === undefined || shownFor !== search);

  const go = (f: Filters) => navigate(addressOf(f));
  const set = (k: Key, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const submit = (e: Event) => {
    e.preventDefault();
    const next: Filters = { ...draft, cursor: undefined };
    if (!next.q && next.sort === 'relevance') next.sort = undefined;
    go(next);
  };

  const channelName = (path: string) => channels.find((c) => c.path === path)?.name ?? path;
  const author = (id: number) => people.find((p) => p.id === id)?.displayName ?? '—';
  const items = data?.items ?? [];
  const allSelected = items.length > 0 && items.every((a) => selected.has(a.id));
  const toggle = (a: ArchiveItem) =>
    setSelected((s) => {
      const n = new Map(s);
      if (n.has(a.id)) n.delete(a.id);
      else n.set(a.id, a);
      return n;
    });
  const toggleAll = () => setSelected(allSelected ? new Map() : new Map(items.map((a) => [a.id, a])));
  const filtering = KEYS.some((k) => k !== 'cursor' && k !== 'sort' && filters[k]);

  return (
    <div class="page archive">
      <div class="page-head">
        <h1>稿件库</h1>
        <a class="button primary" href="/admin/articles/new">
          写新稿
        </a>
      </div>
      <search>
        <form class="archive-filters" aria-label="搜索稿件" onSubmit={submit}>
          <div class="archive-search">
            <label class="visually-hidden" for="archive-q">
              关键词
            </label>
            <input
              id="archive-q"
              type="search"
              name="q"
              maxLength={100}
              placeholder="搜索标题、正文、标签（含草稿）"
              value={draft.q ?? ''}
              onInput={(e) => set('q', (e.target as HTMLInputElement).value)}
            />
            <button type="submit" class="primary">
              搜索
            </button>
            {filtering ? (
              <a class="button" href="/admin/archive">
                清除条件
              </a>
            ) : null}
          </div>
          <div class="archive-fields">
            <label>
              状态
              <select name="status" value={draft.status ?? ''} onChange={(e) => set('status', (e.target as HTMLSelectElement).value)}>
                <option value="">全部状态</option>
                {(Object.keys(statusNames) as ArticleStatus[]).map((s) => (
                  <option value={s}>{statusNames[s]}</option>
                ))}
              </select>
            </label>
            <label>
              频道
              <ChannelSelect channels={channels} value={draft.channel ?? ''} allowTop="全部频道" onChange={(v) => set('channel', v)} />
            </label>
            <label>
              作者
              <select name="author" value={draft.author ?? ''} onChange={(e) => set('author', (e.target as HTMLSelectElement).value)}>
                <option value="">全部作者</option>
                {people.map((p) => (
                  <option value={p.username}>{p.displayName}</option>
                ))}
              </select>
            </label>
            <label>
              从
              <input
                type="date"
                name="from"
                value={DAY.test(draft.from ?? '') ? draft.from : ''}
                onInput={(e) => set('from', (e.target as HTMLInputElement).value)}
              />
            </label>
            <label>
              到
              <input type="date" name="to" value={DAY.test(draft.to ?? '') ? draft.to : ''} onInput={(e) => set('to', (e.target as HTMLInputElement).value)} />
            </label>
            <label class="check">
              <input
                type="checkbox"
                name="hasImage"
                checked={draft.hasImage === 'true'}
                onChange={(e) => set('hasImage', (e.target as HTMLInputElement).checked ? 'true' : '')}
              />
              有图片
            </label>
            <label>
              排序
              <select name="sort" value={draft.sort ?? ''} onChange={(e) => set('sort', (e.target as HTMLSelectElement).value)}>
                <option value="">{sortNames.updated}</option>
                <option value="published">{sortNames.published}</option>
                <option value="created">{sortNames.created}</option>
                {draft.q ? <option value="relevance">{sortNames.relevance}</option> : null}
              </select>
            </label>
          </div>
          <p class="muted small">日期按所选排序的时间筛选（按相关度时为发布时间），北京时间。</p>
        </form>
      </search>

      <Notice>{error}</Notice>
      {data?.capped ? (
        <Notice kind="info">匹配的稿件太多：只在每类稿件最新的 5000 篇匹配结果中筛选和排序，更早的没有列出。请加关键词或筛选条件缩小范围。</Notice>
      ) : null}

      <div class="archive-summary" aria-live="polite">
        {loading ? (
          <span class="muted" data-loading>
            正在加载…
          </span>
        ) : data?.total !== undefined ? (
          <span data-total>共找到 {data.total} 篇</span>
        ) : null}
        {selectable && selected.size > 0 ? (
          <div class="archive-selection" data-selected={selected.size}>
            <BulkActions selected={[...selected.values()]} onDone={() => setVersion((v) => v + 1)} />
          </div>
        ) : null}
      </div>

      {data && items.length === 0 && !loading ? (
        <div class="archive-empty" data-empty>
          <p>{filtering ? '没有符合条件的稿件。' : '还没有稿件。'}</p>
          {filtering ? <p class="muted">换个关键词，或减少筛选条件试试。</p> : null}
        </div>
      ) : data ? (
        <table class={`table archive-table${loading ? ' is-loading' : ''}`} aria-busy={loading}>
          <thead>
            <tr>
              {selectable ? (
                <th scope="col" class="select">
                  <input type="checkbox" aria-label="选择本页全部稿件" checked={allSelected} onChange={toggleAll} />
                </th>
              ) : null}
              <th scope="col">标题</th>
              <th scope="col">状态</th>
              <th scope="col">频道</th>
              <th scope="col">作者</th>
              <th scope="col">修改时间</th>
              <th scope="col">发布时间</th>
              <th scope="col" class="picture">
                图片
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr data-article-id={a.id} class={selected.has(a.id) ? 'selected' : undefined}>
                {selectable ? (
                  <td class="select">
                    <input type="checkbox" aria-label={`选择《${a.title}》`} checked={selected.has(a.id)} onChange={() => toggle(a)} />
                  </td>
                ) : null}
                <td class="title">
                  {/* titleHtml is the title escaped by the server with <mark> around the matched words, nothing else. */}
                  <a class="article-link" href={`/admin/articles/${a.id}`} dangerouslySetInnerHTML={{ __html: a.titleHtml }} />
                </td>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td>{channelName(a.channel)}</td>
                <td>{author(a.authorId)}</td>
                <td>
                  <time>{formatTime(a.updatedAt)}</time>
                </td>
                <td>
                  <time>{formatTime(a.publishedAt)}</time>
                </td>
                <td class="picture">
                  <Picture a={a} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <div class="row archive-pages">
        {filters.cursor ? (
          <button type="button" onClick={() => go({ ...filters, cursor: undefined })}>
            回到第一页
          </button>
        ) : null}
        {data?.next && !loading ? (
          <button type="button" class="primary" onClick={() => go({ ...filters, cursor: data.next! })}>
            下一页
          </button>
        ) : null}
      </div>
    </div>
  );
}
