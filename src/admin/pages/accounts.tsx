import { useState } from 'preact/hooks';
import type { Account, List, User } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, roleNames, roles, useLoad } from '../ui.tsx';

function AccountRow({ account, self, onDone }: { account: Account; self: boolean; onDone: (msg: string | null, err?: string) => void }) {
  const [password, setPassword] = useState('');
  const patch = async (body: object, msg: string) => {
    try {
      await api('PATCH', `/accounts/${encodeURIComponent(account.username)}`, body);
      onDone(msg);
    } catch (e) {
      onDone(null, explain(e));
    }
  };
  const reset = async () => {
    try {
      await api('POST', `/accounts/${encodeURIComponent(account.username)}/password`, { password });
      setPassword('');
      onDone(`已重置 ${account.username} 的密码，其所有登录已退出。`);
    } catch (e) {
      onDone(null, explain(e));
    }
  };
  return (
    <tr data-account={account.username} class={account.disabled ? 'disabled' : undefined}>
      <td>{account.username}</td>
      <td>{account.displayName}</td>
      <td>
        <select
          aria-label={`${account.username} 的角色`}
          value={account.role}
          disabled={self}
          onChange={(e) => void patch({ role: (e.target as HTMLSelectElement).value }, `已修改 ${account.username} 的角色。`)}
        >
          {roles.map((r) => (
            <option value={r}>{roleNames[r]}</option>
          ))}
        </select>
      </td>
      <td>{account.disabled ? '已停用' : '正常'}</td>
      <td>{formatTime(account.createdAt)}</td>
      <td class="actions">
        {self ? null : account.disabled ? (
          <button type="button" class="small" onClick={() => void patch({ disabled: false }, `已启用 ${account.username}。`)}>
            启用
          </button>
        ) : (
          <button
            type="button"
            class="small danger"
            onClick={() => confirm(`停用 ${account.username}？其所有登录会立即退出。`) && void patch({ disabled: true }, `已停用 ${account.username}。`)}
          >
            停用
          </button>
        )}
        {self ? null : (
          <span class="inline-form">
            <input
              type="password"
              aria-label={`${account.username} 的新密码`}
              placeholder="新密码"
              autocomplete="new-password"
              minLength={8}
              value={password}
              onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
            />
            <button type="button" class="small" disabled={password.length < 8} onClick={() => void reset()}>
              重置密码
            </button>
          </span>
        )}
      </td>
    </tr>
  );
}

export function AccountsPage({ user, onChange }: { user: User; onChange: () => Promise<void> }) {
  const list = () => api<List<Account>>('GET', '/accounts').then((r) => r.items);
  const { data, error, reload, setData } = useLoad(list, []);
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [form, setForm] = useState({ username: '', displayName: '', role: 'reporter', password: '' });
  // The message shows with the list as it now is: rows (keyed by role and state) are replaced in the same render.
  const done = async (msg: string | null, err?: string) => {
    const fresh = await list().catch(() => undefined);
    if (fresh) setData(fresh);
    else reload();
    setMessage(msg);
    setFailure(err ?? null);
    await onChange();
  };
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await api('POST', '/accounts', form);
      await done(`已创建账号 ${form.username}。`);
      setForm({ username: '', displayName: '', role: 'reporter', password: '' });
    } catch (err) {
      setFailure(explain(err));
    }
  };
  const field = (key: keyof typeof form) => ({ value: form[key], onInput: (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value }) });
  return (
    <div class="page">
      <h1>账号</h1>
      <Notice kind="ok">{message}</Notice>
      <Notice>{failure ?? error}</Notice>
      <table class="table accounts">
        <thead>
          <tr>
            <th scope="col">用户名</th>
            <th scope="col">姓名</th>
            <th scope="col">角色</th>
            <th scope="col">状态</th>
            <th scope="col">创建时间</th>
            <th scope="col">操作</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((a) => (
            <AccountRow key={`${a.username}-${a.role}-${a.disabled}`} account={a} self={a.username === user.username} onDone={done} />
          ))}
        </tbody>
      </table>
      <form class="card inline-form" onSubmit={create}>
        <h2>新建账号</h2>
        <label class="field">
          <span>用户名</span>
          <input required pattern="[a-z0-9][a-z0-9_.\-]{1,31}" {...field('username')} />
        </label>
        <label class="field">
          <span>姓名</span>
          <input maxLength={50} {...field('displayName')} />
        </label>
        <label class="field">
          <span>角色</span>
          <select value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
            {roles.map((r) => (
              <option value={r}>{roleNames[r]}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>初始密码（至少 8 个字符）</span>
          <input type="password" autocomplete="new-password" required minLength={8} {...field('password')} />
        </label>
        <button type="submit" class="primary">
          创建
        </button>
      </form>
    </div>
  );
}
