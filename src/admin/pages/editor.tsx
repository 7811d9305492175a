import { useEffect, useRef, useState } from 'preact/hooks';
import type { Account, Article, ArticleAbilities, Channel, List, Source, User } from '../../shared/api.ts';
import { api, explain, IMAGE_ACCEPT, uploadImage } from '../api.ts';
import { useBodyEditor } from '../editor/body.ts';
import { ConflictView } from '../editor/conflict.tsx';
import { LinkDialog, RepublishDialog, ReturnDialog, ScheduleDialog } from '../editor/dialogs.tsx';
import { ImageDialog, MediaPickerDialog } from '../editor/media-dialogs.tsx';
import { bodyHtml } from '../editor/extensions.ts';
import { presenceLine, useArticleDraft, usePresence, type SaveState, type WorkflowAction } from '../editor/draft.ts';
import { PollDialog } from '../editor/poll-dialog.tsx';
import { RecoveryNotice } from '../editor/recovery-view.tsx';
import { Toolbar } from '../editor/toolbar.tsx';
import { formatClock, formatTime } from '../format.ts';
import { navigate, useLeaveGuard } from '../router.ts';
import { RelatedPanel } from './related.tsx';
import { ChannelSelect, Notice, StatusBadge, useLoad } from '../ui.tsx';

export function EditorPage({ id, user, channels, people }: { id: number | undefined; user: User; channels: Channel[]; people: Account[] }) {
  const draft = useArticleDraft(id, user);
  const { article, form, set, abilities, setError, setInfo } = draft;
  const [uploading, setUploading] = useState(false);
  // Upload failures stay until dismissed: the autosave's messages do not wipe them out.
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'return' | 'schedule' | 'republish' | 'link' | 'image' | 'poll' | null>(null);
  // 图片库 opened for the body or for the cover.
  const [picking, setPicking] = useState<'body' | 'cover' | null>(null);
  const [previewWidth, setPreviewWidth] = useState<'phone' | 'desktop'>('phone');
  const [sourceUrl, setSourceUrl] = useState('');
  const sources = useLoad(() => api<List<Source>>('GET', '/sources').then((r) => r.items), []);
  // While a conflict waits for the person's choices, the screen holds still.
  // So does it while an earlier visit's unsaved copy waits for 恢复 or 丢弃 (typing would overwrite that copy).
  const canEdit = abilities.edit && !draft.conflict && !draft.recovery;

  const { host, editor, replace } = useBodyEditor(draft.loaded, {
    initial: () => draft.body,
    editable: canEdit,
    onChange: draft.setBody,
    onFiles: insertFiles,
  });

  useEffect(() => {
    draft.bindBody(replace, (map, failed) => {
      if (!editor) return draft.body;
      const marked = (editor.storage as unknown as Record<string, { failed: Set<string> }>).figure!;
      for (const src of failed) marked.failed.add(src);
      for (const src of Object.keys(map)) marked.failed.delete(src);
      if (!editor.commands.replaceImageSources(map)) editor.view.dispatch(editor.state.tr.setMeta('addToHistory', false));
      return bodyHtml(editor.getHTML());
    });
    return () => draft.bindBody(null);
  }, [editor]);

  useLeaveGuard(draft.unsaved);

  // Who else has this article open; "editing" here: unsaved changes, or the cursor in the body.
  const others = usePresence(article?.id, () => draft.unsaved() || !!editor?.isFocused);

  /** To the 回收站 (the text as the screen last had it from the server: If-Match), then back to the dashboard. */
  async function remove() {
    if (!article || !confirm('确定删除这篇稿件吗？删除后在回收站中保留 30 天，可以恢复。')) return;
    setError(null);
    try {
      await api('DELETE', `/articles/${article.id}`, undefined, { ifMatch: article.revision });
      // Unsaved changes go with the deleted article: nothing to ask about, nothing kept.
      draft.forgetLocalCopy();
      navigate('/admin', { force: true });
    } catch (e) {
      setError(explain(e));
    }
  }

  function saveNow() {
    void draft.save().then((s) => s && !s.mergedWith && setInfo('已保存。'));
  }

  // Ctrl+S / ⌘S saves (and never opens the browser's "save page").
  const onKey = useRef<(e: KeyboardEvent) => void>(() => undefined);
  onKey.current = (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== 's') return;
    e.preventDefault();
    if (abilities.edit && draft.loaded) saveNow();
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey.current(e);
    addEventListener('keydown', listener);
    return () => removeEventListener('keydown', listener);
  }, []);

  /** A workflow action; its dialog, if any, closes once it is done. */
  async function act(action: WorkflowAction, payload?: unknown, done?: string) {
    if (await draft.act(action, payload, done)) setDialog(null);
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
    try {
      const media = await uploadImage(file);
      editor?.chain().focus().insertFigure({ src: media.url, alt: '' }).run();
    } catch (e) {
      setUploadError(`图片上传失败：${explain(e)}`);
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
      setUploadError(`封面上传失败：${explain(e)}`);
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

  const input = (key: keyof typeof form) => ({
    value: form[key],
    disabled: !canEdit,
    onInput: (e: Event) => set(key, (e.target as HTMLInputElement).value),
  });

  if (!draft.loaded) {
    return (
      <div class="page">
        <Notice>{draft.error}</Notice>
        {draft.error ? null : <p class="muted">正在加载…</p>}
      </div>
    );
  }

  const status = article?.status ?? 'draft';
  const firstImage = /<img[^>]+src="([^"]+)"/.exec(draft.body)?.[1];
  const author = people.find((p) => (article ? p.id === article.authorId : p.username === user.username));
  const textLength = editor ? editor.getText().replace(/\s/g, '').length : 0;
  const returned = draft.returned;

  return (
    <div class="page editor-page">
      <div class="editor-head">
        <h1>{article ? '编辑稿件' : '写新稿'}</h1>
        <StatusBadge status={status} />
        <SaveStatus state={draft.saveState} savedAt={draft.savedAt} autosave={draft.autosave} />
        {article ? (
          <span class="meta">
            作者 {author?.displayName ?? '—'} · 第 {article.revision} 版
            {article.status === 'scheduled' ? ` · 定于 ${formatTime(article.scheduledAt)} 发布` : ''}
            {article.status === 'published' ? ` · 发布于 ${formatTime(article.publishedAt)}` : ''}
          </span>
        ) : null}
        {others.length > 0 ? (
          <span class="presence" data-presence aria-live="polite">
            {presenceLine(others)}
          </span>
        ) : null}
      </div>

      <Workflow
        article={article}
        abilities={abilities}
        saving={draft.saveState === 'saving' || !!draft.conflict}
        onSave={saveNow}
        onAct={(action, done) => void act(action, undefined, done)}
        onDialog={setDialog}
        onDelete={() => void remove()}
      />

      {draft.recovery ? (
        <RecoveryNotice copy={draft.recovery} isNew={!article} canSave={abilities.edit} onRestore={draft.restoreLocalCopy} onDiscard={draft.discardLocalCopy} />
      ) : null}
      <Notice>{draft.error}</Notice>
      <Notice onDismiss={() => setUploadError(null)}>{uploadError}</Notice>
      <Notice kind="ok">{draft.info}</Notice>
      {draft.conflict ? <ConflictView conflict={draft.conflict} onResolve={draft.resolveConflict} /> : null}
      {returned ? (
        <div class="returned" role="note" data-return-note>
          <strong>编辑退回意见</strong>（{returned.byName || returned.by || '编辑'}，{formatTime(returned.at)}）：
          <p>{returned.comment}</p>
        </div>
      ) : null}
      {!abilities.edit && article ? <Notice kind="info">稿件已交由编辑处理，您不能再修改。</Notice> : null}

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
            <Toolbar
              editor={editor}
              disabled={!canEdit}
              uploading={uploading}
              onUpload={(f) => void uploadInto(f)}
              onLink={() => setDialog('link')}
              onLibrary={() => setPicking('body')}
              onImage={() => setDialog('image')}
              onPoll={() => setDialog('poll')}
            />
            <div ref={host} class="editor-host" data-editor />
            <p class="muted small">字数 {textLength}</p>
          </div>
        </div>

        <aside class="editor-side" aria-label="稿件信息">
          <label class="field">
            <span>频道</span>
            <ChannelSelect id="field-channel" channels={channels} value={form.channel} disabled={!canEdit} onChange={(v) => set('channel', v)} />
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
              <input
                aria-label="来源网址（可选）"
                placeholder="来源网址（可选）"
                value={sourceUrl}
                onInput={(e) => setSourceUrl((e.target as HTMLInputElement).value)}
              />
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
                  <input
                    type="file"
                    accept={IMAGE_ACCEPT}
                    class="visually-hidden"
                    data-cover-upload
                    onChange={(e) => {
                      const el = e.target as HTMLInputElement;
                      const f = el.files?.[0];
                      if (f) void uploadCover(f);
                      el.value = '';
                    }}
                  />
                </label>
                <button type="button" class="small" data-cover-library onClick={() => setPicking('cover')}>
                  从图片库选择
                </button>
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
            <iframe
              class={`preview preview-${previewWidth}`}
              title="稿件预览"
              sandbox="allow-same-origin"
              src={`/admin/preview/${article.id}?r=${article.revision}`}
            />
          ) : (
            <p class="muted">保存后即可预览。</p>
          )}
        </section>
      </div>

      {article?.abilities.curateRelated ? <RelatedPanel articleId={article.id} /> : null}

      <ReturnDialog open={dialog === 'return'} onClose={() => setDialog(null)} onSend={(comment) => act('return', { comment }, '已退回给记者。')} />
      <ScheduleDialog
        open={dialog === 'schedule'}
        initial={article?.scheduledAt}
        onClose={() => setDialog(null)}
        onSchedule={(at) => act('schedule', { at }, '已设定定时发布。')}
      />
      {article?.publishedAt ? (
        <RepublishDialog
          open={dialog === 'republish'}
          publishedAt={article.publishedAt}
          createdAt={article.createdAt!}
          onClose={() => setDialog(null)}
          onPublish={(publishedAt) => act('publish', { publishedAt }, '已重新发布。')}
        />
      ) : null}
      <LinkDialog open={dialog === 'link'} editor={editor} onClose={() => setDialog(null)} />
      <ImageDialog open={dialog === 'image'} editor={editor} onClose={() => setDialog(null)} />
      <PollDialog open={dialog === 'poll'} editor={editor} onClose={() => setDialog(null)} />
      <MediaPickerDialog
        purpose={picking}
        people={people}
        onClose={() => setPicking(null)}
        onPick={(m, purpose) => {
          if (purpose === 'cover') set('cover', m.url);
          else editor?.chain().focus().insertFigure({ src: m.url, alt: m.alt, caption: m.caption }).run();
          setPicking(null);
        }}
      />
    </div>
  );
}

function SaveStatus({ state, savedAt, autosave }: { state: SaveState; savedAt: number | null; autosave: boolean }) {
  return (
    <span class="save-state" data-save-state={state} aria-live="polite">
      {state === 'saving'
        ? '正在保存…'
        : state === 'dirty'
          ? autosave
            ? '有未保存的更改'
            : '有未保存的更改（请点“保存”）'
          : state === 'failed'
            ? '保存失败'
            : state === 'offline'
              ? autosave
                ? '离线，未保存（恢复网络后自动保存）'
                : '离线，未保存'
              : state === 'conflict'
                ? '与他人的修改冲突，尚未保存'
                : state === 'merged' && savedAt
                  ? `已合并并保存 ${formatClock(savedAt)}`
                  : savedAt
                    ? `已保存 ${formatClock(savedAt)}`
                    : ''}
    </span>
  );
}

/** 稿件操作: the buttons the server's abilities allow for this article as it stands, and its other pages. */
function Workflow({
  article,
  abilities,
  saving,
  onSave,
  onAct,
  onDialog,
  onDelete,
}: {
  article: Article | null;
  abilities: ArticleAbilities;
  saving: boolean;
  onSave: () => void;
  onAct: (action: 'submit' | 'publish' | 'unpublish', done: string) => void;
  onDialog: (dialog: 'return' | 'schedule' | 'republish') => void;
  onDelete: () => void;
}) {
  const status = article?.status ?? 'draft';
  return (
    <div class="workflow" role="toolbar" aria-label="稿件操作">
      {abilities.edit ? (
        <button type="button" onClick={onSave} disabled={saving}>
          {status === 'published' ? '保存（立即生效）' : '保存'}
        </button>
      ) : null}
      {abilities.submit ? (
        <button type="button" class="primary" data-action="submit" onClick={() => onAct('submit', '已提交审核，等待编辑处理。')}>
          提交审核
        </button>
      ) : null}
      {abilities.return ? (
        <button type="button" data-action="return" onClick={() => onDialog('return')}>
          退回修改
        </button>
      ) : null}
      {abilities.publish && article?.publishedAt ? (
        // Published before (then 撤稿): which publication time it gets is asked.
        <button type="button" class="primary" data-action="publish" onClick={() => onDialog('republish')}>
          重新发布
        </button>
      ) : abilities.publish ? (
        <button type="button" class="primary" data-action="publish" onClick={() => confirm('确定立即发布这篇稿件吗？') && onAct('publish', '已发布。')}>
          立即发布
        </button>
      ) : null}
      {abilities.schedule ? (
        <button type="button" data-action="schedule" onClick={() => onDialog('schedule')}>
          定时发布
        </button>
      ) : null}
      {abilities.unpublish ? (
        <button
          type="button"
          class="danger"
          data-action="unpublish"
          onClick={() => confirm('确定撤下这篇稿件吗？读者将看不到它。') && onAct('unpublish', '已撤稿。')}
        >
          撤稿
        </button>
      ) : null}
      {article && abilities.delete ? (
        <button type="button" class="danger" data-action="delete" onClick={onDelete}>
          删除
        </button>
      ) : null}
      {article ? (
        <>
          <a class="button" href={`/admin/articles/${article.id}/history`}>
            历史版本
          </a>
          <a class="button" href={`/admin/articles/${article.id}/live`} data-live-link>
            图文直播
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
  );
}
