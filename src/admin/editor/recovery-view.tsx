import { useRef, useState } from 'preact/hooks';
import { formatTime } from '../format.ts';
import type { LocalCopy } from './recovery.ts';

/** The form's fields as a copy's plain text names them, in the form's order. */
const labels: [string, string][] = [
  ['title', '标题'],
  ['subtitle', '副标题'],
  ['source', '来源'],
  ['byline', '署名'],
  ['editor', '责任编辑'],
  ['tags', '标签'],
  ['summary', '摘要'],
];

/**
 * Copying a kept copy's text out: to the clipboard, or — where the page has none (permission, an insecure address) —
 * by selecting it in the text area `area` is put on, for Ctrl+C. `copied` says which happened.
 */
export function useCopyOut() {
  const [copied, setCopied] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  async function copyOut(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('已复制到剪贴板。');
    } catch {
      area.current?.select();
      setCopied('无法直接写入剪贴板，文字已选中，请按 Ctrl+C 复制。');
    }
  }
  return { copied, area, copyOut };
}

/** A copy as plain text to read and copy out: its filled fields, then the body's blocks one per paragraph. */
export function copyText(copy: LocalCopy): string {
  const fields = copy.content.fields as Record<string, unknown>;
  const lines = labels.flatMap(([key, label]) => {
    const value = fields[key];
    return typeof value === 'string' && value.trim() ? [`${label}：${value.trim()}`] : [];
  });
  // Every block ends a paragraph, a line break a line; images leave a mark where they were.
  const marked = copy.content.body
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<img\b[^>]*>/gi, '[图片]')
    .replace(/<\/(p|h[1-6]|li|pre|blockquote|figcaption|figure|div|tr)>/gi, '$&\n\n');
  const text = (new DOMParser().parseFromString(marked, 'text/html').body.textContent ?? '')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return [lines.join('\n'), text].filter(Boolean).join('\n\n');
}

/**
 * An earlier visit's unsaved copy of the article, waiting for the writer's choice. When they may edit: 恢复 / 丢弃.
 * When they no longer may (submitted, published, a role that cannot edit it now), nothing is put in an editor they
 * cannot save: the copy stays in the browser, readable and copyable as text, until they 丢弃 it.
 */
export function RecoveryNotice({
  copy,
  isNew,
  canSave,
  onRestore,
  onDiscard,
}: {
  copy: LocalCopy;
  isNew: boolean;
  canSave: boolean;
  onRestore: () => void;
  onDiscard: () => void;
}) {
  const [showing, setShowing] = useState(false);
  const { copied, area, copyOut: copyTextOut } = useCopyOut();
  const title = typeof copy.content.fields.title === 'string' && copy.content.fields.title ? `，标题“${copy.content.fields.title}”` : '';

  async function copyOut() {
    setShowing(true);
    await copyTextOut(copyText(copy));
  }

  return (
    <div class="recovery" role="alert" data-recovery>
      <p>
        {isNew ? '有一篇未保存到服务器的新稿的本地副本' : '此稿有未保存到服务器的本地副本'}（{formatTime(copy.at)}
        {title}）。
        {canSave
          ? '恢复后将作为未保存的更改放入编辑器；丢弃后无法找回。'
          : '您现在不能修改这篇稿件，副本无法保存到服务器；副本仍保留在本浏览器中，可以查看并复制其中的文字。丢弃后无法找回。'}
      </p>
      <div class="row">
        {canSave ? (
          <button type="button" class="primary" data-recovery-restore onClick={onRestore}>
            恢复
          </button>
        ) : (
          <>
            <button type="button" class="primary" data-recovery-copy onClick={() => void copyOut()}>
              复制文字
            </button>
            <button type="button" data-recovery-show aria-expanded={showing} onClick={() => setShowing((s) => !s)}>
              {showing ? '收起副本' : '查看副本'}
            </button>
          </>
        )}
        <button type="button" data-recovery-discard onClick={() => confirm('确定丢弃这份本地副本吗？丢弃后无法找回。') && onDiscard()}>
          丢弃
        </button>
      </div>
      {copied ? <p data-recovery-copied>{copied}</p> : null}
      {showing && !canSave ? (
        <textarea class="recovery-text" readOnly rows={12} ref={area} data-recovery-text value={copyText(copy)} aria-label="本地副本的文字" />
      ) : null}
    </div>
  );
}
