import { useMemo, useState } from 'preact/hooks';
import type { Account, Article, List, Revision } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { diffParagraphs, diffTokens, tokens, type LineDiff, type Piece } from '../diff.ts';
import { formatTime } from '../format.ts';
import { navigate } from '../router.ts';
import { Notice, statusNames, useLoad } from '../ui.tsx';

type Content = Revision['content'];

export const actionNames: Record<string, string> = {
  create: '创建',
  edit: '修改',
  submit: '提交审核',
  return: '退回修改',
  publish: '发布',
  schedule: '定时发布',
  unpublish: '撤稿',
  restore: '恢复旧版',
};

const fieldNames: [keyof Content, string][] = [
  ['title', '标题'],
  ['subtitle', '副标题'],
  ['channel', '频道'],
  ['source', '来源'],
  ['byline', '署名'],
  ['editor', '责任编辑'],
  ['tags', '标签'],
  ['cover', '封面图'],
  ['summary', '摘要'],
];

/** The body's text, one entry per paragraph-like block; images show as [图片 …]. */
function paragraphs(html: string): string[] {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out: string[] = [];
  for (const el of doc.body.querySelectorAll('p, h2, h3, h4, li, blockquote > p, figure')) {
    if (el.tagName === 'FIGURE') {
      const img = el.querySelector('img');
      out.push(`[图片 ${img?.getAttribute('src') ?? ''}] ${el.querySelector('figcaption')?.textContent ?? ''}`.trim());
    } else if (!el.querySelector('p')) out.push(el.textContent?.trim() ?? '');
  }
  return out.filter(Boolean);
}

function Pieces({ pieces }: { pieces: Piece[] }) {
  return (
    <>
      {pieces.map((p) => (p.op === 'eq' ? <span>{p.text}</span> : p.op === 'del' ? <del>{p.text}</del> : <ins>{p.text}</ins>))}
    </>
  );
}

function DiffView({ from, to }: { from: Revision; to: Revision }) {
  const fields = fieldNames.filter(([k]) => JSON.stringify(from.content[k]) !== JSON.stringify(to.content[k]));
  const body = useMemo(() => diffParagraphs(paragraphs(from.content.body), paragraphs(to.content.body)), [from.number, to.number]);
  const bodyChanged = body.some((l) => l.op !== 'eq');
  return (
    <div class="diff" data-diff>
      <h2>
        第 {from.number} 版 → 第 {to.number} 版
      </h2>
      {fields.length === 0 && !bodyChanged ? <p class="muted">两个版本的内容相同。</p> : null}
      {fields.length > 0 ? (
        <table class="diff-fields">
          <tbody>
            {fields.map(([k, name]) => {
              const a = Array.isArray(from.content[k]) ? (from.content[k] as string[]).join('，') : String(from.content[k]);
              const b = Array.isArray(to.content[k]) ? (to.content[k] as string[]).join('，') : String(to.content[k]);
              return (
                <tr>
                  <th scope="row">{name}</th>
                  <td>
                    <Pieces pieces={diffTokens(tokens(a), tokens(b))} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {bodyChanged ? (
        <div class="diff-body">
          <h3>正文</h3>
          {body.map((l: LineDiff) => (
            <p class={`diff-line diff-${l.op}`}>
              <Pieces pieces={l.pieces} />
            </p>
          ))}
        </div>
      ) : null}
    </div>
  );
}

export function HistoryPage({ id, people }: { id: number; people: Account[] }) {
  const { data, error, reload } = useLoad(
    () => Promise.all([api<Article>('GET', `/articles/${id}`), api<List<Revision>>('GET', `/articles/${id}/revisions`).then((r) => r.items)]),
    [id],
  );
  const [pair, setPair] = useState<[number, number] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  if (error) return <Notice>{error}</Notice>;
  if (!data) return <p class="muted">正在加载…</p>;
  const [article, revisions] = data;
  // By default: the newest revision against the last one whose content differed (status changes alone show nothing).
  const newest = revisions[0];
  const differing = revisions.find((r) => newest && JSON.stringify(r.content) !== JSON.stringify(newest.content)) ?? revisions[1] ?? newest;
  const [fromN, toN] = pair ?? [differing?.number ?? 1, newest?.number ?? 1];
  const from = revisions.find((r) => r.number === fromN);
  const to = revisions.find((r) => r.number === toN);

  const restore = async (n: number) => {
    if (!confirm(`用第 ${n} 版的内容替换当前内容吗？当前内容仍会保留在历史中。`)) return;
    try {
      await api('POST', `/articles/${id}/revisions/${n}/restore`);
      setMessage(`已恢复到第 ${n} 版的内容。`);
      reload();
    } catch (e) {
      setMessage(explain(e));
    }
  };

  return (
    <div class="page history-page">
      <div class="page-head">
        <h1>历史版本：{article.title}</h1>
        <a class="button" href={`/admin/articles/${id}`}>
          返回编辑
        </a>
      </div>
      <Notice kind="info">{message}</Notice>
      <table class="table revisions">
        <thead>
          <tr>
            <th scope="col">版本</th>
            <th scope="col">操作</th>
            <th scope="col">操作人</th>
            <th scope="col">时间</th>
            <th scope="col">状态</th>
            <th scope="col">说明</th>
            <th scope="col">比较</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {revisions.map((r, i) => (
            <tr data-revision={r.number}>
              <td>{r.number}</td>
              <td>{actionNames[r.action] ?? r.action}</td>
              <td>{people.find((p) => p.username === r.author)?.displayName ?? r.author ?? '系统'}</td>
              <td>{formatTime(r.createdAt)}</td>
              <td>{statusNames[r.status] ?? r.status}</td>
              <td class="note">{r.note}</td>
              <td class="compare">
                <label>
                  <input type="radio" name="from" checked={r.number === fromN} onChange={() => setPair([r.number, toN])} />旧
                </label>
                <label>
                  <input type="radio" name="to" checked={r.number === toN} onChange={() => setPair([fromN, r.number])} />新
                </label>
              </td>
              <td>
                {article.abilities.restore && i > 0 ? (
                  <button type="button" class="small" onClick={() => void restore(r.number)}>
                    恢复此版
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {from && to ? <DiffView from={from} to={to} /> : null}
      <p>
        <button type="button" class="link" onClick={() => navigate(`/admin/articles/${id}`)}>
          返回编辑
        </button>
      </p>
    </div>
  );
}
