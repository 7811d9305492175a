import { createDocument, getHTMLFromFragment, getSchema, Node, type Extensions } from '@tiptap/core';
import type { Schema } from '@tiptap/pm/model';
import { Table, TableCell, TableHeader, TableRow } from '@tiptap/extension-table';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';
import StarterKit from '@tiptap/starter-kit';
import { Placeholder } from '@tiptap/extensions';

declare module '@tiptap/core' {
  interface Commands<ReturnType> {
    pollEmbed: {
      /** Inserts a reader poll by its number; readers see the poll there, feeds its question. */
      insertPoll: (attrs: { id: number; question: string }) => ReturnType;
    };
    figure: {
      /** Inserts an image with its alt text and caption (both may be empty). */
      insertFigure: (attrs: { src: string; alt?: string; caption?: string }) => ReturnType;
      /** Sets the selected image's alt text and caption, apart from each other. */
      setFigureText: (text: { alt: string; caption: string }) => ReturnType;
      /** Points images at new addresses (remote ones the server re-hosted), keeping everything else. */
      replaceImageSources: (map: Record<string, string>) => ReturnType;
    };
  }
}

/**
 * An image with its caption: <figure><img src alt><figcaption>…</figcaption></figure>, the only way the editor
 * makes images. A bare pasted <img> becomes a figure with an empty caption.
 */
export const Figure = Node.create({
  name: 'figure',
  group: 'block',
  content: 'text*',
  marks: '',
  draggable: true,
  isolating: true,
  defining: true,

  addAttributes() {
    return { src: { default: null }, alt: { default: '' } };
  },

  parseHTML() {
    return [
      {
        tag: 'figure',
        // A figure without a caption still parses: its caption is just empty.
        contentElement: (dom: HTMLElement) => dom.querySelector('figcaption') ?? dom.ownerDocument.createElement('figcaption'),
        getAttrs: (dom: HTMLElement) => {
          const img = dom.querySelector('img');
          const src = img?.getAttribute('src') || img?.getAttribute('data-src');
          return src ? { src, alt: img?.getAttribute('alt') ?? '' } : false;
        },
      },
      { tag: 'img[src]', getAttrs: (dom: HTMLElement) => ({ src: dom.getAttribute('src'), alt: dom.getAttribute('alt') ?? '' }) },
    ];
  },

  renderHTML({ node }) {
    // Alt text and caption stay apart: the caption is shown under the image, the alt text stands in for it.
    return ['figure', ['img', { src: node.attrs.src as string, alt: node.attrs.alt as string }], ['figcaption', 0]];
  },

  addStorage() {
    return { failed: new Set<string>() };
  },

  addCommands() {
    return {
      insertFigure:
        (attrs) =>
        ({ commands }) =>
          commands.insertContent({
            type: this.name,
            attrs: { src: attrs.src, alt: attrs.alt ?? '' },
            ...(attrs.caption ? { content: [{ type: 'text', text: attrs.caption }] } : {}),
          }),
      setFigureText:
        ({ alt, caption }) =>
        ({ state, tr, dispatch }) => {
          const { $from, from } = state.selection;
          let pos = -1;
          if (state.doc.nodeAt(from)?.type.name === this.name) pos = from;
          else if ($from.parent.type.name === this.name) pos = $from.before();
          if (pos < 0) return false;
          const node = state.doc.nodeAt(pos)!;
          const replacement = node.type.create({ ...node.attrs, alt }, caption ? state.schema.text(caption) : null);
          if (dispatch) dispatch(tr.replaceWith(pos, pos + node.nodeSize, replacement));
          return true;
        },
      replaceImageSources:
        (map) =>
        ({ state, tr, dispatch }) => {
          let changed = false;
          state.doc.descendants((node, pos) => {
            const to = node.type.name === this.name ? map[node.attrs.src as string] : undefined;
            if (to) {
              tr.setNodeMarkup(pos, undefined, { ...node.attrs, src: to });
              changed = true;
            }
          });
          if (changed && dispatch) dispatch(tr.setMeta('addToHistory', false));
          return changed;
        },
    };
  },

  addProseMirrorPlugins() {
    const failed = this.storage.failed as Set<string>;
    const name = this.name;
    // Images still on another site: marked 外链图片 (saving re-hosts them), or 外链图片未能转存 once a save could not.
    return [
      new Plugin({
        key: new PluginKey('remote-images'),
        props: {
          decorations(state) {
            const marks: Decoration[] = [];
            state.doc.descendants((node, pos) => {
              const src = node.type.name === name ? String(node.attrs.src ?? '') : '';
              if (/^https?:\/\//i.test(src)) {
                marks.push(Decoration.node(pos, pos + node.nodeSize, { class: failed.has(src) ? 'remote-image remote-failed' : 'remote-image' }));
              }
            });
            return DecorationSet.create(state.doc, marks);
          },
        },
      }),
    ];
  },
});

/**
 * A reader poll (云投) in the body: `<figure data-poll="12"><figcaption>投票：问题</figcaption></figure>`, which the
 * sanitizer keeps (the id only) and reader pages replace with the poll itself. One block, edited in the 投票 page.
 */
export const PollEmbed = Node.create({
  name: 'pollEmbed',
  group: 'block',
  atom: true,
  draggable: true,
  priority: 110,

  addAttributes() {
    return { id: { default: null }, question: { default: '' } };
  },

  parseHTML() {
    return [
      {
        tag: 'figure[data-poll]',
        getAttrs: (dom: HTMLElement) => {
          const id = dom.getAttribute('data-poll') ?? '';
          if (!/^[1-9]\d{0,8}$/.test(id)) return false;
          const caption = dom.querySelector('figcaption')?.textContent ?? '';
          return { id: Number(id), question: caption.replace(/^投票：/, '') };
        },
      },
    ];
  },

  renderHTML({ node }) {
    const question = String(node.attrs.question ?? '');
    return ['figure', { 'data-poll': String(node.attrs.id) }, ['figcaption', {}, `投票：${question || `#${node.attrs.id}`}`]];
  },

  addCommands() {
    return {
      insertPoll:
        ({ id, question }) =>
        ({ commands }) =>
          commands.insertContent({ type: this.name, attrs: { id, question } }),
    };
  },
});

/** A colspan or rowspan as the server keeps it: a whole number from 1 to 100, written only when above 1. */
const span = (name: 'colspan' | 'rowspan') => ({
  default: 1,
  parseHTML: (el: HTMLElement) => Math.min(Math.max(Number.parseInt(el.getAttribute(name) ?? '1', 10) || 1, 1), 100),
  renderHTML: (attrs: Record<string, unknown>) => ((attrs[name] as number) > 1 ? { [name]: attrs[name] } : {}),
});

/**
 * Table cells with their spans only: prosemirror-tables needs `colwidth`, but widths, alignment and styles are not
 * kept (the reader's stylesheet lays tables out), so none of them is parsed or written.
 */
const cellAttributes = () => ({ colspan: span('colspan'), rowspan: span('rowspan'), colwidth: { default: null, parseHTML: () => null, rendered: false } });

/**
 * A table written as the sanitizer keeps it: <table><tbody><tr><th|td>, without TipTap's <colgroup> and
 * style="min-width" (an inline style our CSP refuses, and the sanitizer drops). While editing, the table's node
 * view sizes columns through the CSSOM, which the CSP allows.
 */
const ArticleTable = Table.extend({
  renderHTML() {
    return ['table', ['tbody', 0]];
  },
}).configure({ resizable: false });

/** Only what the server's allowlist keeps: p, h2–h4, strong, em, code, pre, lists, blockquote, a, br, figure, tables. */
export const extensions: Extensions = [
  StarterKit.configure({
    heading: { levels: [2, 3, 4] },
    // <pre><code>: its text as written, whitespace and all. No language: the sanitizer keeps no class, so none is read
    // from the HTML (an empty prefix reads none) and a stored body is what the editor shows.
    codeBlock: { languageClassPrefix: '' },
    horizontalRule: false,
    strike: false,
    underline: false,
    link: {
      openOnClick: false,
      autolink: true,
      protocols: [],
      defaultProtocol: 'https',
      HTMLAttributes: { target: null, rel: 'noopener noreferrer nofollow', class: null },
      isAllowedUri: (url) => /^https?:\/\//i.test(url),
    },
  }),
  Figure,
  PollEmbed,
  ArticleTable,
  TableRow,
  TableHeader.extend({ addAttributes: cellAttributes }),
  TableCell.extend({ addAttributes: cellAttributes }),
  Placeholder.configure({
    showOnlyCurrent: false,
    placeholder: ({ editor, node }) => (node.type.name === 'figure' ? '图片说明（可选）' : editor.isEmpty ? '在此撰写正文……' : ''),
  }),
];

/**
 * The editor's HTML as stored: empty captions left out rather than kept as empty elements, and empty paragraphs
 * (the one of an empty document, the trailing one TipTap adds after a final figure or list, Enter pressed twice) left
 * out as the server's sanitizer leaves them out.
 */
export function bodyHtml(html: string): string {
  return html.replace(/<figcaption><\/figcaption>/g, '').replace(/<p>(?:\s|&nbsp;|<br>)*<\/p>/g, '');
}

let schema: Schema | null = null;

/**
 * Any body HTML (as the server stored it: with loading/decoding/width/height on images, line breaks between blocks,
 * `<b>` for `<strong>`…) as the editor itself would serialize it: parsed and written with the editor's schema by the
 * very functions the editor uses for its content and its `getHTML`. Both sides of every comparison (unsaved changes,
 * the three-way merge) go through it, so only real edits differ.
 */
export function normalizeBody(html: string): string {
  schema ??= getSchema(extensions);
  return bodyHtml(getHTMLFromFragment(createDocument(html, schema).content, schema));
}
