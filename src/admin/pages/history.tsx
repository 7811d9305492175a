import { useMemo, useState } from 'preact/hooks';
import type { Account, Article, List, Revision } from '../../shared/api.ts';
import { api, ApiError, explain } from '../api.ts';
import { diffParagraphs } from '../diff.ts';
import { BodyDiff, paragraphs, TextDiff } from '../diff-view.tsx';
import { formatTime } from '../format.ts';
import { navigate } from '../router.ts';
import { Notice, statusNames, useLoad } from '../ui.tsx';

type Content = Revision['content'];

export const actionNames: Record<string, string> = {
  create: '创建',
  import: '导入',
  edit: '修改',
  submit: '提交审核',
  return: '退回修改',
  publish: '发布',
  schedule: '定时发布',
  unpublish: '撤稿',
  restore: '恢复旧版',
  move: '移动频道',
  tag: '添加标签',
  delete: '删除到回收站',
  undelete: '从回收站恢复',
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

function DiffView({ from, to }: { from: Revision; to: Revision }) {
  const fields = fieldNames.filter(([k]) => JSON.stringify(from.content[k]) !== JSON.stringify(to.content[k]));
  const bodyChanged = useMemo(
    () => diffParagraphs(paragraphs(from.content.body), paragraphs(to.content.body)).some((l) => l.op !== 'eq'),
    [from.number, to.number],
  );
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
                    <TextDiff from={a} to={b} />
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
          <BodyDiff from={from.content.body} to={to.content.body} />
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
      // Against the revision on screen: a newer one (someone just saved) is not replaced unseen.
      await api('POST', `/articles/${id}/revisions/${n}/restore`, undefined, { ifMatch: article.revision });
      setMessage(`已恢复到第 ${n} 版的内容。`);
    } catch (e) {
      setMessage(
        e instanceof ApiError && e.code === 'stale_revision'
          ? `稿件已被${e.current?.updatedBy?.displayName ?? '他人'}于 ${formatTime(e.current?.updatedAt)} 修改为第 ${e.current?.revision ?? '新'} 版，已刷新列表，请核对后再恢复。`
          : explain(e),
      );
    }
    reload();
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
