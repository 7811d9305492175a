import { useEffect, useState } from 'preact/hooks';
import type { Session, User } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { Notice } from '../ui.tsx';

type SignedIn = (user: User, csrfToken: string | null) => void;

export function LoginPage({ onSignedIn }: { onSignedIn: SignedIn }) {
  return (
    <main class="login">
      <LoginForm onSignedIn={onSignedIn} />
    </main>
  );
}

/**
 * The session ended while a page was open (expired, signed out in another tab or everywhere, password changed): the
 * sign-in form over the page, which stays as it was underneath (an editor's unsaved text included) and cannot be
 * changed meanwhile. It cannot be dismissed: the page's next request would be refused again.
 */
export function SignInAgainDialog({ username, onSignedIn }: { username: string; onSignedIn: SignedIn }) {
  const [el, setEl] = useState<HTMLDialogElement | null>(null);
  useEffect(() => {
    if (el && !el.open) el.showModal();
  }, [el]);
  return (
    <dialog
      ref={setEl}
      class="dialog sign-in-again"
      aria-label="重新登录"
      data-sign-in-again
      onCancel={(e) => e.preventDefault()}
      // Chromium closes a dialog on a second Escape even when the first was refused: open it again.
      onClose={() => el?.showModal()}
    >
      <p>登录已失效，请重新登录。页面上的内容都还在，未保存的更改会在登录后保存。</p>
      <LoginForm onSignedIn={onSignedIn} initialUsername={username} />
    </dialog>
  );
}

function LoginForm({ onSignedIn, initialUsername = '' }: { onSignedIn: SignedIn; initialUsername?: string }) {
  const [username, setUsername] = useState(initialUsername);
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
  );
}
