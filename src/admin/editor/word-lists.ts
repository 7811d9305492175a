// Word (and WPS) put lists on the clipboard as flat paragraphs, not as <ol>/<ul>: each item is a
// <p style="mso-list:l0 level2 lfo1"> whose bullet or number is text in a marker span (inside
// <![if !supportLists]> … <![endif]>, or the <!--[if !supportLists]--> form, and `mso-list:Ignore`). This turns every
// run of such paragraphs into real nested lists, numbered or bulleted as the marker says, before the editor's schema
// reads the HTML (which would otherwise keep the items as paragraphs with "1." typed in front). The same DOM pass tidies
// Google Docs' markup: its bold-looking wrapper, lists nested directly in lists, and bold/italic given only by style.

import { type ChildNode, Element, isTag, isText } from 'domhandler';
import { DomUtils, parseDocument } from 'htmlparser2';

/** `mso-list:l0 level2 lfo1`: the list (l0) and the level (2); `mso-list:Ignore` and `none` are not items. */
const LIST_STYLE = /mso-list:\s*(l\d+)\s+level(\d+)/i;

/** Marker spans: what the supportLists conditional wrapped (see cleanPastedHtml), or Word's `mso-list:Ignore` span. */
const MARKER_ATTR = 'data-mso-marker';

/**
 * Numbers Word and WPS write in front of numbered items: 1. 1) (1) a. iv. 一、 （一） ① 1.1. — a letter or roman
 * numeral always has its punctuation, so Word's bullet "o" (Courier New) and "§" stay bullets.
 */
const NUMBERED = [
  /^[(（]?(?:\d{1,4}|[a-z]{1,4}|[一二三四五六七八九十百零〇]{1,4})[.)、．）:]$/i,
  /^[(（](?:\d{1,4}|[a-z]{1,4}|[一二三四五六七八九十百零〇]{1,4})[)）]$/i,
  /^\d{1,4}(?:\.\d{1,4})+\.?$/,
  /^[\u2460-\u2473\u2474-\u2487\u2488-\u249b\u3251-\u325f\u32b1-\u32bf]$/,
];

export function isNumberedMarker(marker: string): boolean {
  const text = marker.replace(/[\s\u00a0]+/g, '');
  return NUMBERED.some((re) => re.test(text));
}

/**
 * Word's list definitions from the pasted `<style>` (`@list l0:level1 {mso-level-number-format:bullet; …}`): a level
 * without a number format is numbered (decimal is Word's default). Used only when an item has no marker text.
 */
export function listDefinitions(html: string): Map<string, boolean> {
  const numbered = new Map<string, boolean>();
  for (const m of html.matchAll(/@list\s+(l\d+):level(\d+)\s*\{([^}]*)\}/gi)) {
    numbered.set(`${m[1]}:${m[2]}`, !/mso-level-number-format:\s*(bullet|image|none)/i.test(m[3]!));
  }
  return numbered;
}

interface OpenList {
  level: number;
  numbered: boolean;
  list: Element;
  /** Its last item, where a deeper list goes. */
  item?: Element;
}

/** The DOM pass of cleanPastedHtml: Word list paragraphs to nested lists, Google Docs tidied. */
export function convertPastedLists(html: string, definitions: Map<string, boolean> = listDefinitions(html)): string {
  try {
    return convert(html, definitions);
  } catch {
    // Markup nested deeper than the serializer's recursion allows: pasted as it came, the schema still its gate.
    return html;
  }
}

function convert(html: string, definitions: Map<string, boolean>): string {
  // Entities stay as written, in text and attributes alike: the editor's parser decodes them once, later.
  const doc = parseDocument(html, { decodeEntities: false });
  const done = new Set<Element>();
  for (const p of DomUtils.findAll(isListParagraph, doc.children)) {
    if (done.has(p)) continue;
    const run = listRun(p);
    for (const item of run) done.add(item);
    buildLists(run, definitions);
  }
  tidyGoogleDocs(doc.children);
  return DomUtils.getOuterHTML(doc.children, { decodeEntities: false });
}

function isListParagraph(node: ChildNode): node is Element {
  return isTag(node) && (node.name === 'p' || node.name === 'h1' || node.name === 'h2' || node.name === 'h3') && LIST_STYLE.test(node.attribs.style ?? '');
}

/** The list paragraph and the ones right after it (only whitespace between them): one list with its sublists. */
function listRun(first: Element): Element[] {
  const run = [first];
  for (let n = first.next; n; n = n.next) {
    if (isText(n) && !n.data.replace(/&nbsp;/g, '').trim()) continue;
    if (!isListParagraph(n)) break;
    run.push(n);
  }
  return run;
}

function buildLists(run: Element[], definitions: Map<string, boolean>): void {
  const stack: OpenList[] = [];
  let listId = '';
  for (const p of run) {
    const [, id, lvl] = LIST_STYLE.exec(p.attribs.style ?? '')!;
    const level = Number(lvl);
    const marker = takeMarker(p);
    const numbered = marker !== null ? isNumberedMarker(marker) : (definitions.get(`${id}:${level}`) ?? false);
    // Another Word list starting at the outer level is another list, not more items of this one.
    if (id !== listId && stack.length && level <= stack[0]!.level) stack.length = 0;
    listId = id!;
    while (stack.length && stack.at(-1)!.level > level) stack.pop();
    if (stack.length && stack.at(-1)!.level === level && stack.at(-1)!.numbered !== numbered) stack.pop();
    let top = stack.at(-1);
    if (!top || top.level < level) {
      const list = new Element(numbered ? 'ol' : 'ul', {});
      const parentItem = top?.item;
      if (parentItem) DomUtils.appendChild(parentItem, list);
      else DomUtils.prepend(p, list);
      top = { level, numbered, list };
      stack.push(top);
    }
    const item = new Element('li', {});
    DomUtils.appendChild(top.list, item);
    top.item = item;
    DomUtils.removeElement(p);
    // Keep the item's paragraph (its bold, italic, links), without Word's classes and styles.
    const para = new Element('p', {}, [...p.children]);
    for (const child of para.children) child.parent = para;
    DomUtils.appendChild(item, para);
  }
}

/** Removes the bullet or number in front of an item and answers its text (null when Word wrote none). */
function takeMarker(p: Element): string | null {
  const marker =
    DomUtils.findOne((el) => el.attribs[MARKER_ATTR] !== undefined, p.children) ??
    DomUtils.findOne((el) => /mso-list:\s*Ignore/i.test(el.attribs.style ?? ''), p.children);
  if (!marker) return null;
  // The number is the Ignore span's own text; the spaces after it sit in a nested span.
  const ignore = /mso-list:\s*Ignore/i.test(marker.attribs.style ?? '')
    ? marker
    : DomUtils.findOne((el) => /mso-list:\s*Ignore/i.test(el.attribs.style ?? ''), marker.children);
  const source = ignore ?? marker;
  const text = source.children
    .filter(isText)
    .map((t) => t.data)
    .join('');
  DomUtils.removeElement(marker);
  return decodeBasic(text || DomUtils.textContent(source)).trim() || null;
}

function decodeBasic(text: string): string {
  return text.replace(/&nbsp;|&#160;/g, ' ').replace(/&bull;/g, '•');
}

function tidyGoogleDocs(nodes: ChildNode[]): void {
  for (const el of DomUtils.findAll(() => true, nodes)) {
    const style = el.attribs.style ?? '';
    // Google Docs wraps the whole copy in <b style="font-weight:normal" id="docs-internal-guid-…">: not bold.
    if (el.name === 'b' && /^docs-internal-guid/.test(el.attribs.id ?? '')) unwrap(el);
    // Column widths (Google Docs, WPS): the reader's table sizes itself.
    else if (el.name === 'colgroup') DomUtils.removeElement(el);
    // Tables from Word, WPS and Google Docs come with widths, borders, alignment and spacing: keep the spans only.
    else if (TABLE_PARTS.has(el.name)) el.attribs = pick(el.attribs, el.name === 'td' || el.name === 'th' ? ['colspan', 'rowspan'] : []);
    // Its lists nest <ul> straight in <ul>: move the sublist into the item before it.
    else if ((el.name === 'ul' || el.name === 'ol') && el.parent && isTag(el.parent) && /^(ul|ol)$/.test(el.parent.name)) {
      const before = previousElement(el);
      if (before?.name === 'li') {
        DomUtils.removeElement(el);
        DomUtils.appendChild(before, el);
      }
    }
    // Bold and italic given only by a style (Google Docs, WPS) would be lost when styles are stripped.
    else if (el.name === 'span') {
      if (/font-style:\s*italic/i.test(style)) wrapChildren(el, 'em');
      if (/font-weight:\s*(bold|[6-9]00)/i.test(style)) wrapChildren(el, 'strong');
    }
  }
}

const TABLE_PARTS: ReadonlySet<string> = new Set(['table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td']);

function pick(attribs: Record<string, string>, names: string[]): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of names) if (attribs[name] !== undefined) kept[name] = attribs[name];
  return kept;
}

function previousElement(el: Element): Element | null {
  for (let n = el.prev; n; n = n.prev) if (isTag(n)) return n;
  return null;
}

function unwrap(el: Element): void {
  for (const child of [...el.children]) {
    DomUtils.removeElement(child);
    DomUtils.prepend(el, child);
  }
  DomUtils.removeElement(el);
}

function wrapChildren(el: Element, name: string): void {
  const wrapper = new Element(name, {}, el.children);
  for (const child of wrapper.children) child.parent = wrapper;
  el.children = [wrapper];
  wrapper.parent = el;
}
