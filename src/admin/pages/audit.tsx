import { useState } from 'preact/hooks';
import type { AuditEvent, Paged } from '../../shared/api.ts';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, useLoad } from '../ui.tsx';

const actionNames: Record<string, string> = {
  'article.create': '创建稿件',
  'article.edit': '修改稿件',
  'article.submit': '提交审核',
  'article.return': '退回修改',
  'article.publish': '发布',
  'article.schedule': '定时发布',
  'article.unpublish': '撤稿',
  'article.restore': '恢复旧版',
  'session.create': '登录',
  'session.delete': '退出登录',
  'session.delete_all': '退出所有设备',
  'account.create': '创建账号',
  'account.update': '修改账号',
  'account.password': '修改密码',
  'account.password_reset': '重置密码',
  'account.login_attack': '账号遭多个地址猜测密码（已减速）',
  'token.create': '创建 API 令牌',
  'token.revoke': '撤销 API 令牌',
  'channel.create': '创建频道',
  'channel.update': '修改频道',
  'topic.create': '创建专题',
  'topic.update': '修改专题',
  'slot.set': '设置首页推荐',
  'source.create': '新增来源',
  'source.update': '修改来源',
};

const PAGE = 50;

function subject(e: AuditEvent) {
  if (e.subjectType === 'article') return <a href={`/admin/articles/${e.subjectId}`}>稿件 #{e.subjectId}</a>;
  return `${e.subjectType} ${e.subjectId}`;
}

function detail(e: AuditEvent): string {
  const d = { ...e.detail };
  delete d.revision;
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('；');
}

export function AuditPage() {
  const [before, setBefore] = useState<number[]>([]);
  const cursor = before[before.length - 1];
  const { data, error } = useLoad(() => api<Paged<AuditEvent>>('GET', `/audit?limit=${PAGE}${cursor ? `&before=${cursor}` : ''}`), [cursor]);
  return (
    <div class="page">
      <h1>审计日志</h1>
      <Notice>{error}</Notice>
      {data ? (
        <>
          <table class="table audit">
            <thead>
              <tr>
                <th scope="col">时间</th>
                <th scope="col">操作人</th>
                <th scope="col">操作</th>
                <th scope="col">对象</th>
                <th scope="col">详情</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((e) => (
                <tr data-audit-id={e.id}>
                  <td>{formatTime(e.at)}</td>
                  <td>{e.actor ?? '系统'}</td>
                  <td>{actionNames[e.action] ?? e.action}</td>
                  <td>{subject(e)}</td>
                  <td class="detail">{detail(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="row">
            {before.length > 0 ? (
              <button type="button" onClick={() => setBefore((b) => b.slice(0, -1))}>
                上一页
              </button>
            ) : null}
            {data.next ? (
              <button type="button" onClick={() => setBefore((b) => [...b, data.next!])}>
                下一页
              </button>
            ) : null}
          </div>
        </>
      ) : (
        <p class="muted">正在加载…</p>
      )}
    </div>
  );
}
