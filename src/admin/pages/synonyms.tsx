import { useState } from 'preact/hooks';
import type { SynonymGroup } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, useLoad } from '../ui.tsx';

/** Words as typed into one box: separated by spaces, commas or 、 (a word itself never has them). */
export function splitWords(text: string): string[] {
  return text
    .split(/[\s,，、;；]+/u)
    .map((w) => w.trim())
    .filter((w) => w !== '');
}

function GroupRow({ group, onDone }: { group: SynonymGroup; onDone: (message: string | null, error?: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(group.words.join(' '));
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await api('PATCH', `/search/synonyms/${group.id}`, { words: splitWords(text) });
      setEditing(false);
      onDone('已保存，搜索立即生效。');
    } catch (err) {
      onDone(null, explain(err));
    }
  };
  const remove = async () => {
    if (!confirm(`删除同义词“${group.words.join('、')}”？`)) return;
    try {
      await api('DELETE', `/search/synonyms/${group.id}`);
      onDone('已删除。');
    } catch (err) {
      onDone(null, explain(err));
    }
  };
  return (
    <li class="synonym-group card" data-synonyms={group.id}>
      {editing ? (
        <form class="inline-form" onSubmit={save}>
          <label class="field grow">
            <span>同义词（用空格或逗号分隔）</span>
            <input required maxLength={700} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="primary small">
            保存
          </button>
          <button type="button" class="small" onClick={() => (setEditing(false), setText(group.words.join(' ')))}>
            取消
          </button>
        </form>
      ) : (
        <>
          <p class="synonym-words">
            {group.words.map((w, i) => (
              <>
                {i > 0 ? (
                  <>
                    <span class="synonym-sep" aria-hidden="true">
                      ↔
                    </span>
                    <span class="visually-hidden">等同于</span>
                  </>
                ) : null}
                <span class="synonym-word">{w}</span>
              </>
            ))}
          </p>
          <div class="row">
            <span class="muted small-text">更新于 {formatTime(group.updatedAt)}</span>
            <button type="button" class="small" aria-label={`修改 ${group.words.join('、')}`} onClick={() => setEditing(true)}>
              修改
            </button>
            <button type="button" class="small danger" aria-label={`删除 ${group.words.join('、')}`} onClick={() => void remove()}>
              删除
            </button>
          </div>
        </>
      )}
    </li>
  );
}

/** 搜索同义词 (admins): groups of words the readers' search treats as one, applied to queries at once. */
export function SynonymsPage() {
  const { data, error, reload } = useLoad(() => api<{ items: SynonymGroup[] }>('GET', '/search/synonyms').then((r) => r.items), []);
  const [text, setText] = useState('');
  const [filter, setFilter] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const done = (msg: string | null, err?: string) => {
    setMessage(msg);
    setFailure(err ?? null);
    reload();
  };
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await api('POST', '/search/synonyms', { words: splitWords(text) });
      setText('');
      done('已添加，搜索立即生效。');
    } catch (err) {
      setMessage(null);
      setFailure(explain(err));
    }
  };
  const shown = (data ?? []).filter((g) => filter.trim() === '' || g.words.some((w) => w.includes(filter.trim())));
  return (
    <div class="page synonyms-page">
      <h1>搜索同义词</h1>
      <p class="muted">
        同一组里的词在读者搜索时视为同一个词：搜“北大”也能找到写着“北京大学”的稿件，反之亦然。简称、全称和常见别称都可以放在一组。修改立即生效，无需重建索引；一个词只能属于一组。
      </p>
      <Notice kind="ok">{message}</Notice>
      <Notice>{failure ?? error}</Notice>
      <form class="card inline-form" onSubmit={create}>
        <h2>添加一组同义词</h2>
        <label class="field grow">
          <span>词语（2–20 个，用空格或逗号分隔）</span>
          <input
            required
            maxLength={700}
            placeholder="如：发改委 国家发展和改革委员会"
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="primary">
          添加
        </button>
      </form>
      {(data ?? []).length > 10 ? (
        <label class="field">
          <span>查找</span>
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
      ) : null}
      {data && data.length === 0 ? <p class="muted">还没有同义词。</p> : null}
      <ul class="synonym-list">
        {shown.map((g) => (
          <GroupRow key={`${g.id}-${g.updatedAt}`} group={g} onDone={done} />
        ))}
      </ul>
    </div>
  );
}
