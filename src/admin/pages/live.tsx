import { useEffect, useRef, useState } from 'preact/hooks';
import type { Account, Article, LiveAnswer, LiveEntryItem, MediaItem, User } from '../../shared/api.ts';
import { api, explain, newIdempotencyKey, refusedOutright, sendKeyed } from '../api.ts';
import { type CopyOf, type LocalCopy, readLocalCopy, removeLocalCopy, sentOf, writeLocalCopy } from '../editor/recovery.ts';
import { useCopyOut } from '../editor/recovery-view.tsx';
import { formatTime } from '../format.ts';
import { useLeaveGuard } from '../router.ts';
import { MediaBrowser } from '../media-browser.tsx';
import { shownMedia } from '../media-url.ts';
import { Dialog, Notice, StatusBadge, useLoad } from '../ui.tsx';

/** How often the page reads the live again, to show what colleagues posted meanwhile. */
const REFRESH_MS = 5_000;

interface Draft {
  body: string;
  quoteText: string;
  quoteSource: string;
  images: { id: number; src: string; alt: string }[];
  pinned: boolean;
}

const empty = (): Draft => ({ body: '', quoteText: '', quoteSource: '', images: [], pinned: false });

const fromEntry = (e: LiveEntryItem): Draft => ({
  body: e.body,
  quoteText: e.quote?.text ?? '',
  quoteSource: e.quote?.source ?? '',
  images: e.images.map((i) => ({ id: i.mediaId, src: i.src, alt: i.alt })),
  pinned: e.pinned,
});

const payload = (d: Draft) => ({
  body: d.body,
  quote: d.quoteText.trim() ? { text: d.quoteText, source: d.quoteSource } : null,
  images: d.images.map((i) => i.id),
  pinned: d.pinned,
});

/**
 * A POST of a new entry whose outcome is not known yet (sent, and no answer or none that tells): its body as sent and
 * its Idempotency-Key, kept whatever the form says meanwhile until it is answered or refused outright; and the entry it
 * made, once a resend learned it and the form's text (changed since) is still to be brought onto that entry.
 */
interface Pending {
  body: string;
  key: string;
  sentAt: number;
  made?: { id: number; seq: number };
}

/** What became of a submit: done, not known (the form keeps the post's key), or refused outright (nothing was made). */
type Submitted = boolean | 'refused';

const contentOf = (d: Draft): LocalCopy['content'] => ({
  fields: { quoteText: d.quoteText, quoteSource: d.quoteSource, pinned: d.pinned ? '1' : '', images: JSON.stringify(d.images) },
  body: d.body,
});

/**
 * An unsent entry (or change of an entry) as the browser keeps it (recovery.ts holds form fields as text: the images
 * as JSON), with the post that may have reached the server (its key, so 发布 after 恢复 sends it again as it was) and,
 * for a change, the entry's version it was made on.
 */
const toCopy = (d: Draft, pending: Pending | null, base: { seq: number; initial: Draft } | null): LocalCopy => ({
  at: Date.now(),
  content: contentOf(d),
  base: base ? { revision: base.seq, content: contentOf(base.initial) } : null,
  ...(pending ? { sent: { key: pending.key, payload: pending.body, sentAt: pending.sentAt } } : {}),
});

/** A kept entry as plain text, to read and copy out where it cannot go back into a form. */
function entryText(d: Draft): string {
  const quote = d.quoteText.trim() ? `“${d.quoteText.trim()}”${d.quoteSource.trim() ? `——${d.quoteSource.trim()}` : ''}` : '';
  return [d.body.trim(), quote, d.images.length ? `[图片 ${d.images.length} 张]` : ''].filter(Boolean).join('\n\n');
}

function fromCopy(copy: LocalCopy): Draft {
  const f = copy.content.fields;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  let images: Draft['images'] = [];
  try {
    const parsed: unknown = JSON.parse(text(f.images) || '[]');
    if (Array.isArray(parsed))
      images = parsed.filter((i) => i && typeof i.id === 'number' && typeof i.src === 'string').map((i) => ({ id: i.id, src: i.src, alt: text(i.alt) }));
  } catch {
    // Damaged images: the text is still worth having.
  }
  return { body: copy.content.body, quoteText: text(f.quoteText), quoteSource: text(f.quoteSource), images: images.slice(0, 9), pinned: f.pinned === '1' };
}

/** The browser's copy of an unsent entry follows the form this long after a change (at once when the tab goes away). */
const LOCAL_COPY_MS = 300;

/**
 * The form of an entry: text, a quote with its source, library images and 置顶; used to post and to edit. What is
 * typed (`keep`: a new entry, or a change of the entry `keep.entry`) is also kept in the browser (recovery.ts, per
 * account, article and entry) while it is unsent, so a tab that dies loses nothing: opening the live page again
 * offers it back (恢复 / 丢弃). A new entry's post carries an Idempotency-Key, kept with the copy before it goes:
 * when its answer was lost, sending the same entry again (also after 恢复 in another tab) answers the entry it made.
 */
function EntryForm({
  initial,
  people,
  submitLabel,
  onSubmit,
  onCancel,
  keep,
}: {
  initial: Draft;
  people: Account[];
  submitLabel: string;
  /** Sends the form; a new entry's post with `sent`'s key and body (on which it notes the entry it learned it made). */
  onSubmit: (d: Draft, sent: Pending) => Promise<Submitted>;
  onCancel?: () => void;
  keep?: { username: string; articleId: number; entry?: { id: number; seq: number } };
}) {
  // Only read or written with `keep`.
  const copyOf: CopyOf = { live: keep?.articleId ?? 0, entry: keep?.entry?.id };
  const [d, setD] = useState<Draft>(initial);
  const [picking, setPicking] = useState(false);
  const [sending, setSending] = useState(false);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  // An entry being written (or changed) is not thrown away unasked: leaving the page or the tab asks first.
  const latest = useRef({ d, initial });
  latest.current = { d, initial };
  const unsent = () => JSON.stringify(latest.current.d) !== JSON.stringify(latest.current.initial);
  useLeaveGuard(unsent);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (unsent()) e.preventDefault();
    };
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, []);

  // One Idempotency-Key per new entry: kept while its post's outcome is unknown (the server may have posted it and
  // only the answer was lost), also when the text changes meanwhile; dropped once posted or refused outright.
  const pending = useRef<Pending | null>(null);
  // An earlier visit's unsent entry, until the writer takes it back or drops it (no copy is written meanwhile).
  const [offered, setOffered] = useState<LocalCopy | null>(() => {
    if (!keep) return null;
    const copy = readLocalCopy(keep.username, copyOf);
    return copy && JSON.stringify(fromCopy(copy)) !== JSON.stringify(initial) ? copy : null;
  });
  const waiting = useRef(offered !== null);
  waiting.current = offered !== null;
  const syncCopy = () => {
    if (!keep || waiting.current) return;
    const base = keep.entry ? { seq: keep.entry.seq, initial: latest.current.initial } : null;
    // A change of an entry is a PATCH (If-Match, no key): only a new entry's post has one to keep.
    if (unsent()) writeLocalCopy(keep.username, copyOf, toCopy(latest.current.d, base ? null : pending.current, base));
    else removeLocalCopy(keep.username, copyOf);
  };
  useEffect(() => {
    if (!keep || offered) return;
    const timer = setTimeout(syncCopy, LOCAL_COPY_MS);
    return () => clearTimeout(timer);
  }, [d, offered]);
  useEffect(() => {
    if (!keep) return;
    const hidden = () => document.visibilityState === 'hidden' && syncCopy();
    addEventListener('pagehide', syncCopy);
    document.addEventListener('visibilitychange', hidden);
    return () => {
      removeEventListener('pagehide', syncCopy);
      document.removeEventListener('visibilitychange', hidden);
      syncCopy();
    };
  }, []);
  // The form holds still until the writer chooses (text typed meanwhile would be neither kept nor restored).
  const held = offered !== null;
  const restore = () => {
    if (!offered) return;
    const restored = fromCopy(offered);
    // A post of it that may have reached the server: sent again with its key, the server answers the entry it made.
    const sent = sentOf(offered);
    if (sent && typeof sent.payload === 'string') pending.current = { body: sent.payload, key: sent.key, sentAt: sent.sentAt };
    latest.current.d = restored;
    setD(restored);
    setOffered(null);
  };
  const discard = () => {
    if (!keep) return;
    removeLocalCopy(keep.username, copyOf);
    setOffered(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setSending(true);
    try {
      // A post whose answer never came goes again as it was, with its key (the server answers the entry it made), and
      // text changed since follows as an edit of that entry (as the article editor saves what was typed after its
      // creation onto the article): never a second entry. Only a post refused outright lets the next take a new key.
      pending.current ??= { body: JSON.stringify(payload(d)), key: newIdempotencyKey(), sentAt: Date.now() };
      // The key is kept with the copy before the post goes: a tab that dies before the answer sends it again.
      syncCopy();
      const submitted = await onSubmit(d, pending.current);
      if (submitted === 'refused') {
        pending.current = null;
        syncCopy();
      }
      if (submitted === true) {
        pending.current = null;
        setD(initial);
        latest.current.d = initial;
        // Posted: nothing left to keep (at once, not after the copy's delay).
        syncCopy();
      }
    } finally {
      setSending(false);
    }
  };
  const choose = (m: MediaItem) => {
    if (!d.images.some((i) => i.id === m.id) && d.images.length < 9)
      set({ images: [...d.images, { id: m.id, src: m.thumbnail.url, alt: m.alt || m.caption }] });
    setPicking(false);
  };
  return (
    <form class="live-form card" onSubmit={submit}>
      {offered ? (
        <div class="recovery" role="alert" data-live-recovery>
          <p>
            {keep?.entry ? '这条消息有未保存的修改的本地副本' : '有一条未发布的直播消息的本地副本'}（{formatTime(offered.at)}）：“
            {offered.content.body.slice(0, 40)}
            {offered.content.body.length > 40 ? '…' : ''}”。
            {keep?.entry && offered.base && offered.base.revision !== keep.entry.seq ? '这条消息在副本之后又被修改过，保存副本会替换那次修改。' : ''}
            恢复后放回下面的输入框，需要再点“{submitLabel}”；丢弃后无法找回。
          </p>
          <div class="row">
            <button type="button" class="primary" data-live-recovery-restore onClick={restore}>
              恢复
            </button>
            <button type="button" data-live-recovery-discard onClick={() => confirm('确定丢弃这份本地副本吗？丢弃后无法找回。') && discard()}>
              丢弃
            </button>
          </div>
        </div>
      ) : null}
      <label class="field">
        <span>消息内容</span>
        <textarea
          rows={4}
          maxLength={2000}
          value={d.body}
          data-live-body
          disabled={held}
          onInput={(e) => set({ body: (e.target as HTMLTextAreaElement).value })}
        />
      </label>
      <div class="live-form-quote">
        <label class="field grow">
          <span>引语（可选）</span>
          <input maxLength={500} value={d.quoteText} disabled={held} onInput={(e) => set({ quoteText: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field">
          <span>引语出处</span>
          <input maxLength={100} value={d.quoteSource} disabled={held} onInput={(e) => set({ quoteSource: (e.target as HTMLInputElement).value })} />
        </label>
      </div>
      {d.images.length > 0 ? (
        <ul class="live-form-images">
          {d.images.map((i) => (
            <li>
              <img src={shownMedia(i.src)} alt={i.alt} width={96} />
              <button type="button" class="small" onClick={() => set({ images: d.images.filter((x) => x.id !== i.id) })}>
                移除
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div class="live-actions">
        <button type="button" onClick={() => setPicking(true)} disabled={held || d.images.length >= 9}>
          从图片库添加图片
        </button>
        <label class="check">
          <input type="checkbox" checked={d.pinned} disabled={held} onChange={(e) => set({ pinned: (e.target as HTMLInputElement).checked })} /> 置顶
        </label>
        <button type="submit" class="primary" disabled={sending || held} data-live-submit>
          {sending ? '正在发布…' : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            取消
          </button>
        ) : null}
      </div>
      <Dialog title="从图片库选择图片" open={picking} onClose={() => setPicking(false)}>
        {picking ? <MediaBrowser people={people} chooseLabel="添加" onChoose={choose} /> : null}
        <button type="button" onClick={() => setPicking(false)}>
          关闭
        </button>
      </Dialog>
    </form>
  );
}

/**
 * A kept entry (or change) that cannot go back into a form now (the live ended, or posting or editing it is no longer
 * allowed): shown to read and copy out, kept in the browser until the writer drops it; never posted from here.
 */
function KeptEntry({ username, of }: { username: string; of: { live: number; entry?: number } }) {
  const [copy, setCopy] = useState(() => readLocalCopy(username, of));
  const { copied, area, copyOut: copyTextOut } = useCopyOut();
  if (!copy) return null;
  const text = entryText(fromCopy(copy));
  const copyOut = () => copyTextOut(text);
  const discard = () => {
    removeLocalCopy(username, of);
    setCopy(null);
  };
  return (
    <div class="recovery card" role="alert" data-live-kept>
      <p>
        {of.entry === undefined ? '有一条未发布的直播消息的本地副本' : '这条消息有未保存的修改的本地副本'}（{formatTime(copy.at)}）。
        {of.entry === undefined ? '现在不能发布新消息（直播已结束或您无权发布），' : '您现在不能修改这条消息，'}
        副本仍保留在本浏览器中，可以查看并复制其中的文字；丢弃后无法找回。
      </p>
      <textarea class="recovery-text" readOnly rows={4} ref={area} data-live-kept-text value={text} aria-label="本地副本的文字" />
      <div class="row">
        <button type="button" class="primary" data-live-kept-copy onClick={() => void copyOut()}>
          复制文字
        </button>
        <button type="button" data-live-kept-discard onClick={() => confirm('确定丢弃这份本地副本吗？丢弃后无法找回。') && discard()}>
          丢弃
        </button>
      </div>
      {copied ? <p>{copied}</p> : null}
    </div>
  );
}

function EntryView({
  entry: e,
  people,
  articleId,
  username,
  onChanged,
  onError,
}: {
  entry: LiveEntryItem;
  people: Account[];
  articleId: number;
  username: string;
  onChanged: () => void;
  onError: (message: string | null) => void;
}) {
  // A change of this entry kept from an earlier visit opens its form, which offers it back (恢复 / 丢弃).
  const [editing, setEditing] = useState(() => {
    if (!e.abilities.edit) return false;
    const copy = readLocalCopy(username, { live: articleId, entry: e.id });
    return copy !== null && JSON.stringify(fromCopy(copy)) !== JSON.stringify(fromEntry(e));
  });
  const url = `/articles/${articleId}/live/entries/${e.id}`;
  // Every change names the version it was made on: a colleague's change meanwhile is a 412, not overwritten.
  const write = async (method: 'PATCH' | 'DELETE', body?: unknown) => {
    try {
      await api(method, url, body, { ifMatch: e.seq });
      onError(null);
      onChanged();
      return true;
    } catch (err) {
      onError(explain(err));
      onChanged();
      return false;
    }
  };
  if (editing) {
    return (
      <li class="live-item editing" data-live-entry={e.id}>
        <EntryForm
          initial={fromEntry(e)}
          people={people}
          submitLabel="保存修改"
          onSubmit={async (d) => (await write('PATCH', payload(d))) && (setEditing(false), true)}
          onCancel={() => {
            // Cancelled: the change is dropped on purpose, so no copy of it is offered later.
            removeLocalCopy(username, { live: articleId, entry: e.id });
            setEditing(false);
          }}
          keep={{ username, articleId, entry: { id: e.id, seq: e.seq } }}
        />
      </li>
    );
  }
  return (
    <li class={e.pinned ? 'live-item card pinned' : 'live-item card'} data-live-entry={e.id}>
      <p class="muted small">
        <time dateTime={e.postedAt}>{formatTime(e.postedAt)}</time> · {e.author || '—'}
        {e.pinned ? ' · 置顶' : ''}
        {e.editedAt ? ` · ${formatTime(e.editedAt)} 修改` : ''}
      </p>
      {e.body.split('\n').map((line) => (line.trim() ? <p>{line}</p> : null))}
      {e.quote ? (
        <blockquote>
          {e.quote.text}
          {e.quote.source ? <cite> —— {e.quote.source}</cite> : null}
        </blockquote>
      ) : null}
      {e.images.length ? (
        <p class="live-item-images">
          {e.images.map((i) => (
            <img src={shownMedia(i.src)} alt={i.alt} width={120} />
          ))}
        </p>
      ) : null}
      {e.abilities.edit ? null : <KeptEntry username={username} of={{ live: articleId, entry: e.id }} />}
      {e.abilities.edit ? (
        <div class="live-actions">
          <button type="button" class="small" onClick={() => setEditing(true)}>
            编辑
          </button>
          <button type="button" class="small" onClick={() => void write('PATCH', { pinned: !e.pinned })}>
            {e.pinned ? '取消置顶' : '置顶'}
          </button>
          <button
            type="button"
            class="small danger"
            data-live-delete={e.id}
            onClick={() => confirm('删除这条直播消息？读者将立即看不到它。') && void write('DELETE')}
          >
            删除
          </button>
        </div>
      ) : null}
    </li>
  );
}

/**
 * 图文直播 of one article: open it, post entries (text, a quote, library images, 置顶), edit, pin or delete them, and
 * close it (已结束) or open it again. Readers see each change at once; the list here refreshes every few seconds to
 * show colleagues' posts.
 */
export function LivePage({ id, user, people }: { id: number; user: User; people: Account[] }) {
  const article = useLoad(() => api<Article>('GET', `/articles/${id}`), [id]);
  const live = useLoad(() => api<LiveAnswer>('GET', `/articles/${id}/live`), [id]);
  const [error, setError] = useState<string | null>(null);
  const [ok, setOk] = useState<string | null>(null);
  useEffect(() => {
    const timer = setInterval(live.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [live.reload]);

  const setStatus = async (status: 'live' | 'ended') => {
    try {
      await api('PUT', `/articles/${id}/live`, { status });
      setError(null);
      setOk(status === 'live' ? '直播已开启。' : '直播已结束，读者页面显示“已结束”。');
      live.reload();
    } catch (e) {
      setError(explain(e));
    }
  };
  // The form's new entry: its post (`sent`, with its Idempotency-Key, as it first went), then, when the form's text
  // differs from what that post sent (changed after an answer was lost), an edit of the entry the post made.
  const post = async (d: Draft, sent: Pending): Promise<Submitted> => {
    const entries = `/articles/${id}/live/entries`;
    try {
      if (!sent.made) {
        const entry = await sendKeyed(() => api<LiveEntryItem>('POST', entries, JSON.parse(sent.body), { idempotencyKey: sent.key }));
        sent.made = { id: entry.id, seq: entry.seq };
      }
      if (JSON.stringify(payload(d)) !== sent.body) await api('PATCH', `${entries}/${sent.made.id}`, payload(d), { ifMatch: sent.made.seq });
      setError(null);
      setOk('已发布，读者页面即时更新。');
      live.reload();
      return true;
    } catch (e) {
      if (!sent.made) {
        setError(explain(e));
        return refusedOutright(e) ? 'refused' : false;
      }
      // Posted as first sent; the change after it is still in the form, and goes as an edit when sent again.
      setError(`消息已发布，但之后的修改未能保存：${explain(e)}`);
      live.reload();
      return false;
    }
  };

  const a = article.data;
  const l = live.data;
  return (
    <div class="page live-page">
      <div class="page-head">
        <h1>图文直播{a ? `：${a.title}` : ''}</h1>
        {a ? <StatusBadge status={a.status} /> : null}
      </div>
      <Notice>{article.error ?? live.error ?? error}</Notice>
      {ok ? (
        <Notice kind="ok" onDismiss={() => setOk(null)}>
          {ok}
        </Notice>
      ) : null}
      {!a || !l ? (
        <p class="muted">正在加载…</p>
      ) : (
        <>
          <div class="live-actions">
            <span class={`badge live-badge-${l.live?.status ?? 'none'}`} data-live-state={l.live?.status ?? 'none'}>
              {l.live ? (l.live.status === 'live' ? '直播中' : '已结束') : '未开启直播'}
            </span>
            {l.abilities.manage && l.live?.status !== 'live' ? (
              <button type="button" class="primary" data-live-open onClick={() => void setStatus('live')}>
                {l.live ? '重新开启直播' : '开启图文直播'}
              </button>
            ) : null}
            {l.abilities.manage && l.live?.status === 'live' ? (
              <button
                type="button"
                data-live-close
                onClick={() => confirm('结束直播？结束后不能再发布新消息（已发消息仍可修改）。') && void setStatus('ended')}
              >
                结束直播
              </button>
            ) : null}
            <a class="button" href={`/admin/articles/${id}`}>
              回到稿件
            </a>
            {a.status === 'published' ? (
              <a class="button" href={a.url} target="_blank" rel="noopener">
                查看读者页面
              </a>
            ) : (
              <span class="muted small">稿件发布后，读者才能看到直播。</span>
            )}
          </div>
          {l.live?.status === 'live' && l.abilities.post ? (
            <EntryForm initial={empty()} people={people} submitLabel="发布" onSubmit={post} keep={{ username: user.username, articleId: id }} />
          ) : (
            <KeptEntry username={user.username} of={{ live: id }} />
          )}
          {l.live && l.entries.length === 0 ? <p class="muted">还没有消息。</p> : null}
          <ol class="live-list">
            {l.entries.map((e) => (
              <EntryView
                key={`${e.id}:${e.seq}`}
                entry={e}
                people={people}
                articleId={id}
                username={user.username}
                onChanged={live.reload}
                onError={setError}
              />
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
