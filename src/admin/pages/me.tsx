import { useState } from 'preact/hooks';
import type { User } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { Notice, roleNames } from '../ui.tsx';

export function MePage({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const change = async (e: Event) => {
    e.preventDefault();
    if (next !== again) return setMessage({ kind: 'error', text: '两次输入的新密码不一致。' });
    try {
      await api('POST', `/accounts/${encodeURIComponent(user.username)}/password`, { password: next, currentPassword: current });
      setCurrent('');
      setNext('');
      setAgain('');
      setMessage({ kind: 'ok', text: '密码已修改，其他设备上的登录已全部退出。' });
    } catch (err) {
      setMessage({ kind: 'error', text: explain(err) });
    }
  };

  const signOutEverywhere = async () => {
    if (!confirm('退出所有设备上的登录（包括本机）吗？')) return;
    await api('DELETE', '/session?everywhere=true').catch(() => undefined);
    onSignedOut();
  };

  return (
    <div class="page narrow">
      <h1>我的账号</h1>
      <p>
        {user.displayName}（{user.username}）· {roleNames[user.role]}
      </p>
      <form class="card" onSubmit={change}>
        <h2>修改密码</h2>
        <label class="field">
          <span>当前密码</span>
          <input type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>新密码（至少 8 个字符）</span>
          <input
            type="password"
            autocomplete="new-password"
            minLength={8}
            required
            value={next}
            onInput={(e) => setNext((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>再次输入新密码</span>
          <input
            type="password"
            autocomplete="new-password"
            minLength={8}
            required
            value={again}
            onInput={(e) => setAgain((e.target as HTMLInputElement).value)}
          />
        </label>
        {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
        <button type="submit" class="primary">
          修改密码
        </button>
      </form>
      <div class="card">
        <h2>登录设备</h2>
        <p>如果在公共电脑上登录过，或丢失了手机，可以退出所有设备上的登录。</p>
        <button type="button" class="danger" onClick={() => void signOutEverywhere()}>
          退出所有设备
        </button>
      </div>
    </div>
  );
}
