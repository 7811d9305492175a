import type { Editor } from '@tiptap/core';
import { useEffect, useState } from 'preact/hooks';
import type { Account, MediaItem } from '../../shared/api.ts';
import { MediaBrowser } from '../media-browser.tsx';
import { Dialog } from '../ui.tsx';

/** 图片库 in the editor: the library's own browser; choosing inserts the image into the body or makes it the cover. */
export function MediaPickerDialog({
  purpose,
  people,
  onClose,
  onPick,
}: {
  purpose: 'body' | 'cover' | null;
  people: Account[];
  onClose: () => void;
  onPick: (item: MediaItem, purpose: 'body' | 'cover') => void;
}) {
  return (
    <Dialog title={purpose === 'cover' ? '从图片库选择封面' : '从图片库插入图片'} open={purpose !== null} onClose={onClose}>
      {purpose ? (
        <div class="media-picker">
          <MediaBrowser people={people} chooseLabel={purpose === 'cover' ? '设为封面' : '插入'} onChoose={(m) => onPick(m, purpose)} />
          <div class="row">
            <button type="button" onClick={onClose}>
              取消
            </button>
          </div>
        </div>
      ) : null}
    </Dialog>
  );
}

/** 图片属性: the selected figure's alt text (on the img) and caption (its figcaption), kept apart. */
export function ImageDialog({ open, editor, onClose }: { open: boolean; editor: Editor | null; onClose: () => void }) {
  const [alt, setAlt] = useState('');
  const [caption, setCaption] = useState('');
  const [src, setSrc] = useState('');
  useEffect(() => {
    if (!open || !editor) return;
    const attrs = editor.getAttributes('figure');
    setAlt((attrs.alt as string | undefined) ?? '');
    setSrc((attrs.src as string | undefined) ?? '');
    const { $from } = editor.state.selection;
    const node = editor.state.selection.$from.parent.type.name === 'figure' ? $from.parent : editor.state.doc.nodeAt(editor.state.selection.from);
    setCaption(node?.type.name === 'figure' ? node.textContent : '');
  }, [open]);
  const submit = (e: Event) => {
    e.preventDefault();
    editor?.chain().focus().setFigureText({ alt: alt.trim(), caption: caption.trim() }).run();
    onClose();
  };
  return (
    <Dialog title="图片属性" open={open} onClose={onClose}>
      <form method="dialog" onSubmit={submit}>
        {src ? <img class="media-preview" src={src} alt="" /> : null}
        <label class="field">
          <span>替代文字（供视障读者和图片无法显示时使用）</span>
          <input name="alt" maxLength={300} value={alt} onInput={(e) => setAlt((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>图片说明（显示在图片下方）</span>
          <textarea name="caption" rows={2} maxLength={500} value={caption} onInput={(e) => setCaption((e.target as HTMLTextAreaElement).value)} />
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
