import { useEffect, useState } from 'preact/hooks';
import type { Article, List, Topic } from '../../shared/api.ts';
import { api, creator, explain } from '../api.ts';
import { Notice, useLoad } from '../ui.tsx';
import { ArticlePicker, moved, useRecentPublished } from './picker.tsx';

function TopicEditor({ topic, recent, onSaved }: { topic: Topic; recent: Article[]; onSaved: (msg: string) => void }) {
  const [title, setTitle] = useState(topic.title);
  const [description, setDescription] = useState(topic.description);
  const [cover, setCover] = useState(topic.cover);
  const [items, setItems] = useState<{ id: number; title: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    Promise.all(
      topic.articles.map((id) => recent.find((a) => a.id === id) ?? api<Article>('GET', `/articles/${id}`).catch(() => ({ id, title: `稿件 #${id}` }))),
    ).then((found) => live && setItems(found.map((a) => ({ id: a.id, title: a.title }))));
    return () => {
      live = false;
    };
  }, [topic.id]);
  const save = async () => {
    try {
      await api('PATCH', `/topics/${topic.id}`, { title, description, cover, articles: items.map((i) => i.id) });
      setError(null);
      onSaved(`已保存专题“${title}”。`);
    } catch (e) {
      setError(explain(e));
    }
  };
  return (
    <div class="card topic-editor" data-topic={topic.slug}>
      <h2>
        {topic.title}{' '}
        <a href={`/t/${topic.slug}`} target="_blank" rel="noopener" class="small">
          /t/{topic.slug}
        </a>
      </h2>
      <label class="field">
        <span>标题</span>
        <input value={title} maxLength={100} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field">
        <span>简介</span>
        <textarea rows={2} maxLength={1000} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
      </label>
      <label class="field">
        <span>封面图地址</span>
        <input value={cover} onInput={(e) => setCover((e.target as HTMLInputElement).value)} />
      </label>
      <h3>专题稿件（按阅读顺序）</h3>
      <ol class="ordered">
        {items.map((it, i) => (
          <li data-item={it.id}>
            <span class="grow">{it.title}</span>
            <button type="button" class="small" aria-label={`上移 ${it.title}`} disabled={i === 0} onClick={() => setItems(moved(items, i, -1))}>
              ↑
            </button>
            <button type="button" class="small" aria-label={`下移 ${it.title}`} disabled={i === items.length - 1} onClick={() => setItems(moved(items, i, 1))}>
              ↓
            </button>
            <button type="button" class="small danger" onClick={() => setItems(items.filter((x) => x.id !== it.id))}>
              移除
            </button>
          </li>
        ))}
      </ol>
      <ArticlePicker recent={recent} exclude={items.map((i) => i.id)} onPick={(a) => setItems([...items, { id: a.id, title: a.title }])} />
      <Notice>{error}</Notice>
      <button type="button" class="primary" onClick={() => void save()}>
        保存专题
      </button>
    </div>
  );
}

export function TopicsPage() {
  const topics = useLoad(() => api<List<Topic>>('GET', '/topics').then((r) => r.items), []);
  const recent = useRecentPublished();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [slug, setSlug] = useState('');
  const [title, setTitle] = useState('');
  const [createTopic] = useState(() => creator('/topics'));
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await createTopic({ slug, title });
      setMessage(`已创建专题“${title}”。`);
      setSlug('');
      setTitle('');
      topics.reload();
    } catch (err) {
      setError(explain(err));
    }
  };
  return (
    <div class="page">
      <h1>专题</h1>
      <Notice kind="ok">{message}</Notice>
      <Notice>{error ?? topics.error ?? recent.error}</Notice>
      {topics.data && recent.data ? (
        topics.data.map((t) => (
          <TopicEditor key={`${t.id}-${t.articles.join(',')}`} topic={t} recent={recent.data!} onSaved={(m) => (setMessage(m), topics.reload())} />
        ))
      ) : (
        <p class="muted">正在加载…</p>
      )}
      <form class="card inline-form" onSubmit={create}>
        <h2>新建专题</h2>
        <label class="field">
          <span>标题</span>
          <input required maxLength={100} value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>地址（小写字母、数字、横线）</span>
          <input required pattern="[a-z0-9][a-z0-9\-]*" maxLength={40} value={slug} onInput={(e) => setSlug((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary">
          创建
        </button>
      </form>
    </div>
  );
}
