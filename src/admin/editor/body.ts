import { Editor } from '@tiptap/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { bodyHtml, extensions } from './extensions.ts';
import { cleanPastedHtml } from './paste.ts';

interface BodyEditorOptions {
  /** The body to start from, read once the content is known. */
  initial: () => string;
  editable: boolean;
  /** Every change, as the HTML the server keeps. */
  onChange: (html: string) => void;
  /** The editor's own serialization of the starting body: the baseline for "unsaved changes". */
  onReady: (html: string) => void;
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
        handlePaste: (_view, event) => latest.current.onFiles(event.clipboardData?.files),
        handleDrop: (_view, event) => latest.current.onFiles((event as DragEvent).dataTransfer?.files),
      },
      onUpdate: ({ editor: e }) => latest.current.onChange(bodyHtml(e.getHTML())),
      // The toolbar shows the state at the caret: render again after every transaction.
      onTransaction: () => setTick((t) => t + 1),
    });
    editorRef.current = editor;
    latest.current.onReady(bodyHtml(editor.getHTML()));
    return () => {
      editor.destroy();
      editorRef.current = null;
    };
  }, [ready]);

  useEffect(() => {
    editorRef.current?.setEditable(options.editable);
  }, [options.editable, ready]);

  return { host, editor: editorRef.current };
}
