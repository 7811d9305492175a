import { useState } from 'preact/hooks';
import type { SensitiveWord } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, useLoad } from '../ui.tsx';

type Action = SensitiveWord['action'];
const ACTION_NAMES: Record<Action, string> = { block: '拦截', mask: '打码（＊）', review: '人工审核' };
const ACTIONS = Object.keys(ACTION_NAMES) as Action[];

function ActionSelect({ value, onChange, label }: { value: Action; onChange: (a: Action) => void; label: string }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as Action)}>
      {ACTIONS.map((a) => (
        <option value={a}>{ACTION_NAMES[a]}</option>
      ))}
    </select>
  );
}

/** 敏感词 (admins): the words readers' comments are screened against, each blocked, masked or sent to review. */
export function SensitiveWordsPage() {
  const { data, error, reload } = useLoad(() => api<{ items: SensitiveWord[] }>('GET', '/moderation/words').then((r) => r.items), []);
  const [word, setWord] = useState('');
  const [action, setAction] = useState<Action>('block');
  const [list, setList] = useState('');
  const [listAction, setListAction] = useState<Action>('block');
  const [filter, setFilter] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const run = async (what: () => Promise<string>) => {
    try {
      setMessage(await what());
      setFailure(null);
    } catch (err) {
      setMessage(null);
      setFailure(explain(err));
    }
    reload();
  };
  const shown = (data ?? []).filter((w) => filter.trim() === '' || w.word.includes(filter.trim())).slice(0, 500);
  return (
    <div class="page words-page">
      <h1>敏感词</h1>
      <p class="muted">
        读者留言和昵称发表前会与词表比对：“拦截”的留言不能提交，“打码”的词显示为＊，含“人工审核”词的留言即使在先发后审的频道也要等编辑通过。比对不分全角半角、繁体简体和大小写，并忽略字间插入的空格和符号（如“敏＊感”“敏
        感”）。修改立即生效。
      </p>
      <Notice kind="ok">{message}</Notice>
      <Notice>{failure ?? error}</Notice>
      <form
        class="card inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api('POST', '/moderation/words', { word, action });
            setWord('');
            return `已添加“${word}”。`;
          });
        }}
      >
        <h2>添加一个词</h2>
        <label class="field grow">
          <span>词或短语（不超过 30 字）</span>
          <input required maxLength={30} value={word} onInput={(e) => setWord((e.target as HTMLInputElement).value)} />
        </label>
        <ActionSelect label="处理方式" value={action} onChange={setAction} />
        <button type="submit" class="primary">
          添加
        </button>
      </form>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await api<{ added: number; updated: number }>('POST', '/moderation/words', { text: list, action: listAction });
            setList('');
            return `已导入：新增 ${r.added} 个，更新 ${r.updated} 个。`;
          });
        }}
      >
        <h2>批量导入</h2>
        <label class="field">
          <span>每行一个词；可在词后用逗号、空格或制表符写处理方式（拦截/屏蔽、打码、审核），没写的用下面选的方式；# 开头的行忽略</span>
          <textarea
            rows={6}
            required
            value={list}
            onInput={(e) => setList((e.target as HTMLTextAreaElement).value)}
            placeholder={'违禁词\n某某,打码\n某某某 审核'}
          />
        </label>
        <label class="field">
          <span>也可以选择文本文件（UTF-8）</span>
          <input
            type="file"
            accept=".txt,text/plain,.csv"
            onChange={async (e) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (file) setList(await file.text());
            }}
          />
        </label>
        <div class="row">
          <ActionSelect label="未注明的词的处理方式" value={listAction} onChange={setListAction} />
          <button type="submit" class="primary">
            导入
          </button>
        </div>
      </form>
      <label class="field">
        <span>查找（共 {data?.length ?? 0} 个词）</span>
        <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </label>
      <table class="table words-table">
        <thead>
          <tr>
            <th>词</th>
            <th>处理方式</th>
            <th>更新于</th>
            <th>
              <span class="visually-hidden">操作</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((w) => (
            <tr data-word={w.id}>
              <td>{w.word}</td>
              <td>
                <ActionSelect
                  label={`“${w.word}”的处理方式`}
                  value={w.action}
                  onChange={(a) =>
                    void run(async () => {
                      await api('PATCH', `/moderation/words/${w.id}`, { word: w.word, action: a });
                      return `“${w.word}”已改为${ACTION_NAMES[a]}。`;
                    })
                  }
                />
              </td>
              <td class="muted small-text">{formatTime(w.updatedAt)}</td>
              <td>
                <button
                  type="button"
                  class="small danger"
                  aria-label={`删除 ${w.word}`}
                  onClick={() =>
                    confirm(`删除敏感词“${w.word}”？`) &&
                    void run(async () => {
                      await api('DELETE', `/moderation/words/${w.id}`);
                      return `已删除“${w.word}”。`;
                    })
                  }
                >
                  删除
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
