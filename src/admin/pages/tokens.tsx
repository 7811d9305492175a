import { useState } from 'preact/hooks';
import type { Account, List, NewToken, Token } from '../../shared/api.ts';
import { api, creator, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, useLoad } from '../ui.tsx';

export function TokensPage({ people }: { people: Account[] }) {
  const { data, error, reload } = useLoad(() => api<List<Token>>('GET', '/tokens').then((r) => r.items), []);
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewToken | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // A dropped connection is retried with the same Idempotency-Key: the token already made, with its secret, not a second one.
  const [createToken] = useState(() => creator<NewToken>('/tokens'));

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      setCreated(await createToken({ username, name }));
      setName('');
      setFailure(null);
      reload();
    } catch (err) {
      setFailure(explain(err));
    }
  };
  const revoke = async (t: Token) => {
    if (!confirm(`撤销令牌“${t.name}”？使用它的脚本将立即无法访问。`)) return;
    try {
      await api('DELETE', `/tokens/${t.id}`);
      reload();
    } catch (err) {
      setFailure(explain(err));
    }
  };

  return (
    <div class="page">
      <h1>API 令牌</h1>
      <p class="muted">脚本和外部工具用令牌代替密码访问接口（请求头 Authorization: Bearer 令牌）。令牌只在创建时显示一次。</p>
      <Notice>{failure ?? error}</Notice>
      {created ? (
        <div class="card token-once" role="status">
          <p>
            已为 {created.username} 创建令牌“{created.name}”。请立即复制保存，关闭后将无法再次查看：
          </p>
          <code data-new-token>{created.token}</code>
          <div class="row">
            <button type="button" class="small" onClick={() => void navigator.clipboard?.writeText(created.token)}>
              复制
            </button>
            <button type="button" class="small" onClick={() => setCreated(null)}>
              我已保存
            </button>
          </div>
        </div>
      ) : null}
      <table class="table tokens">
        <thead>
          <tr>
            <th scope="col">名称</th>
            <th scope="col">账号</th>
            <th scope="col">创建时间</th>
            <th scope="col">最近使用</th>
            <th scope="col">状态</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((t) => (
            <tr data-token={t.id}>
              <td>{t.name}</td>
              <td>{t.username}</td>
              <td>{formatTime(t.createdAt)}</td>
              <td>{formatTime(t.lastUsedAt)}</td>
              <td>{t.revokedAt ? `已撤销（${formatTime(t.revokedAt)}）` : '有效'}</td>
              <td>
                {t.revokedAt ? null : (
                  <button type="button" class="small danger" onClick={() => void revoke(t)}>
                    撤销
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card inline-form" onSubmit={create}>
        <h2>新建令牌</h2>
        <label class="field">
          <span>账号</span>
          <select required value={username} onChange={(e) => setUsername((e.target as HTMLSelectElement).value)}>
            <option value="">请选择</option>
            {people
              .filter((p) => !p.disabled)
              .map((p) => (
                <option value={p.username}>
                  {p.displayName}（{p.username}）
                </option>
              ))}
          </select>
        </label>
        <label class="field">
          <span>用途</span>
          <input required maxLength={100} placeholder="如：导入脚本" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary">
          创建令牌
        </button>
      </form>
    </div>
  );
}
