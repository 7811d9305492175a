import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import type { Account, Channel, SessionState, User, UserAbilities } from '../shared/api.ts';
import { api, SIGNED_IN_AGAIN, setCsrfToken, whenSignedOut } from './api.ts';
import { AccountsPage } from './pages/accounts.tsx';
import { ArchivePage } from './pages/archive.tsx';
import { AuditPage } from './pages/audit.tsx';
import { ChannelsPage } from './pages/channels.tsx';
import { Dashboard } from './pages/dashboard.tsx';
import { EditorPage } from './pages/editor.tsx';
import { HistoryPage } from './pages/history.tsx';
import { ImportsPage } from './pages/imports.tsx';
import { LivePage } from './pages/live.tsx';
import { LoginPage, SignInAgainDialog } from './pages/login.tsx';
import { MediaLibraryPage } from './pages/media.tsx';
import { MePage } from './pages/me.tsx';
import { SlotsPage } from './pages/slots.tsx';
import { NewPollPage, PollPage, PollsPage } from './pages/polls.tsx';
import { SynonymsPage } from './pages/synonyms.tsx';
import { CommentsPage } from './pages/comments.tsx';
import { SensitiveWordsPage } from './pages/sensitive-words.tsx';
import { TokensPage } from './pages/tokens.tsx';
import { TopicsPage } from './pages/topics.tsx';
import { TrashPage } from './pages/trash.tsx';
import { confirmLeave, match, onLinkClick, usePath } from './router.ts';
import { loadChannels, loadPeople, roleNames } from './ui.tsx';

/** `expired`: the server ended the session while a page was open; the page stays under the sign-in form. */
type Session = { user: User; expired?: boolean } | null | undefined;

interface NavItem {
  href: string;
  label: string;
  /** The ability the page needs (the server says who has it); none: everyone's. */
  needs?: keyof UserAbilities;
}

const nav: NavItem[] = [
  { href: '/admin', label: '稿件' },
  { href: '/admin/archive', label: '稿件库' },
  { href: '/admin/articles/new', label: '写新稿' },
  { href: '/admin/media', label: '图片库' },
  { href: '/admin/topics', label: '专题', needs: 'manageTopics' },
  { href: '/admin/polls', label: '投票', needs: 'managePolls' },
  { href: '/admin/slots', label: '首页推荐', needs: 'manageSlots' },
  { href: '/admin/channels', label: '频道', needs: 'manageChannels' },
  { href: '/admin/trash', label: '回收站' },
  { href: '/admin/audit', label: '审计日志', needs: 'readAudit' },
  { href: '/admin/accounts', label: '账号', needs: 'manageAccounts' },
  { href: '/admin/tokens', label: 'API 令牌', needs: 'manageTokens' },
  { href: '/admin/synonyms', label: '搜索同义词', needs: 'manageSynonyms' },
  { href: '/admin/imports', label: '导入', needs: 'runImports' },
  { href: '/admin/comments', label: '留言审核', needs: 'moderateComments' },
  { href: '/admin/words', label: '敏感词', needs: 'configureComments' },
];

export function App() {
  const [session, setSession] = useState<Session>(undefined);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [people, setPeople] = useState<Account[]>([]);
  const path = usePath();

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      // Not the sign-in page in its place: that would throw away what the page holds (an editor's unsaved text).
      setSession((s) => (s ? { user: s.user, expired: true } : null));
    });
    api<SessionState>('GET', '/session').then(
      (r) => {
        setCsrfToken(r.user ? r.csrfToken : null);
        setSession(r.user ? { user: r.user } : null);
      },
      () => setSession(null),
    );
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);

  const user = session?.user;
  const refreshChannels = () => loadChannels().then(setChannels, () => undefined);
  const refreshPeople = () => loadPeople().then(setPeople, () => undefined);
  useEffect(() => {
    if (!user) return;
    void refreshChannels();
    void refreshPeople();
  }, [user?.username]);

  if (session === undefined) return <p class="muted boot">正在加载…</p>;
  if (!user) {
    return (
      <LoginPage
        onSignedIn={(u, csrf) => {
          setCsrfToken(csrf);
          setSession({ user: u });
        }}
      />
    );
  }

  const signOut = async () => {
    if (!confirmLeave()) return;
    await api('DELETE', '/session').catch(() => undefined);
    setCsrfToken(null);
    setSession(null);
  };

  let page: ComponentChildren;
  let m: Record<string, string> | null;
  if (path === '/admin' || path === '/admin/') page = <Dashboard user={user} channels={channels} people={people} />;
  else if (match('/admin/archive', path)) page = <ArchivePage user={user} channels={channels} people={people} />;
  else if (match('/admin/articles/new', path)) page = <EditorPage key="editor" id={undefined} user={user} channels={channels} people={people} />;
  else if ((m = match('/admin/articles/:id/history', path))) page = <HistoryPage id={Number(m.id)} people={people} />;
  else if ((m = match('/admin/articles/:id/live', path))) page = <LivePage id={Number(m.id)} user={user} people={people} />;
  else if ((m = match('/admin/articles/:id', path))) page = <EditorPage key="editor" id={Number(m.id)} user={user} channels={channels} people={people} />;
  else if (match('/admin/media', path)) page = <MediaLibraryPage people={people} />;
  else if (match('/admin/trash', path)) page = <TrashPage channels={channels} />;
  else if (match('/admin/audit', path)) page = <AuditPage />;
  else if (match('/admin/channels', path)) page = <ChannelsPage channels={channels} onChange={refreshChannels} />;
  else if (match('/admin/topics', path)) page = <TopicsPage />;
  else if (match('/admin/slots', path)) page = <SlotsPage />;
  else if (match('/admin/accounts', path)) page = <AccountsPage user={user} onChange={refreshPeople} />;
  else if (match('/admin/tokens', path)) page = <TokensPage people={people} />;
  else if (match('/admin/synonyms', path)) page = <SynonymsPage />;
  else if (match('/admin/imports', path)) page = <ImportsPage />;
  else if (match('/admin/polls/new', path)) page = <NewPollPage />;
  else if ((m = match('/admin/polls/:id', path))) page = <PollPage key={m.id} id={Number(m.id)} user={user} />;
  else if (match('/admin/polls', path)) page = <PollsPage user={user} />;
  else if (match('/admin/comments', path)) page = <CommentsPage user={user} channels={channels} />;
  else if (match('/admin/words', path)) page = <SensitiveWordsPage />;
  else if (match('/admin/me', path)) page = <MePage user={user} onSignedOut={() => (setCsrfToken(null), setSession(null))} />;
  else
    page = (
      <p class="page">
        页面不存在。<a href="/admin">回到稿件列表</a>
      </p>
    );

  const signedInAgain = (u: User, csrf: string | null) => {
    setCsrfToken(csrf);
    setSession({ user: u });
    // Pages retry what the ended session refused (the editor its save); another person gets fresh pages (key below).
    if (u.username === user.username) queueMicrotask(() => dispatchEvent(new Event(SIGNED_IN_AGAIN)));
  };

  return (
    <>
      {session.expired ? <SignInAgainDialog username={user.username} onSignedIn={signedInAgain} /> : null}
      <header class="topbar">
        <a class="brand" href="/admin">
          <span class="brand-mark" aria-hidden="true">
            砚
          </span>
          编辑部
        </a>
        <nav aria-label="编辑部">
          <ul>
            {nav
              .filter((n) => !n.needs || user.abilities[n.needs])
              .map((n) => (
                <li>
                  <a href={n.href} aria-current={path === n.href ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <div class="who">
          <a href="/admin/me" data-me>
            {user.displayName}（{roleNames[user.role]}）
          </a>
          <a href="/" target="_blank" rel="noopener">
            查看网站
          </a>
          <button type="button" class="link" onClick={() => void signOut()}>
            退出
          </button>
        </div>
      </header>
      <main id="main" key={user.username}>
        {page}
      </main>
    </>
  );
}
