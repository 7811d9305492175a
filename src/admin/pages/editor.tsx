import { Editor } from '@tiptap/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Account, Article, ArticleAbilities, Channel, List, Revision, Source, User } from '../../shared/api.ts';
import { api, explain, uploadImage } from '../api.ts';
import { bodyHtml, extensions } from '../editor/extensions.ts';
import { cleanPastedHtml } from '../editor/paste.ts';
import { formatClock, formatTime, fromLocalInput, toLocalInput } from '../format.ts';
import { navigate } from '../router.ts';
import { RelatedPanel } from './related.tsx';
import { ChannelSelect, Dialog, Notice, StatusBadge, useLoad } from '../ui.tsx';

interface Form {
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

const AUTOSAVE_MS = 2000;

const formOf = (a: Article): Form => ({
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

type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'failed';

/** An article not saved yet is its writer's own draft: they may write it and submit it if they may write at all. */
function unsavedAbilities(user: User): ArticleAbilities {
  const write = user.abilities.createArticle;
  return { edit: write, submit: write, return: false, publish: false, schedule: false, unpublish: false, restore: false, readRevisions: false, curateRelated: false };
}

export function EditorPage({ id, user, channels, people }: { id: number | undefined; user: User; channels: Channel[]; people: Account[] }) {
  const [article, setArticle] = useState<Article | null>(null);
  const [loaded, setLoaded] = useState(id === undefined);
  const [form, setForm] = useState<Form>({ title: '', subtitle: '', channel: '', source: '', byline: `本报记者 ${user.displayName}`, editor: '', tags: '', cover: '', summary: '' });
  const [body, setBody] = useState('');
  const [saveState, setSaveState] = useState<SaveState>('clean');
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [returned, setReturned] = useState<Revision | null>(null);
  const [uploading, setUploading] = useState(false);
  const [dialog, setDialog] = useState<'return' | 'schedule' | 'link' | null>(null);
  const [, setTick] = useState(0);
  const [previewWidth, setPreviewWidth] = useState<'phone' | 'desktop'>('phone');
  const [sourceUrl, setSourceUrl] = useState('');

  const editorHost = useRef<HTMLDivElement>(null);
  const editorRef = useRef<Editor | null>(null);
  const savedSnapshot = useRef('');
  const latest = useRef({ form, body, article });
  latest.current = { form, body, article };
  const inFlight = useRef<Promise<Article | null> | null>(null);

  const sources = useLoad(() => api<List<Source>>('GET', '/sources').then((r) => r.items), []);
  const me = people.find((p) => p.username === user.username);
  // What the caller may do comes from the server, with the article.
  const abilities = article?.abilities ?? unsavedAbilities(user);
  const canEdit = abilities.edit;
  const autosave = !article || article.status === 'draft';

  const snapshot = (f: Form, b: string) => JSON.stringify([f, b]);

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

  // The rich-text editor, created once the content is known.
  useEffect(() => {
    if (!loaded || !editorHost.current || editorRef.current) return;
    const editor = new Editor({
      element: editorHost.current,
      extensions,
      content: latest.current.article?.body ?? '',
      // TipTap's own <style> element would break our CSP (style-src 'self'); admin.css carries those rules.
      injectCSS: false,
      editorProps: {
        attributes: { class: 'prose', 'aria-label': '正文', role: 'textbox', 'aria-multiline': 'true' },
        transformPastedHTML: cleanPastedHtml,
        handlePaste: (_view, event) => insertFiles(event.clipboardData?.files),
        handleDrop: (_view, event) => insertFiles((event as DragEvent).dataTransfer?.files),
      },
      onUpdate: ({ editor: e }) => setBody(bodyHtml(e.getHTML())),
      onTransaction: () => setTick((t) => t + 1),
    });
    editorRef.current = editor;
    // The stored body is sanitized HTML; what the editor makes of it is the baseline for "unsaved changes".
    const normalized = bodyHtml(editor.getHTML());
    setBody(normalized);
    savedSnapshot.current = snapshot(latest.current.form, normalized);
    return () => {
      editor.destroy();
      editorRef.current = null;
    };
  }, [loaded]);

  useEffect(() => {
    editorRef.current?.setEditable(canEdit);
  }, [canEdit, loaded]);

  // Unsaved changes: mark them, and save drafts by themselves a moment after the typing stops.
  useEffect(() => {
    if (!loaded) return;
    const dirty = snapshot(form, body) !== savedSnapshot.current;
    if (!dirty) return;
    setSaveState((s) => (s === 'saving' ? s : 'dirty'));
    if (!autosave || !canEdit || !form.title.trim() || !form.channel) return;
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
        if (!a) navigate(`/admin/articles/${out.id}`, true);
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

  async function act(action: 'submit' | 'publish' | 'unpublish' | 'return' | 'schedule', payload?: unknown, done?: string) {
    setError(null);
    setInfo(null);
    const a = canEdit ? await save() : article;
    if (!a) return;
    try {
      const out = await api<Article>('POST', `/articles/${a.id}/${action}`, payload);
      latest.current.article = out;
      setArticle(out);
      if (action === 'return' || action === 'submit') setReturned(null);
      setDialog(null);
      if (done) setInfo(done);
    } catch (e) {
      setError(explain(e));
    }
  }

  function insertFiles(files: FileList | undefined | null): boolean {
    const images = [...(files ?? [])].filter((f) => f.type.startsWith('image/'));
    if (images.length === 0) return false;
    void (async () => {
      for (const file of images) await uploadInto(file);
    })();
    return true;
  }

  async function uploadInto(file: File) {
    setUploading(true);
    setError(null);
    try {
      const media = await uploadImage(file);
      editorRef.current?.chain().focus().insertFigure({ src: media.url, alt: '' }).run();
    } catch (e) {
      setError(`图片上传失败：${explain(e)}`);
    } finally {
      setUploading(false);
    }
  }

  async function uploadCover(file: File) {
    setUploading(true);
    try {
      const media = await uploadImage(file);
      set('cover', media.url);
    } catch (e) {
      setError(`封面上传失败：${explain(e)}`);
    } finally {
      setUploading(false);
    }
  }

  async function saveSource() {
    try {
      await api('POST', '/sources', { name: form.source, url: sourceUrl });
      sources.reload();
      setInfo(`已将“${form.source}”存入常用来源。`);
    } catch (e) {
      setError(explain(e));
    }
  }

  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const input = (key: keyof Form) => ({
    value: form[key],
    disabled: !canEdit,
    onInput: (e: Event) => set(key, (e.target as HTMLInputElement).value),
  });

  if (!loaded) {
    return (
      <div class="page">
        <Notice>{error}</Notice>
        {error ? null : <p class="muted">正在加载…</p>}
      </div>
    );
  }

  const editor = editorRef.current;
  const status = article?.status ?? 'draft';
  const firstImage = /<img[^>]+src="([^"]+)"/.exec(body)?.[1];
  const author = article ? people.find((p) => p.id === article.authorId) : me;
  const textLength = editor ? editor.getText().replace(/\s/g, '').length : 0;

  return (
    <div class="page editor-page">
      <div class="editor-head">
        <h1>{article ? '编辑稿件' : '写新稿'}</h1>
        <StatusBadge status={status} />
        <span class="save-state" data-save-state={saveState} aria-live="polite">
          {saveState === 'saving' ? '正在保存…' : saveState === 'dirty' ? (autosave ? '有未保存的更改' : '有未保存的更改（请点“保存”）') : saveState === 'failed' ? '保存失败' : savedAt ? `已保存 ${formatClock(savedAt)}` : ''}
        </span>
        {article ? (
          <span class="meta">
            作者 {author?.displayName ?? '—'} · 第 {article.revision} 版
            {article.status === 'scheduled' ? ` · 定于 ${formatTime(article.scheduledAt)} 发布` : ''}
            {article.status === 'published' ? ` · 发布于 ${formatTime(article.publishedAt)}` : ''}
          </span>
        ) : null}
      </div>

      <div class="workflow" role="toolbar" aria-label="稿件操作">
        {canEdit ? (
          <button type="button" onClick={() => void save().then((a) => a && setInfo('已保存。'))} disabled={saveState === 'saving'}>
            {status === 'published' ? '保存（立即生效）' : '保存'}
          </button>
        ) : null}
        {abilities.submit ? (
          <button type="button" class="primary" data-action="submit" onClick={() => void act('submit', undefined, '已提交审核，等待编辑处理。')}>
            提交审核
          </button>
        ) : null}
        {abilities.return ? (
          <button type="button" data-action="return" onClick={() => setDialog('return')}>
            退回修改
          </button>
        ) : null}
        {abilities.publish ? (
          <button type="button" class="primary" data-action="publish" onClick={() => confirm('确定立即发布这篇稿件吗？') && void act('publish', undefined, '已发布。')}>
            立即发布
          </button>
        ) : null}
        {abilities.schedule ? (
          <button type="button" data-action="schedule" onClick={() => setDialog('schedule')}>
            定时发布
          </button>
        ) : null}
        {abilities.unpublish ? (
          <button type="button" class="danger" data-action="unpublish" onClick={() => confirm('确定撤下这篇稿件吗？读者将看不到它。') && void act('unpublish', undefined, '已撤稿。')}>
            撤稿
          </button>
        ) : null}
        {article ? (
          <>
            <a class="button" href={`/admin/articles/${article.id}/history`}>
              历史版本
            </a>
            <a class="button" href={`/admin/preview/${article.id}`} target="_blank" rel="noopener">
              新窗口预览
            </a>
            {status === 'published' ? (
              <a class="button" href={article.url} target="_blank" rel="noopener">
                查看线上页面
              </a>
            ) : null}
          </>
        ) : null}
      </div>

      <Notice>{error}</Notice>
      <Notice kind="ok">{info}</Notice>
      {returned ? (
        <div class="returned" role="note" data-return-note>
          <strong>编辑退回意见</strong>（{returned.author ?? '编辑'}，{formatTime(returned.createdAt)}）：
          <p>{returned.note}</p>
        </div>
      ) : null}
      {!canEdit && article ? <Notice kind="info">稿件已交由编辑处理，您不能再修改。</Notice> : null}

      <div class="editor-columns">
        <div class="editor-main">
          <label class="field title-field">
            <span>标题</span>
            <input name="title" maxLength={200} required {...input('title')} placeholder="稿件标题" />
          </label>
          <label class="field">
            <span>副标题</span>
            <input name="subtitle" maxLength={200} {...input('subtitle')} />
          </label>

          <div class="body-editor">
            <Toolbar editor={editor} disabled={!canEdit} uploading={uploading} onUpload={(f) => void uploadInto(f)} onLink={() => setDialog('link')} />
            <div ref={editorHost} class="editor-host" data-editor />
            <p class="muted small">字数 {textLength}</p>
          </div>
        </div>

        <aside class="editor-side" aria-label="稿件信息">
          <label class="field">
            <span>频道</span>
            <ChannelSelect id="field-channel" channels={channels} value={form.channel} onChange={(v) => set('channel', v)} />
          </label>
          <label class="field">
            <span>来源</span>
            <input name="source" list="source-list" maxLength={100} {...input('source')} placeholder="如：砚台日报" />
            <datalist id="source-list">
              {(sources.data ?? []).map((s) => (
                <option value={s.name}>{s.url}</option>
              ))}
            </datalist>
          </label>
          {canEdit && form.source.trim() && !(sources.data ?? []).some((s) => s.name === form.source.trim()) ? (
            <div class="inline-form">
              <input aria-label="来源网址（可选）" placeholder="来源网址（可选）" value={sourceUrl} onInput={(e) => setSourceUrl((e.target as HTMLInputElement).value)} />
              <button type="button" class="small" onClick={() => void saveSource()}>
                存为常用来源
              </button>
            </div>
          ) : null}
          <label class="field">
            <span>署名</span>
            <input name="byline" maxLength={200} {...input('byline')} />
          </label>
          <label class="field">
            <span>责任编辑</span>
            <input name="editor" maxLength={50} {...input('editor')} />
          </label>
          <label class="field">
            <span>标签（用逗号分隔）</span>
            <input name="tags" {...input('tags')} />
          </label>
          <label class="field">
            <span>摘要</span>
            <textarea name="summary" rows={3} maxLength={500} {...input('summary')} />
          </label>
          <div class="field">
            <span>封面图</span>
            {form.cover ? <img class="cover-thumb" src={form.cover} alt="封面预览" /> : null}
            <input aria-label="封面图地址" name="cover" {...input('cover')} placeholder="/media/… 或 https://…" />
            {canEdit ? (
              <div class="row">
                <label class="button small">
                  上传封面
                  <input type="file" accept="image/*" class="visually-hidden" onChange={(e) => {
                    const f = (e.target as HTMLInputElement).files?.[0];
                    if (f) void uploadCover(f);
                  }} />
                </label>
                {firstImage && firstImage !== form.cover ? (
                  <button type="button" class="small" onClick={() => set('cover', firstImage)}>
                    用正文第一张图
                  </button>
                ) : null}
              </div>
            ) : null}
          </div>
        </aside>

        <section class="preview-pane" aria-label="预览">
          <div class="preview-head">
            <h2>读者看到的样子</h2>
            <select aria-label="预览宽度" value={previewWidth} onChange={(e) => setPreviewWidth((e.target as HTMLSelectElement).value as 'phone' | 'desktop')}>
              <option value="phone">手机</option>
              <option value="desktop">电脑</option>
            </select>
          </div>
          {article ? (
            <iframe class={`preview preview-${previewWidth}`} title="稿件预览" sandbox="allow-same-origin" src={`/admin/preview/${article.id}?r=${article.revision}`} />
          ) : (
            <p class="muted">保存后即可预览。</p>
          )}
        </section>
      </div>

      {article?.abilities.curateRelated ? <RelatedPanel articleId={article.id} /> : null}

      <ReturnDialog open={dialog === 'return'} onClose={() => setDialog(null)} onSend={(comment) => act('return', { comment }, '已退回给记者。')} />
      <ScheduleDialog open={dialog === 'schedule'} initial={article?.scheduledAt} onClose={() => setDialog(null)} onSchedule={(at) => act('schedule', { at }, '已设定定时发布。')} />
      <LinkDialog open={dialog === 'link'} editor={editor} onClose={() => setDialog(null)} />
    </div>
  );
}

function Toolbar({ editor, disabled, uploading, onUpload, onLink }: { editor: Editor | null; disabled: boolean; uploading: boolean; onUpload: (f: File) => void; onLink: () => void }) {
  if (!editor) return <div class="toolbar" />;
  const chain = () => editor.chain().focus();
  const block = editor.isActive('heading', { level: 2 }) ? 'h2' : editor.isActive('heading', { level: 3 }) ? 'h3' : editor.isActive('heading', { level: 4 }) ? 'h4' : 'p';
  // The visible label is the accessible name; a mousedown that would take focus from the text is swallowed.
  const button = (label: string, cls: string, active: boolean, run: () => void) => (
    <button type="button" class={`tool ${cls}`} aria-pressed={active} disabled={disabled} onMouseDown={(e) => e.preventDefault()} onClick={run}>
      {label}
    </button>
  );
  return (
    <div class="toolbar" role="toolbar" aria-label="格式">
      <select
        aria-label="段落样式"
        disabled={disabled}
        value={block}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v === 'p') chain().setParagraph().run();
          else chain().setHeading({ level: Number(v.slice(1)) as 2 | 3 | 4 }).run();
        }}
      >
        <option value="p">正文</option>
        <option value="h2">大标题</option>
        <option value="h3">中标题</option>
        <option value="h4">小标题</option>
      </select>
      {button('加粗', 'tool-bold', editor.isActive('bold'), () => chain().toggleBold().run())}
      {button('斜体', 'tool-italic', editor.isActive('italic'), () => chain().toggleItalic().run())}
      {button('无序列表', '', editor.isActive('bulletList'), () => chain().toggleBulletList().run())}
      {button('有序列表', '', editor.isActive('orderedList'), () => chain().toggleOrderedList().run())}
      {button('引用', '', editor.isActive('blockquote'), () => chain().toggleBlockquote().run())}
      {button('链接', '', editor.isActive('link'), onLink)}
      <label class={`tool button${disabled || uploading ? ' disabled' : ''}`}>
        {uploading ? '上传中…' : '插入图片'}
        <input
          type="file"
          accept="image/jpeg,image/png,image/webp,image/gif,image/avif"
          class="visually-hidden"
          data-image-upload
          disabled={disabled || uploading}
          onChange={(e) => {
            const el = e.target as HTMLInputElement;
            const f = el.files?.[0];
            if (f) onUpload(f);
            el.value = '';
          }}
        />
      </label>
      {button('撤销', '', false, () => chain().undo().run())}
      {button('重做', '', false, () => chain().redo().run())}
    </div>
  );
}

function ReturnDialog({ open, onClose, onSend }: { open: boolean; onClose: () => void; onSend: (comment: string) => Promise<void> }) {
  const [comment, setComment] = useState('');
  return (
    <Dialog title="退回修改" open={open} onClose={onClose}>
      <form method="dialog" onSubmit={(e) => (e.preventDefault(), void onSend(comment).then(() => setComment('')))}>
        <label class="field">
          <span>给记者的意见</span>
          <textarea name="comment" rows={4} maxLength={1000} required value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="row">
          <button type="submit" class="primary">
            退回
          </button>
          <button type="button" onClick={onClose}>
            取消
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ScheduleDialog({ open, initial, onClose, onSchedule }: { open: boolean; initial?: string | null; onClose: () => void; onSchedule: (at: string) => Promise<void> }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open) setValue(toLocalInput(initial ? Date.parse(initial) : Date.now() + 3600_000));
  }, [open]);
  return (
    <Dialog title="定时发布" open={open} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const at = fromLocalInput(value);
          if (!Number.isFinite(at)) return setError('请选择发布时间。');
          setError(null);
          void onSchedule(new Date(at).toISOString());
        }}
      >
        <label class="field">
          <span>发布时间（{document.body.dataset.timeZone === 'Asia/Shanghai' ? '北京时间' : document.body.dataset.timeZone}）</span>
          <input type="datetime-local" name="at" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        </label>
        <Notice>{error}</Notice>
        <div class="row">
          <button type="submit" class="primary">
            确定
          </button>
          <button type="button" onClick={onClose}>
            取消
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function LinkDialog({ open, editor, onClose }: { open: boolean; editor: Editor | null; onClose: () => void }) {
  const [href, setHref] = useState('');
  useEffect(() => {
    if (open) setHref((editor?.getAttributes('link').href as string | undefined) ?? 'https://');
  }, [open]);
  return (
    <Dialog title="链接" open={open} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const chain = editor?.chain().focus().extendMarkRange('link');
          if (/^https?:\/\/\S+$/i.test(href.trim())) chain?.setLink({ href: href.trim() }).run();
          else chain?.unsetLink().run();
          onClose();
        }}
      >
        <label class="field">
          <span>网址（留空则取消链接）</span>
          <input type="url" name="href" value={href} onInput={(e) => setHref((e.target as HTMLInputElement).value)} />
        </label>
        <div class="row">
          <button type="submit" class="primary">
            确定
          </button>
          <button type="button" onClick={onClose}>
            取消
          </button>
        </div>
      </form>
    </Dialog>
  );
}
