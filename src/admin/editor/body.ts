import { Editor } from '@tiptap/core';
import { Selection } from '@tiptap/pm/state';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { bodyHtml, extensions } from './extensions.ts';
import { cleanPastedHtml } from './paste.ts';

interface BodyEditorOptions {
  /** The body to start from (in the editor's own serialization, see normalizeBody), read once the content is known. */
  initial: () => string;
  editable: boolean;
  /** Every change, as the HTML the server keeps. */
  onChange: (html: string) => void;
  /** Image files pasted or dropped into the text; true when taken care of. */
  onFiles: (files: FileList | undefined | null) => boolean;
}

/** The TipTap editor of an article's body, created once `ready` is true and destroyed with the page. */
export function useBodyEditor(ready: boolean, options: BodyEditorOptions) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<Editor | null>(null);
  const [, setTick] = useState(0);
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    if (!ready || !host.current || editorRef.current) return;
    const editor = new Editor({
      element: host.current,
      extensions,
      content: latest.current.initial(),
      // TipTap's own <style> element would break our CSP (style-src 'self'); admin.css carries those rules.
      injectCSS: false,
      editorProps: {
        attributes: { class: 'prose', 'aria-label': '正文', role: 'textbox', 'aria-multiline': 'true' },
        transformPastedHTML: cleanPastedHtml,
        // Word and Excel put a picture of the copied text beside its HTML: text to paste wins over that picture.
        handlePaste: (_view, event) => !pastesText(event.clipboardData) && latest.current.onFiles(event.clipboardData?.files),
        handleDrop: (_view, event) => latest.current.onFiles((event as DragEvent).dataTransfer?.files),
      },
      onUpdate: ({ editor: e }) => latest.current.onChange(bodyHtml(e.getHTML())),
      // The toolbar shows the state at the caret: render again after every transaction.
      onTransaction: () => setTick((t) => t + 1),
    });
    editorRef.current = editor;
    return () => {
      editor.destroy();
      editorRef.current = null;
    };
  }, [ready]);

  useEffect(() => {
    editorRef.current?.setEditable(options.editable);
  }, [options.editable, ready]);

  // Stable, and reads the editor when called: a merge shown before the next render still reaches it.
  const replace = useCallback((html: string) => (editorRef.current ? replaceContent(editorRef.current, html) : html), []);

  return { host, editor: editorRef.current, replace };
}

/** Whether the clipboard holds HTML with text in it (not just an image): then it is pasted as text, not uploaded. */
function pastesText(data: DataTransfer | null): boolean {
  const html = data?.getData('text/html') ?? '';
  return html !== '' && /[^\s\u00a0]/.test(html.replace(/<(style|script|title|xml)\b[\s\S]*?<\/\1\s*>|<!--[\s\S]*?-->|<[^>]*>|&nbsp;/gi, ''));
}

/**
 * Shows other content in the editor (a merge of someone else's changes) without it counting as typing, the caret
 * kept where it was as far as the new text allows; answers with the editor's serialization of it.
 */
export function replaceContent(editor: Editor, html: string): string {
  const { from } = editor.state.selection;
  editor.commands.setContent(html, { emitUpdate: false });
  const { doc, tr } = editor.state;
  editor.view.dispatch(tr.setSelection(Selection.near(doc.resolve(Math.min(from, doc.content.size)))));
  return bodyHtml(editor.getHTML());
}
