import { useEffect, useRef, useState } from 'preact/hooks';
import type { Article, ArticleAbilities, List, Revision, User } from '../../shared/api.ts';
import { api, explain } from '../api.ts';
import { navigate } from '../router.ts';

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

export type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'failed';

/** The workflow's actions: POST /articles/:id/<action>. */
export type WorkflowAction = 'submit' | 'publish' | 'unpublish' | 'return' | 'schedule';

const AUTOSAVE_MS = 2000;

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

const splitTags = (s: string) => s.split(/[,，、;；\s]+/).map((t) => t.trim()).filter(Boolean);

const snapshot = (f: DraftForm, b: string) => JSON.stringify([f, b]);

/** An article not saved yet is its writer's own draft: they may write it and submit it if they may write at all. */
function unsavedAbilities(user: User): ArticleAbilities {
  const write = user.abilities.createArticle;
  return { edit: write, submit: write, return: false, publish: false, schedule: false, unpublish: false, restore: false, readRevisions: false, curateRelated: false };
}

/**
 * One article in the editor: loading it, the form and body, unsaved changes, saving (by itself 2 s after typing
 * stops for drafts; on request otherwise, since a published article's save is live) and the workflow actions. What
 * the caller may do comes from the server (`article.abilities`).
 */
export function useArticleDraft(id: number | undefined, user: User) {
  const [article, setArticle] = useState<Article | null>(null);
  const [loaded, setLoaded] = useState(id === undefined);
  const [form, setForm] = useState<DraftForm>({ title: '', subtitle: '', channel: '', source: '', byline: `本报记者 ${user.displayName}`, editor: '', tags: '', cover: '', summary: '' });
  const [body, setBody] = useState('');
  const [saveState, setSaveState] = useState<SaveState>('clean');
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  // The editor's comment when the article came back to its reporter.
  const [returned, setReturned] = useState<Revision | null>(null);

  const savedSnapshot = useRef('');
  const latest = useRef({ form, body, article });
  latest.current = { form, body, article };
  const inFlight = useRef<Promise<Article | null> | null>(null);

  const abilities = article?.abilities ?? unsavedAbilities(user);
  const autosave = !article || article.status === 'draft';

  // Load the article (unless it is the one this page just created, which is already here).
  useEffect(() => {
    if (id === undefined || latest.current.article?.id === id) return;
    let live = true;
    setLoaded(false);
    Promise.all([api<Article>('GET', `/articles/${id}`), api<List<Revision>>('GET', `/articles/${id}/revisions`)]).then(
      ([a, revs]) => {
        if (!live) return;
        const f = formOf(a);
        setArticle(a);
        setForm(f);
        setBody(a.body);
        savedSnapshot.current = snapshot(f, a.body);
        setSaveState('clean');
        const last = revs.items[0];
        setReturned(a.status === 'draft' && last?.action === 'return' ? last : null);
        setLoaded(true);
      },
      (e) => live && setError(explain(e)),
    );
    return () => {
      live = false;
    };
  }, [id]);

  // Unsaved changes: mark them, and save drafts by themselves a moment after the typing stops.
  useEffect(() => {
    if (!loaded) return;
    const dirty = snapshot(form, body) !== savedSnapshot.current;
    if (!dirty) return;
    setSaveState((s) => (s === 'saving' ? s : 'dirty'));
    if (!autosave || !abilities.edit || !form.title.trim() || !form.channel) return;
    const timer = setTimeout(() => void save(true), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [form, body, loaded]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (snapshot(latest.current.form, latest.current.body) !== savedSnapshot.current) e.preventDefault();
    };
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, []);

  /** Saves what is on screen (creating the article the first time); null when it could not. */
  async function save(quiet = false): Promise<Article | null> {
    while (inFlight.current) await inFlight.current;
    const { form: f, body: b, article: a } = latest.current;
    const snap = snapshot(f, b);
    if (a && snap === savedSnapshot.current) return a;
    if (!f.title.trim() || !f.channel) {
      if (!quiet) setError('请先填写标题并选择频道。');
      return null;
    }
    const payload = {
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
    setSaveState('saving');
    const run = (async () => {
      try {
        const out = a ? await api<Article>('PATCH', `/articles/${a.id}`, payload) : await api<Article>('POST', '/articles', payload);
        savedSnapshot.current = snap;
        latest.current.article = out;
        setArticle(out);
        setSavedAt(Date.now());
        setSaveState(snapshot(latest.current.form, latest.current.body) === snap ? 'saved' : 'dirty');
        setError(null);
        if (!a) navigate(`/admin/articles/${out.id}`, { replace: true, force: true });
        return out;
      } catch (e) {
        setSaveState('failed');
        setError(`保存失败：${explain(e)}`);
        return null;
      }
    })();
    inFlight.current = run;
    try {
      return await run;
    } finally {
      inFlight.current = null;
    }
  }

  /** Saves unsaved changes first (when the caller may edit), then takes the action; true when it was taken. */
  async function act(action: WorkflowAction, payload?: unknown, done?: string): Promise<boolean> {
    setError(null);
    setInfo(null);
    const a = abilities.edit ? await save() : article;
    if (!a) return false;
    try {
      const out = await api<Article>('POST', `/articles/${a.id}/${action}`, payload);
      latest.current.article = out;
      setArticle(out);
      if (action === 'return' || action === 'submit') setReturned(null);
      if (done) setInfo(done);
      return true;
    } catch (e) {
      setError(explain(e));
      return false;
    }
  }

  /** The rich-text editor's own form of the stored body (its serialization of sanitized HTML) counts as unchanged. */
  function adoptBody(normalized: string) {
    setBody(normalized);
    savedSnapshot.current = snapshot(latest.current.form, normalized);
  }

  const set = <K extends keyof DraftForm>(key: K, value: DraftForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  return { article, loaded, form, set, body, setBody, adoptBody, abilities, autosave, saveState, savedAt, returned, error, setError, info, setInfo, save, act };
}
