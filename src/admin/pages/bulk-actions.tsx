import { useEffect, useState } from 'preact/hooks';
import type { Article, BulkAnswer, Channel } from '../../shared/api.ts';
import { api, ApiError, explain } from '../api.ts';
import { ChannelSelect, Dialog, loadChannels, Notice } from '../ui.tsx';

type Action = 'publish' | 'unpublish' | 'move' | 'tag' | 'delete';

const actionNames: Record<Action, string> = { publish: '发布', unpublish: '撤稿', move: '移动', tag: '添加标签', delete: '删除' };

/** What one run did, in words for the desk: how many were done, and for each failure the title and why. */
interface Report {
  action: Action;
  done: number;
  unchanged: number;
  failures: { id: number; title: string; why: string }[];
}

/**
 * The bar over a list of articles once some are selected: 发布, 撤稿, 移动到频道, 添加标签, 删除 (after a confirmation) for
 * all of them in one request (POST /articles/bulk; editors only, the server decides per article). Afterwards it says
 * how many were done and, per article that was not, why, in Chinese; `onDone` lets the list reload and clear its selection.
 */
export function BulkActions({ selected, onDone }: { selected: Pick<Article, 'id' | 'title'>[]; onDone: () => void }) {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [channel, setChannel] = useState('');
  const [tag, setTag] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    loadChannels().then(setChannels, () => undefined);
  }, []);

  async function run(action: Action, extra: { channel?: string; tag?: string } = {}) {
    setBusy(true);
    setError(null);
    setReport(null);
    const titles = new Map(selected.map((a) => [a.id, a.title]));
    try {
      const answer = await api<BulkAnswer>('POST', '/articles/bulk', { action, ids: selected.map((a) => a.id), ...extra });
      setReport({
        action,
        done: answer.done,
        unchanged: answer.items.filter((i) => i.ok && 'unchanged' in i).length,
        failures: answer.items
          .filter((i) => !i.ok)
          .map((i) => ({
            id: i.id,
            title: titles.get(i.id) ?? `#${i.id}`,
            why: 'error' in i && i.error ? explain(new ApiError(400, i.error.code, i.error.message, i.error.field)) : '未能完成',
          })),
      });
      if (action === 'tag') setTag('');
      onDone();
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  }

  if (selected.length === 0 && !report && !error) return null;
  const none = selected.length === 0;
  return (
    <div class="bulk-actions" data-bulk-actions>
      {none ? null : (
        <div class="bulk-bar" role="toolbar" aria-label="批量操作">
          <span class="bulk-count">已选 {selected.length} 篇</span>
          <button type="button" class="primary" data-bulk="publish" disabled={busy} onClick={() => void run('publish')}>
            发布
          </button>
          <button type="button" data-bulk="unpublish" disabled={busy} onClick={() => void run('unpublish')}>
            撤稿
          </button>
          <span class="bulk-group">
            <label class="visually-hidden" for="bulk-channel">
              目标频道
            </label>
            <ChannelSelect id="bulk-channel" channels={channels} value={channel} onChange={setChannel} disabled={busy} />
            <button type="button" data-bulk="move" disabled={busy || channel === ''} onClick={() => void run('move', { channel })}>
              移动到频道
            </button>
          </span>
          <span class="bulk-group">
            <label class="visually-hidden" for="bulk-tag">
              标签
            </label>
            <input
              id="bulk-tag"
              type="text"
              maxLength={32}
              placeholder="标签"
              value={tag}
              disabled={busy}
              onInput={(e) => setTag((e.target as HTMLInputElement).value)}
            />
            <button type="button" data-bulk="tag" disabled={busy || tag.trim() === ''} onClick={() => void run('tag', { tag: tag.trim() })}>
              添加标签
            </button>
          </span>
          <button type="button" class="danger" data-bulk="delete" disabled={busy} onClick={() => setConfirming(true)}>
            删除
          </button>
          {busy ? <span class="muted">正在处理…</span> : null}
        </div>
      )}
      <Dialog title="删除稿件" open={confirming} onClose={() => setConfirming(false)}>
        <p>确定删除选中的 {selected.length} 篇稿件吗？只有从未发布过的草稿和待审稿件会被删除；删除的稿件在回收站中保留 30 天，可以恢复。</p>
        <div class="row">
          <button
            type="button"
            class="danger"
            data-confirm-delete
            onClick={() => {
              setConfirming(false);
              void run('delete');
            }}
          >
            删除
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            取消
          </button>
        </div>
      </Dialog>
      <Notice>{error}</Notice>
      {report ? (
        <div class="bulk-report" data-bulk-report>
          <Notice kind={report.failures.length ? 'info' : 'ok'} onDismiss={() => setReport(null)}>
            {`${actionNames[report.action]}：${report.done} 篇完成${report.unchanged ? `（其中 ${report.unchanged} 篇原本就是这样）` : ''}${
              report.failures.length ? `，${report.failures.length} 篇未能完成` : ''
            }。`}
          </Notice>
          {report.failures.length ? (
            <ul class="bulk-failures">
              {report.failures.map((f) => (
                <li data-failed-id={f.id}>
                  《{f.title}》：{f.why}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
