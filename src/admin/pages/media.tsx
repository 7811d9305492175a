import { useState } from 'preact/hooks';
import type { Account, MediaDetail, MediaInUse, MediaItem } from '../../shared/api.ts';
import { api, ApiError, explain, IMAGE_ACCEPT, uploadImage } from '../api.ts';
import { formatTime } from '../format.ts';
import { MediaBrowser } from '../media-browser.tsx';
import { shownMedia } from '../media-url.ts';
import { Dialog, Notice, statusNames } from '../ui.tsx';

/** 图片库: every upload, searchable; captions and alt text edited here; deleting refused while articles use an image. */
export function MediaLibraryPage({ people }: { people: Account[] }) {
  const [reloadKey, setReloadKey] = useState(0);
  const [open, setOpen] = useState<MediaDetail | null>(null);
  const [changed, setChanged] = useState<MediaItem | null>(null);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  async function upload(files: FileList | null) {
    setUploading(true);
    setError(null);
    try {
      for (const file of [...(files ?? [])]) await uploadImage(file);
      setInfo('已上传。');
      setReloadKey((k) => k + 1);
    } catch (e) {
      setError(`图片上传失败：${explain(e)}`);
    } finally {
      setUploading(false);
    }
  }

  async function openItem(item: MediaItem) {
    try {
      setOpen(await api<MediaDetail>('GET', `/media/${item.id}`));
    } catch (e) {
      setError(explain(e));
    }
  }

  return (
    <div class="page media-page">
      <div class="page-head">
        <h1>图片库</h1>
        <label class={`button primary${uploading ? ' disabled' : ''}`}>
          {uploading ? '上传中…' : '上传图片'}
          <input
            type="file"
            accept={IMAGE_ACCEPT}
            multiple
            class="visually-hidden"
            data-library-upload
            disabled={uploading}
            onChange={(e) => {
              const el = e.target as HTMLInputElement;
              void upload(el.files).then(() => (el.value = ''));
            }}
          />
        </label>
      </div>
      <Notice onDismiss={() => setError(null)}>{error}</Notice>
      <Notice kind="ok">{info}</Notice>
      <MediaBrowser people={people} chooseLabel="查看与编辑" onChoose={(m) => void openItem(m)} reloadKey={reloadKey} changed={changed} />
      {open ? (
        <MediaDialog
          key={open.id}
          item={open}
          onClose={() => setOpen(null)}
          onSaved={(d) => {
            setOpen(d);
            setChanged(d);
            setInfo('已保存图片信息。');
          }}
          onDeleted={() => {
            setOpen(null);
            setInfo('已删除图片。');
            setReloadKey((k) => k + 1);
          }}
        />
      ) : null}
    </div>
  );
}

/** One image: its description to edit, the articles using it, and 删除 (refused with those articles as links). */
function MediaDialog({
  item,
  onClose,
  onSaved,
  onDeleted,
}: {
  item: MediaDetail;
  onClose: () => void;
  onSaved: (d: MediaDetail) => void;
  onDeleted: () => void;
}) {
  const [caption, setCaption] = useState(item.caption);
  const [alt, setAlt] = useState(item.alt);
  const [credit, setCredit] = useState(item.credit);
  const [error, setError] = useState<string | null>(null);
  const [blockers, setBlockers] = useState<MediaInUse['articles'] | null>(null);
  const can = item.abilities;

  async function save(e: Event) {
    e.preventDefault();
    try {
      onSaved(await api<MediaDetail>('PATCH', `/media/${item.id}`, { caption, alt, credit }));
      setError(null);
    } catch (err) {
      setError(explain(err));
    }
  }

  async function remove() {
    if (!confirm('确定从图片库删除这张图片吗？删除后无法恢复。')) return;
    try {
      await api('DELETE', `/media/${item.id}`);
      onDeleted();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'media_in_use') {
        // The 409 lists the articles; read them again in case the answer was cut short.
        const now = await api<MediaDetail>('GET', `/media/${item.id}`).catch(() => item);
        setBlockers(now.articles);
      }
      setError(explain(err));
    }
  }

  const articles = blockers ?? item.articles;
  return (
    <Dialog title="图片信息" open onClose={onClose}>
      <div class="media-dialog">
        <img class="media-preview" src={shownMedia(item.url)} alt={item.alt || item.caption} />
        <p class="muted small">
          {item.original.name} · {item.width} × {item.height} · {item.uploader?.displayName ?? '—'}上传于 {formatTime(item.createdAt)}
        </p>
        <form onSubmit={save}>
          <label class="field">
            <span>图片说明（显示在图片下方）</span>
            <textarea
              name="caption"
              rows={2}
              maxLength={500}
              disabled={!can.edit}
              value={caption}
              onInput={(e) => setCaption((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <label class="field">
            <span>替代文字（供视障读者和图片无法显示时使用）</span>
            <input name="alt" maxLength={300} disabled={!can.edit} value={alt} onInput={(e) => setAlt((e.target as HTMLInputElement).value)} />
          </label>
          <label class="field">
            <span>图片来源</span>
            <input
              name="credit"
              maxLength={100}
              disabled={!can.edit}
              value={credit}
              placeholder="如：本报记者 周明远 摄"
              onInput={(e) => setCredit((e.target as HTMLInputElement).value)}
            />
          </label>
          <section aria-label="使用这张图片的稿件" data-used-by>
            {articles.length > 0 ? (
              <>
                <p>{blockers ? '以下稿件或其直播消息正在使用这张图片，请先移除后再删除：' : `${articles.length} 篇稿件正在使用这张图片：`}</p>
                <ul class="used-by">
                  {articles.map((a) => (
                    <li>
                      <a href={`/admin/articles/${a.id}`}>{a.title}</a> <span class="muted small">（{statusNames[a.status]}）</span>
                      {a.liveEntries.length > 0 ? (
                        <>
                          {' '}
                          <a class="small" href={`/admin/articles/${a.id}/live`} data-used-by-live>
                            {a.liveEntries.length} 条直播消息
                          </a>
                        </>
                      ) : null}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p class="muted small">没有稿件使用这张图片。</p>
            )}
          </section>
          <Notice>{error}</Notice>
          <div class="row">
            {can.edit ? (
              <button type="submit" class="primary">
                保存
              </button>
            ) : null}
            {can.delete ? (
              <button type="button" class="danger" onClick={() => void remove()}>
                删除
              </button>
            ) : null}
            <button type="button" onClick={onClose}>
              关闭
            </button>
          </div>
        </form>
      </div>
    </Dialog>
  );
}
