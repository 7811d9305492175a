import { useEffect, useState } from 'preact/hooks';
import type { Article, Slot } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime, fromLocalInput, toLocalInput } from '../format.ts';
import { Notice } from '../ui.tsx';
import { ArticlePicker, moved, useRecentPublished } from './picker.tsx';

const SLOTS = [
  { key: 'focus', name: '视觉焦点', max: 8, hint: '首页轮播图：使用稿件的封面图，请挑选有封面的稿件。' },
  { key: 'headline', name: '头条', max: 5, hint: '首页顶部的要闻标题。' },
] as const;

interface Item {
  id: number;
  title: string;
  cover: string;
  status: string;
  /** datetime-local text in the site's zone; empty for no expiry. */
  expires: string;
}

function SlotEditor({ slot, recent }: { slot: (typeof SLOTS)[number]; recent: Article[] }) {
  const [items, setItems] = useState<Item[] | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  useEffect(() => {
    api<Slot>('GET', `/slots/${slot.key}`).then(
      async (r) => {
        const rows = await Promise.all(
          r.items.map(async (i) => {
            const a = recent.find((x) => x.id === i.article) ?? (await api<Article>('GET', `/articles/${i.article}`).catch(() => null));
            return {
              id: i.article,
              title: a?.title ?? `稿件 #${i.article}`,
              cover: a?.cover ?? '',
              status: a?.status ?? '',
              expires: i.expiresAt ? toLocalInput(Date.parse(i.expiresAt)) : '',
            };
          }),
        );
        setItems(rows);
      },
      (e) => setMessage({ kind: 'error', text: explain(e) }),
    );
  }, [slot.key]);
  if (!items) return <p class="muted">正在加载…</p>;
  const update = (i: number, patch: Partial<Item>) => setItems(items.map((it, k) => (k === i ? { ...it, ...patch } : it)));
  const save = async () => {
    try {
      await api('PUT', `/slots/${slot.key}`, {
        items: items.map((it) => ({ article: it.id, expiresAt: it.expires ? new Date(fromLocalInput(it.expires)).toISOString() : null })),
      });
      setMessage({ kind: 'ok', text: `已保存${slot.name}。` });
    } catch (e) {
      setMessage({ kind: 'error', text: explain(e) });
    }
  };
  return (
    <section class="card" data-slot={slot.key} aria-labelledby={`slot-${slot.key}`}>
      <h2 id={`slot-${slot.key}`}>
        {slot.name}
        <span class="count">
          {items.length}/{slot.max}
        </span>
      </h2>
      <p class="muted">{slot.hint}</p>
      <ol class="ordered">
        {items.map((it, i) => (
          <li data-item={it.id}>
            {it.cover ? <img class="thumb" src={it.cover} alt="" /> : null}
            <span class="grow">
              {it.title}
              {it.status && it.status !== 'published' ? <em class="warn">（未发布，不会显示）</em> : null}
              {slot.key === 'focus' && !it.cover ? <em class="warn">（没有封面图）</em> : null}
            </span>
            <label class="small">
              到期
              <input type="datetime-local" value={it.expires} onInput={(e) => update(i, { expires: (e.target as HTMLInputElement).value })} />
            </label>
            {it.expires ? <span class="muted small">{formatTime(fromLocalInput(it.expires))} 后下线</span> : null}
            <button type="button" class="small" aria-label={`上移 ${it.title}`} disabled={i === 0} onClick={() => setItems(moved(items, i, -1))}>
              ↑
            </button>
            <button type="button" class="small" aria-label={`下移 ${it.title}`} disabled={i === items.length - 1} onClick={() => setItems(moved(items, i, 1))}>
              ↓
            </button>
            <button type="button" class="small danger" onClick={() => setItems(items.filter((_, k) => k !== i))}>
              移除
            </button>
          </li>
        ))}
      </ol>
      {items.length < slot.max ? (
        <ArticlePicker
          recent={recent}
          exclude={items.map((i) => i.id)}
          onPick={(a) => setItems([...items, { id: a.id, title: a.title, cover: a.cover, status: a.status, expires: '' }])}
        />
      ) : null}
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <button type="button" class="primary" onClick={() => void save()}>
        保存{slot.name}
      </button>
    </section>
  );
}

export function SlotsPage() {
  const recent = useRecentPublished();
  return (
    <div class="page">
      <h1>首页推荐</h1>
      <Notice>{recent.error}</Notice>
      {recent.data ? SLOTS.map((s) => <SlotEditor slot={s} recent={recent.data!} />) : <p class="muted">正在加载…</p>}
    </div>
  );
}
