import { useEffect, useRef, useState } from 'preact/hooks';
import type { Article, ArticleAbilities, PresenceAnswer, User } from '../../shared/api.ts';
import { api, ApiError, explain, newIdempotencyKey, type RevisionStamp, sendKeyed, SIGNED_IN_AGAIN } from '../api.ts';
import { formatTime } from '../format.ts';
import { conflictCount, mergeContent, resolveMerge, type Choice, type Content, type Merge } from '../merge.ts';
import { navigate } from '../router.ts';
import { copyMatches, sameValue, splitTags } from './compare.ts';
import { normalizeBody } from './extensions.ts';
import { type LocalCopy, readLocalCopy, removeLocalCopy, sentOf, writeLocalCopy } from './recovery.ts';

/** The article's fields as the form holds them (tags as one line of text). */
export interface DraftForm {
  title: string;
  subtitle: string;
  channel: string;
  source: string;
  byline: string;
  editor: string;
  tags: string;
  cover: string;
  summary: string;
}

export type FormField = keyof DraftForm;

/**
 * `merged`: saved after merging someone else's changes; `conflict`: not saved, waiting for the person's choices;
 * `offline`: not saved because the server could not be reached (tried again by itself).
 */
export type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'merged' | 'failed' | 'offline' | 'conflict';

/** The workflow's actions: POST /articles/:id/<action>. */
export type WorkflowAction = 'submit' | 'publish' | 'unpublish' | 'return' | 'schedule';

const actionNames: Record<WorkflowAction, string> = { submit: '提交', publish: '发布', unpublish: '撤稿', return: '退回', schedule: '定时发布' };

/** A save that ran into someone else's revision and could not merge by itself: the person decides each overlap. */
export interface EditConflict {
  /** Who made the newer revision (display name, or 他人). */
  by: string;
  /** When, as shown. */
  at: string;
  /** The newer revision: the article as it is now. */
  current: Article;
  merge: Merge<FormField>;
}

/** What a successful save did. */
export interface Saved {
  article: Article;
  /** Whose changes were merged in before saving, when a 412 made the editor merge. */
  mergedWith: string | null;
}

/** The revision the screen's changes are made against: the one loaded, last saved or last merged in. */
interface Base {
  revision: number;
  content: Content<FormField>;
}

const AUTOSAVE_MS = 2000;
/**
 * The browser's copy of unsaved text is written this long after the last change, at least this often while typing
 * goes on, and at once when the tab is hidden.
 */
const LOCAL_COPY_MS = 300;
const LOCAL_COPY_MAX_MS = 1000;
/** A draft's autosave that failed for a passing reason (no network, the server busy or down) is tried again after this. */
const RETRY_MS = 10_000;

/** A failure that may pass by itself: no answer at all, the server overloaded or failing, or still making the article. */
const passing = (e: unknown) => !(e instanceof ApiError) || e.status === 429 || e.status >= 500 || e.code === 'idempotency_in_progress';

/** What a save sends: the whole article as on screen. */
interface Payload {
  title: string;
  subtitle: string;
  channel: string;
  body: string;
  summary: string;
  source: string;
  byline: string;
  editor: string;
  tags: string[];
  cover: string;
}

/**
 * The request that creates the article, until it has an answer: kept to be sent again as it was, with its key (also
 * in the browser's copy, so a tab that died meanwhile sends it again too).
 */
interface Creation {
  key: string;
  payload: Payload;
  /** The screen it was made from (what the server has once it answers). */
  snap: Content<FormField>;
  /** When it first went (ms). */
  sentAt: number;
}

/**
 * Creates the article with an Idempotency-Key: when the connection drops before the answer (the server may have made
 * the article), the same request goes once more at once with the same key, and the server answers the article it made
 * instead of making a second.
 */
function createArticle(c: Creation): Promise<Article> {
  return sendKeyed(() => api<Article>('POST', '/articles', c.payload, { idempotencyKey: c.key }));
}

const formOf = (a: Article): DraftForm => ({
  title: a.title,
  subtitle: a.subtitle,
  channel: a.channel,
  source: a.source,
  byline: a.byline,
  editor: a.editor,
  tags: a.tags.join('，'),
  cover: a.cover,
  summary: a.summary,
});

/** An article as the editor holds it: the body in the editor's own serialization, so unchanged text compares equal. */
const contentOf = (a: Article): Content<FormField> => ({ fields: formOf(a), body: normalizeBody(a.body) });

/** Whether two states of the screen are the same text as the editor compares them (tags whatever the separators). */
const sameContent = (a: Content<FormField>, b: Content<FormField>) => copyMatches(a, b);

const imageSources = (html: string) => [...html.matchAll(/<img\b[^>]*?\ssrc="([^"]*)"/gi)].map((m) => m[1]!.replace(/&amp;/g, '&'));
const isRemote = (src: string) => /^https?:\/\//i.test(src);

/**
 * What a save did to the pasted images of another site: the server re-hosts them and answers with our addresses
 * (`map`), or keeps the remote address when it could not (`failed`). Read by position: the sanitizer keeps every
 * image with an http(s) or site-relative address in order; when the counts differ, nothing is concluded.
 */
export function rehostedImages(sent: string, saved: string): { map: Record<string, string>; failed: string[] } | null {
  const before = imageSources(sent).filter((src) => isRemote(src) || src.startsWith('/'));
  const after = imageSources(saved);
  if (!before.some(isRemote) || before.length !== after.length) return null;
  const map: Record<string, string> = {};
  const failed: string[] = [];
  before.forEach((src, i) => {
    if (!isRemote(src)) return;
    if (after[i] !== src && after[i]!.startsWith('/media/')) map[src] = after[i]!;
    else failed.push(src);
  });
  return { map, failed };
}

/** "王编辑" and "2026-05-03 14:32" from a 412's `current` (or the article, when the answer did not say). */
function stamped(stamp: RevisionStamp | undefined, current: Article) {
  return { by: stamp?.updatedBy?.displayName ?? '他人', at: formatTime(stamp?.updatedAt ?? current.updatedAt), revision: current.revision };
}

/** An article not saved yet is its writer's own draft: they may write it and submit it if they may write at all. */
function unsavedAbilities(user: User): ArticleAbilities {
  const write = user.abilities.createArticle;
  return {
    edit: write,
    submit: write,
    return: false,
    publish: false,
    schedule: false,
    unpublish: false,
    manageLive: false,
    restore: false,
    delete: false,
    readRevisions: false,
    curateRelated: false,
  };
}

/**
 * One article in the editor: loading it, the form and body, unsaved changes, saving (by itself 2 s after typing
 * stops for drafts; on request otherwise, since a published article's save is live) and the workflow actions. What
 * the caller may do comes from the server (`article.abilities`).
 *
 * Every write names the revision the screen is based on (If-Match). When someone else saved first (412), the screen
 * keeps its text and merges three ways (merge.ts: the base revision, the screen, the current revision): changes that
 * do not overlap are merged and saved again at once; overlaps wait in `conflict` for the person's choices, the screen
 * showing the merge with their own version of each overlap meanwhile. A workflow
 * step refused that way loads the newer text and is not taken: nobody publishes what they have not seen.
 */
export function useArticleDraft(id: number | undefined, user: User) {
  const [article, setArticle] = useState<Article | null>(null);
  const [loaded, setLoaded] = useState(id === undefined);
  const [blank] = useState<DraftForm>(() => ({
    title: '',
    subtitle: '',
    channel: '',
    source: '',
    byline: `本报记者 ${user.displayName}`,
    editor: '',
    tags: '',
    cover: '',
    summary: '',
  }));
  const [form, setForm] = useState<DraftForm>(blank);
  const [body, setBody] = useState('');
  const [saveState, setSaveState] = useState<SaveState>('clean');
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [conflict, setConflict] = useState<EditConflict | null>(null);
  // Bumped when a refused autosave may now go through (back online, signed in again, a retry's time): tries again.
  const [retries, setRetries] = useState(0);
  // The browser's copy of unsaved text from an earlier visit that differs from the server's, until the writer decides.
  const [recovery, setRecovery] = useState<LocalCopy | null>(null);
  const pendingRecovery = useRef<LocalCopy | null>(null);
  const localCopyAt = useRef(0);
  // The article was deleted from this page: its unsaved changes went with it.
  const forgotten = useRef(false);

  // What the server has (for a new article: the blank form, so an untouched one is not an unsaved change).
  const serverText = useRef<Content<FormField>>({ fields: blank, body: '' });
  /** Whether the screen says what the server has, as the editor compares text (so separators of tags are no change). */
  const onServer = (f: DraftForm, b: string) => sameContent(serverText.current, { fields: f, body: b });
  const base = useRef<Base | null>(null);
  const latest = useRef({ form, body, article, conflict });
  latest.current = { form, body, article, conflict };
  const inFlight = useRef<Promise<Saved | null> | null>(null);
  // A new article's creation not answered yet: every retry sends it as it was (text typed since goes in the edit after).
  const creating = useRef<Creation | null>(null);
  // The rich-text editor, once the page binds it: replaces its content and answers with its serialization.
  const replaceBody = useRef<((html: string) => string) | null>(null);
  // Points the editor's images at the addresses the server re-hosted them to, marks the failed ones; its new HTML.
  const swapImages = useRef<((map: Record<string, string>, failed: string[]) => string) | null>(null);

  const abilities = article?.abilities ?? unsavedAbilities(user);
  const autosave = !article || article.status === 'draft';

  /**
   * The browser's copy follows the screen: kept while the screen differs from what the server has, removed once the
   * server has exactly this text. Left alone while an earlier copy waits for the writer's choice.
   */
  function syncLocalCopy() {
    if (pendingRecovery.current || forgotten.current) return;
    localCopyAt.current = Date.now();
    const { form: f, body: b, article: a } = latest.current;
    const articleId = a?.id;
    if (onServer(f, b) && !latest.current.conflict) {
      removeLocalCopy(user.username, articleId);
      return;
    }
    const c = a ? null : creating.current;
    writeLocalCopy(user.username, articleId, {
      at: Date.now(),
      content: { fields: { ...f }, body: b },
      base: a && base.current ? { revision: base.current.revision, content: base.current.content } : null,
      // The new article's creation that may have reached the server: 恢复 sends it again with its key.
      ...(c ? { sent: { key: c.key, payload: c.payload, screen: c.snap, sentAt: c.sentAt } } : {}),
    });
  }

  /**
   * An earlier visit's copy of this article (or of a new one): offered when it differs from what the server has
   * (the editor waits for the choice meanwhile), forgotten when the server already has exactly that text.
   */
  function offerLocalCopy(articleId: number | undefined, server: Content<FormField>) {
    const copy = readLocalCopy(user.username, articleId);
    if (!copy) return;
    if (copyMatches(server, { fields: copy.content.fields, body: normalizeBody(copy.content.body) })) {
      removeLocalCopy(user.username, articleId);
      return;
    }
    pendingRecovery.current = copy;
    setRecovery(copy);
  }

  /**
   * The writer takes the copy back: it goes on screen as an unsaved change against the revision it was written on,
   * so the normal save brings it to the server (merging with, or asking about, anything saved since).
   */
  function restoreLocalCopy() {
    const copy = pendingRecovery.current;
    // Never into an editor whose text cannot be saved: the copy waits, readable, until the writer drops it.
    if (!copy || !abilities.edit) return;
    pendingRecovery.current = null;
    setRecovery(null);
    // The copy's creation may have made the article already: it goes again as it was, with its key, so the server
    // answers that article (never a second one), and what was typed after it is saved onto it.
    const sent = sentOf(copy);
    if (sent && !latest.current.article && !creating.current) {
      creating.current = {
        key: sent.key,
        payload: sent.payload as Payload,
        snap: (sent.screen as Content<FormField> | undefined) ?? { fields: blank, body: '' },
        sentAt: sent.sentAt,
      };
    }
    if (copy.base && latest.current.article && copy.base.revision !== latest.current.article.revision) {
      base.current = { revision: copy.base.revision, content: copy.base.content as Content<FormField> };
    }
    show({ fields: { ...latest.current.form, ...(copy.content.fields as Partial<DraftForm>) }, body: copy.content.body });
    syncLocalCopy();
  }

  /** The writer does not want the copy: it is forgotten, the screen keeps what the server has. */
  function discardLocalCopy() {
    pendingRecovery.current = null;
    setRecovery(null);
    removeLocalCopy(user.username, latest.current.article?.id);
  }

  /** The article is gone (deleted here): so is its copy, and none is written after. */
  function forgetLocalCopy() {
    forgotten.current = true;
    discardLocalCopy();
  }

  // A new article: the copy of the one not saved last time.
  useEffect(() => {
    if (id === undefined) offerLocalCopy(undefined, { fields: blank, body: '' });
  }, []);

  /** The server's answer about the article becomes the base of the screen's changes. */
  function adopt(a: Article, content: Content<FormField> = contentOf(a)) {
    base.current = { revision: a.revision, content };
    latest.current.article = a;
    setArticle(a);
  }

  /** Puts content on screen (form and editor) at once, so typing cannot slip in between. */
  function show(c: Content<FormField>) {
    const html = replaceBody.current ? replaceBody.current(c.body) : c.body;
    latest.current.form = c.fields;
    latest.current.body = html;
    setForm(c.fields);
    setBody(html);
  }

  // Load the article (unless it is the one this page just created, which is already here).
  useEffect(() => {
    if (id === undefined || latest.current.article?.id === id) return;
    let live = true;
    setLoaded(false);
    api<Article>('GET', `/articles/${id}`).then(
      (a) => {
        if (!live) return;
        const content = contentOf(a);
        adopt(a, content);
        show(content);
        serverText.current = content;
        setSaveState('clean');
        offerLocalCopy(id, content);
        setLoaded(true);
      },
      (e) => live && setError(explain(e)),
    );
    return () => {
      live = false;
    };
  }, [id]);

  // The browser's copy of unsaved text, a moment after each change (and at once when the tab goes away, below).
  useEffect(() => {
    if (!loaded) return;
    // Typing that never pauses is kept too.
    if (Date.now() - localCopyAt.current >= LOCAL_COPY_MAX_MS) syncLocalCopy();
    const timer = setTimeout(syncLocalCopy, LOCAL_COPY_MS);
    return () => clearTimeout(timer);
  }, [form, body, loaded, conflict]);

  useEffect(() => {
    const flush = () => loaded && syncLocalCopy();
    const hidden = () => document.visibilityState === 'hidden' && flush();
    addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', hidden);
    return () => {
      removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', hidden);
      // Leaving the editor within the app: the last changes are kept too.
      flush();
    };
  }, [loaded]);

  // Unsaved changes: mark them, and save drafts by themselves a moment after the typing stops.
  useEffect(() => {
    if (!loaded) return;
    const dirty = !onServer(form, body);
    if (!dirty) {
      setSaveState((s) => (s === 'dirty' ? 'clean' : s));
      return;
    }
    setSaveState((s) => (s === 'saving' || s === 'conflict' ? s : 'dirty'));
    if (!autosave || !abilities.edit || conflict || !form.title.trim() || !form.channel) return;
    const timer = setTimeout(() => void save(true), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [form, body, loaded, retries]);

  // A save refused because the network or the session was gone is tried again once they are back.
  useEffect(() => {
    const again = () => setRetries((n) => n + 1);
    addEventListener('online', again);
    addEventListener(SIGNED_IN_AGAIN, again);
    return () => {
      removeEventListener('online', again);
      removeEventListener(SIGNED_IN_AGAIN, again);
    };
  }, []);

  /** Whether leaving now would lose something: changes not saved, a save under way, or a conflict not settled. */
  const unsaved = () => !onServer(latest.current.form, latest.current.body) || inFlight.current !== null || latest.current.conflict !== null;

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (unsaved()) e.preventDefault();
    };
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, []);

  /**
   * Fetches the article as it is now and merges it with the screen: with nothing in the way the screen shows the
   * merge, based on the current revision; with overlaps the screen is left alone and `conflict` asks the person.
   * Null when the article could not be read.
   */
  async function catchUp(articleId: number, stamp?: RevisionStamp): Promise<{ merged: boolean; conflict: boolean; by: string; at: string } | null> {
    let current: Article;
    try {
      current = await api<Article>('GET', `/articles/${articleId}`);
    } catch (e) {
      setError(`无法读取稿件的最新版本：${explain(e)}`);
      return null;
    }
    const { by, at } = stamped(stamp, current);
    const theirs = contentOf(current);
    // Read after the request: what was typed meanwhile is part of mine.
    const mine = { fields: latest.current.form, body: latest.current.body };
    const merge = mergeContent(base.current!.content, mine, theirs, sameValue);
    if (conflictCount(merge) > 0) {
      // On screen: everything merged, and mine where they overlap until the person decides (the screen holds still).
      show(resolveMerge(merge));
      const c = { by, at, current, merge };
      latest.current.conflict = c;
      setConflict(c);
      setSaveState('conflict');
      return { merged: false, conflict: true, by, at };
    }
    const mineChanged = !onServer(mine.fields, mine.body);
    show(resolveMerge(merge));
    adopt(current, theirs);
    serverText.current = theirs;
    return { merged: mineChanged, conflict: false, by, at };
  }

  /** Saves what is on screen (creating the article the first time); null when it could not. */
  async function save(quiet = false): Promise<Saved | null> {
    while (inFlight.current) await inFlight.current;
    if (latest.current.conflict) {
      if (!quiet) setError('请先在下方逐处选择保留哪个版本，再保存。');
      return null;
    }
    const { form: f, body: b, article: a } = latest.current;
    if (a && onServer(f, b)) return { article: a, mergedWith: null };
    if (!f.title.trim() || !f.channel) {
      if (!quiet) setError('请先填写标题并选择频道。');
      return null;
    }
    setSaveState('saving');
    const run = saveMerging();
    inFlight.current = run;
    try {
      return await run;
    } finally {
      inFlight.current = null;
    }
  }

  async function saveMerging(): Promise<Saved | null> {
    let mergedWith: string | null = null;
    for (let attempt = 1; ; attempt++) {
      const { form: f, body: b, article: a } = latest.current;
      let snap: Content<FormField> = { fields: f, body: b };
      const done = (out: Article, wasNew: boolean): Saved => {
        setSavedAt(Date.now());
        setSaveState(!sameContent(snap, { fields: latest.current.form, body: latest.current.body }) ? 'dirty' : mergedWith ? 'merged' : 'saved');
        setError(null);
        if (wasNew) navigate(`/admin/articles/${out.id}`, { replace: true, force: true });
        return { article: out, mergedWith };
      };
      // Merged into exactly what the other person saved: nothing left to send.
      if (a && onServer(f, b)) return done(a, false);
      let payload: Payload = {
        title: f.title,
        subtitle: f.subtitle,
        channel: f.channel,
        body: b,
        summary: f.summary,
        source: f.source,
        byline: f.byline,
        editor: f.editor,
        tags: splitTags(f.tags),
        cover: f.cover,
      };
      if (!a) {
        // A creation whose answer never came is sent again unchanged (a changed one would be refused as another request).
        if (!creating.current) {
          creating.current = { key: newIdempotencyKey(), payload, snap, sentAt: Date.now() };
          // Kept with the browser's copy before it goes: a tab that dies before the answer sends this again on 恢复.
          syncLocalCopy();
        }
        ({ payload, snap } = creating.current);
      }
      try {
        const out = a ? await api<Article>('PATCH', `/articles/${a.id}`, payload, { ifMatch: base.current!.revision }) : await createArticle(creating.current!);
        if (!a) creating.current = null;
        serverText.current = snap;
        adopt(out);
        // The new article's copy now lives under its id (written below when the screen has moved on since).
        if (!a) removeLocalCopy(user.username, undefined);
        // The creation answered with the article as it is now, changed since it was made (a copy restored days later):
        // the screen was written on what the creation sent, so it merges with the changes made since, as after a 412.
        if (!a && out.revision > 1) return await caughtUpCreation(out, snap);
        const rehosted = rehostedImages(payload.body, out.body);
        if (rehosted && swapImages.current) {
          const untouched = sameContent(snap, { fields: latest.current.form, body: latest.current.body });
          const html = swapImages.current(rehosted.map, rehosted.failed);
          latest.current.body = html;
          setBody(html);
          // The server already has these addresses: showing them is no unsaved change.
          if (untouched) {
            serverText.current = { fields: snap.fields, body: html };
            setSaveState('saved');
          }
        }
        syncLocalCopy();
        return done(out, !a);
      } catch (e) {
        const stale = e instanceof ApiError && e.code === 'stale_revision';
        // The server refused the creation itself (nothing was made), or the article it made was purged since (the
        // answer says so): the next try sends what is on screen, with a new key.
        if (!a && e instanceof ApiError && (e.status === 400 || e.status === 413 || e.code === 'article_purged')) {
          creating.current = null;
          syncLocalCopy();
        }
        if (!stale || !a || attempt > 3) {
          setSaveState(e instanceof ApiError ? 'failed' : 'offline');
          setError(`保存失败：${explain(e)}`);
          // Nothing else would save it until the next keystroke (a network gone without the browser noticing).
          if (passing(e) && (!a || a.status === 'draft')) setTimeout(() => setRetries((n) => n + 1), RETRY_MS);
          return null;
        }
        const caught = await catchUp(a.id, e.current);
        if (!caught) {
          setSaveState('failed');
          return null;
        }
        if (caught.conflict) return null;
        mergedWith = caught.by;
        setInfo(`${caught.by}于 ${caught.at} 修改了这篇稿件，已合并${caught.by}的修改并保存。`);
      }
    }
  }

  /**
   * A creation answered with its article changed since (someone saved it after it was made): the screen merges with
   * the article as it is now over what the creation sent (catchUp, the base), and the page moves to the article. Saved
   * when nothing of the screen is left to send; otherwise the next save sends it, or `conflict` asks first.
   */
  async function caughtUpCreation(out: Article, sent: Content<FormField>): Promise<Saved | null> {
    base.current = { revision: out.revision, content: sent };
    const caught = await catchUp(out.id);
    syncLocalCopy();
    navigate(`/admin/articles/${out.id}`, { replace: true, force: true });
    if (!caught) setSaveState('failed');
    if (!caught || caught.conflict) return null;
    setSavedAt(Date.now());
    setSaveState(onServer(latest.current.form, latest.current.body) ? 'saved' : 'dirty');
    setError(null);
    setInfo(`这篇稿件创建后${caught.by}于 ${caught.at} 修改过，已载入最新内容并与您的修改合并。`);
    return { article: latest.current.article ?? out, mergedWith: caught.by };
  }

  /** Settles a conflict with the person's choice for each overlap (unchosen ones keep mine), then saves. */
  async function resolveConflict(choices: Record<string, Choice>): Promise<boolean> {
    const c = latest.current.conflict;
    if (!c) return false;
    const theirs = contentOf(c.current);
    show(resolveMerge(c.merge, choices));
    adopt(c.current, theirs);
    serverText.current = theirs;
    latest.current.conflict = null;
    setConflict(null);
    setSaveState('dirty');
    const saved = await save();
    if (saved && !saved.mergedWith) setInfo(`已按您的选择合并${c.by}的修改并保存。`);
    return saved !== null;
  }

  /** Saves unsaved changes first (when the caller may edit), then takes the action; true when it was taken. */
  async function act(action: WorkflowAction, payload?: unknown, done?: string): Promise<boolean> {
    setError(null);
    setInfo(null);
    let a = latest.current.article;
    if (abilities.edit) {
      const saved = await save();
      if (!saved) return false;
      // Someone else's words were just merged in: the person sees them before they go anywhere.
      if (saved.mergedWith) {
        setInfo(`${saved.mergedWith}修改了这篇稿件，已合并${saved.mergedWith}的修改并保存。请核对合并后的内容，再${actionNames[action]}。`);
        return false;
      }
      a = saved.article;
    }
    if (!a) return false;
    try {
      const out = await api<Article>('POST', `/articles/${a.id}/${action}`, payload, { ifMatch: base.current!.revision });
      adopt(out);
      if (done) setInfo(done);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'stale_revision') {
        const caught = await catchUp(a.id, e.current);
        if (caught && !caught.conflict) setError(`稿件已被${caught.by}于 ${caught.at} 修改，已载入最新内容。请核对后再${actionNames[action]}。`);
        return false;
      }
      setError(explain(e));
      return false;
    }
  }

  /** The page's rich-text editor: content shown from outside (a merge) goes through it. */
  function bindBody(replace: ((html: string) => string) | null, swap: ((map: Record<string, string>, failed: string[]) => string) | null = null) {
    replaceBody.current = replace;
    swapImages.current = swap;
  }

  const set = <K extends keyof DraftForm>(key: K, value: DraftForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  return {
    article,
    loaded,
    form,
    set,
    body,
    setBody,
    bindBody,
    abilities,
    autosave,
    saveState,
    savedAt,
    // The editor's comment while the article stands returned to its reporter (until resubmitted).
    returned: article?.returned ?? null,
    error,
    setError,
    info,
    setInfo,
    conflict,
    resolveConflict,
    unsaved,
    save,
    act,
    // An earlier visit's unsaved text kept by the browser, waiting for 恢复 or 丢弃.
    recovery,
    restoreLocalCopy,
    discardLocalCopy,
    forgetLocalCopy,
  };
}

/** Others in the editor with the article open, as the server answers each heartbeat. */
export type Present = PresenceAnswer['others'][number];

const HEARTBEAT_MS = 5000;

/** "王斌、李娜正在编辑，张三正在查看"; empty when nobody else is here. */
export function presenceLine(others: readonly Present[]): string {
  const names = (editing: boolean) =>
    others
      .filter((p) => p.editing === editing)
      .map((p) => p.displayName)
      .join('、');
  const editing = names(true);
  const viewing = names(false);
  return [editing && `${editing}正在编辑`, viewing && `${viewing}正在查看`].filter(Boolean).join('，');
}

/**
 * Presence (王编辑正在编辑): while the page shows a saved article, a heartbeat on opening and every 5 s after, saying
 * whether this person is editing (`editing()`, asked at each beat); answers who else has it open. Stops when the
 * page leaves the article or the server refuses (the person may not read it, or was signed out: then it starts again
 * once they sign in again).
 */
export function usePresence(articleId: number | undefined, editing: () => boolean): Present[] {
  const [others, setOthers] = useState<Present[]>([]);
  const ask = useRef(editing);
  ask.current = editing;

  useEffect(() => {
    setOthers([]);
    if (articleId === undefined) return;
    let live = true;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const beat = async () => {
      stopped = false;
      try {
        const answer = await api<PresenceAnswer>('POST', `/articles/${articleId}/presence`, { editing: ask.current() });
        if (live) setOthers(answer.others);
      } catch (e) {
        if (!live) return;
        setOthers([]);
        // Refused for good (no longer readable, gone, signed out): stop asking.
        if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) {
          stopped = true;
          return;
        }
      }
      if (live) timer = setTimeout(() => void beat(), HEARTBEAT_MS);
    };
    // Signed out under the page, then in again: the others see this person again.
    const resume = () => stopped && void beat();
    void beat();
    addEventListener(SIGNED_IN_AGAIN, resume);
    return () => {
      live = false;
      clearTimeout(timer);
      removeEventListener(SIGNED_IN_AGAIN, resume);
    };
  }, [articleId]);

  return others;
}
