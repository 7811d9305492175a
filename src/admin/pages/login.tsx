import { useState } from 'preact/hooks';
import type { Session, User } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { Notice } from '../ui.tsx';

export function LoginPage({ onSignedIn }: { onSignedIn: (user: User, csrfToken: string | null) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const siteName = document.body.dataset.siteName ?? '';

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<Session>('POST', '/session', { username, password });
      onSignedIn(r.user, r.csrfToken);
    } catch (err) {
      setError(explain(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit}>
        <h1>
          <span class="brand-mark" aria-hidden="true">
            砚
          </span>
          {siteName} · 编辑部
        </h1>
        <label for="login-username">用户名</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
        />
        <label for="login-password">密码</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
        <Notice>{error}</Notice>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? '正在登录…' : '登录'}
        </button>
      </form>
    </main>
  );
}
