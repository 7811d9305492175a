import type { Editor } from '@tiptap/core';
import { IMAGE_ACCEPT } from '../api.ts';

/** Formatting for the body: block style, marks, lists, quote, link, table (its row and column commands inside one), image upload, undo. */
export function Toolbar({
  editor,
  disabled,
  uploading,
  onUpload,
  onLink,
  onLibrary,
  onImage,
  onPoll,
}: {
  editor: Editor | null;
  disabled: boolean;
  uploading: boolean;
  onUpload: (f: File) => void;
  onLink: () => void;
  /** 图片库: insert an image from the library. */
  onLibrary: () => void;
  /** 图片属性: alt text and caption of the selected image. */
  onImage: () => void;
  /** 投票: embed a reader poll by its number. */
  onPoll?: () => void;
}) {
  if (!editor) return <div class="toolbar" />;
  const chain = () => editor.chain().focus();
  const block = editor.isActive('heading', { level: 2 })
    ? 'h2'
    : editor.isActive('heading', { level: 3 })
      ? 'h3'
      : editor.isActive('heading', { level: 4 })
        ? 'h4'
        : 'p';
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
          else
            chain()
              .setHeading({ level: Number(v.slice(1)) as 2 | 3 | 4 })
              .run();
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
      {button('插入表格', '', false, () => chain().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run())}
      {editor.isActive('table') && (
        <fieldset class="tool-group">
          <legend class="visually-hidden">表格</legend>
          {button('表头行', '', false, () => chain().toggleHeaderRow().run())}
          {button('上方插行', '', false, () => chain().addRowBefore().run())}
          {button('下方插行', '', false, () => chain().addRowAfter().run())}
          {button('左侧插列', '', false, () => chain().addColumnBefore().run())}
          {button('右侧插列', '', false, () => chain().addColumnAfter().run())}
          {button('删除行', '', false, () => chain().deleteRow().run())}
          {button('删除列', '', false, () => chain().deleteColumn().run())}
          {button('合并单元格', '', false, () => chain().mergeOrSplit().run())}
          {button('删除表格', '', false, () => chain().deleteTable().run())}
        </fieldset>
      )}
      <label class={`tool button${disabled || uploading ? ' disabled' : ''}`}>
        {uploading ? '上传中…' : '插入图片'}
        <input
          type="file"
          accept={IMAGE_ACCEPT}
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
      {button('图片库', 'tool-library', false, onLibrary)}
      <button type="button" class="tool" disabled={disabled || !editor.isActive('figure')} onMouseDown={(e) => e.preventDefault()} onClick={onImage}>
        图片属性
      </button>
      {onPoll ? button('投票', 'tool-poll', false, onPoll) : null}
      {button('撤销', '', false, () => chain().undo().run())}
      {button('重做', '', false, () => chain().redo().run())}
    </div>
  );
}
