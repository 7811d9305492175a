import { Parser } from 'htmlparser2';
import { createRequire } from 'node:module';
import type sanitizeHtml from 'sanitize-html';
import { invalid } from '../errors.ts';
import { LIMITS } from './limits.ts';

/** sanitize-html (with PostCSS), loaded by the first write that cleans a body: reader-only starts never pay for it. */
let sanitizer: typeof sanitizeHtml | undefined;
const sanitize = (): typeof sanitizeHtml => (sanitizer ??= createRequire(import.meta.url)('sanitize-html') as typeof sanitizeHtml);

/**
 * The allowlist for article bodies. Reporters' HTML reaches the public, so only structure survives:
 * no scripts, styles, event handlers, iframes, forms, SVG, or javascript:/data: URLs. Tables keep their cells'
 * spans and nothing else (no widths, borders or styles: the reader's stylesheet lays them out). Preformatted text
 * (`<pre>`, with `<code>` in it or alone: a code listing, a statement's own layout) keeps its whitespace as written.
 */
export const bodyOptions: Readonly<sanitizeHtml.IOptions> = {
  allowedTags: [
    'p',
    'h2',
    'h3',
    'h4',
    'strong',
    'em',
    'b',
    'i',
    'ul',
    'ol',
    'li',
    'blockquote',
    'figure',
    'figcaption',
    'img',
    'a',
    'br',
    'pre',
    'code',
    'table',
    'caption',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
  ],
  allowedAttributes: {
    a: ['href', 'rel'],
    img: ['src', 'alt', 'width', 'height', 'loading', 'decoding'],
    // A poll's placeholder (an id only): reader pages put the poll there (web/public/polls.tsx).
    figure: ['data-poll'],
    td: ['colspan', 'rowspan'],
    th: ['colspan', 'rowspan'],
  },
  allowedSchemes: ['http', 'https'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Text inside removed containers such as <script> or <style> must go too, not leak as text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'svg', 'math', 'iframe', 'object', 'template'],
  transformTags: {
    b: 'strong',
    i: 'em',
    h1: 'h2',
    // Body images load lazily so the first screen is text; width/height come from our media when known.
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, loading: 'lazy', decoding: 'async' } }),
    td: spanningCell,
    th: spanningCell,
    figure: (tagName, attribs) => ({
      tagName,
      attribs: /^[1-9]\d{0,8}$/.test(attribs['data-poll'] ?? '') ? { 'data-poll': attribs['data-poll']! } : ({} as sanitizeHtml.Attributes),
    }),
    a: (tagName, attribs) => ({
      tagName,
      attribs: attribs.href ? { href: attribs.href, rel: 'noopener noreferrer nofollow' } : ({} as sanitizeHtml.Attributes),
    }),
  },
};

/** A table cell spans at most this many columns or rows: a wider span is cut to it. */
export const MAX_CELL_SPAN = 100;

/** A cell keeps only a colspan or rowspan that is a whole number above 1 (at most MAX_CELL_SPAN), in its plain form. */
function spanningCell(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const kept: sanitizeHtml.Attributes = {};
  for (const name of ['colspan', 'rowspan'] as const) {
    const value = attribs[name]?.trim();
    if (!value || !/^\d{1,9}$/.test(value)) continue;
    const span = Math.min(Number(value), MAX_CELL_SPAN);
    if (span > 1) kept[name] = String(span);
  }
  return { tagName, attribs: kept };
}

/**
 * An image without a usable source, or a paragraph with neither text nor an image, is noise. sanitize-html counts only
 * a paragraph's own images, so sanitizeBody keeps a paragraph that holds one deeper (`<p><a href><img></a></p>`).
 */
export function isNoise(frame: sanitizeHtml.IFrame): boolean {
  return (frame.tag === 'img' && !frame.attribs.src) || (frame.tag === 'p' && frame.text.trim() === '' && !frame.mediaChildren.length);
}

/** htmlparser2's foreign-context elements: SVG and MathML roots and the HTML integration points inside them. */
const FOREIGN: ReadonlySet<string> = new Set(['svg', 'math', 'mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignobject', 'desc', 'title']);

// The parser options sanitize-html uses (its defaults), so the pre-scan sees the tree the sanitizer will.
const parserOptions = { decodeEntities: true };

/**
 * Refuses bodies nested deeper or with more elements than LIMITS allow (400 `too_complex`), before any other work:
 * the parser's work per tag grows with the depth, so the bounds keep sanitizing and text extraction linear. The scan
 * stops at the first element over a limit, so the parser's own stack never grows past it either.
 *
 * htmlparser2 also keeps a stack of foreign-content elements (SVG, MathML and their HTML integration points) that only
 * a close tag of the same name pops: left open by another element's end (`<p><svg></p>`) or self-closed, they pile
 * up. They count as nesting until closed explicitly, which bounds that stack by the depth limit too.
 */
export function assertBodyComplexity(html: string, limits: BodyLimits = { depth: LIMITS.bodyDepth, elements: LIMITS.bodyElements }): void {
  const scan = scanBody(html, limits);
  if (scan.refusal) throw invalid(scan.refusal, 'body', 'too_complex');
}

export interface BodyLimits {
  depth: number;
  elements: number;
}

export interface BodyScan {
  /** Elements opened (implied ones included), up to the first one over a limit. */
  elements: number;
  /** The deepest nesting seen. */
  depth: number;
  /** Why the body is refused, if it is. */
  refusal?: string;
  /** Characters read before the scan ended: all of them, or up to the element that crossed a limit. */
  scanned: number;
}

/** The pre-scan of assertBodyComplexity, with what it saw. */
export function scanBody(html: string, limits: BodyLimits): BodyScan {
  let depth = 0;
  let deepest = 0;
  let elements = 0;
  let foreign = 0;
  let refusal: string | undefined;
  const parser = new Parser(
    {
      onopentagname(name) {
        elements++;
        deepest = Math.max(deepest, ++depth);
        if (FOREIGN.has(name)) foreign++;
        if (elements > limits.elements) refusal = `body may have at most ${limits.elements} HTML elements`;
        else if (depth > limits.depth || foreign > limits.depth) refusal = `body may nest HTML elements at most ${limits.depth} deep`;
        if (refusal) parser.pause();
      },
      onclosetag(name, isImplied) {
        depth--;
        if (!isImplied && FOREIGN.has(name)) foreign--;
      },
    },
    parserOptions,
  );
  parser.write(html);
  if (refusal) return { elements, depth: deepest, refusal, scanned: parser.endIndex + 1 };
  parser.end();
  return { elements, depth: deepest, scanned: html.length };
}

const ORDINAL = Symbol('ordinal');
type Numbered = sanitizeHtml.Attributes & { [ORDINAL]?: number };

/**
 * Sanitizes a body with the allowlist (after assertBodyComplexity). Noise (see isNoise) is dropped in one pass over
 * the output at the end: sanitize-html's own exclusiveFilter cuts its output string for every dropped element, which
 * costs the output's length each time (thousands of Word's empty paragraphs in a long body: seconds).
 */
export function sanitizeBody(html: string): string {
  assertBodyComplexity(html);
  // Every <p> and <img> the sanitizer opens is written out, in order: number them to name the ones to drop.
  let paragraphs = 0;
  let images = 0;
  const dropped = { p: new Set<number>(), img: new Set<number>() };
  const numbered = (attribs: sanitizeHtml.Attributes, n: number): Numbered => Object.assign(attribs, { [ORDINAL]: n });
  const imgTransform = bodyOptions.transformTags!.img as sanitizeHtml.Transformer;
  const out = sanitize()(html, {
    ...bodyOptions,
    transformTags: {
      ...bodyOptions.transformTags,
      p: (tagName, attribs) => ({ tagName, attribs: numbered({ ...attribs }, paragraphs++) }),
      img: (tagName, attribs) => {
        const t = imgTransform(tagName, attribs);
        return { ...t, attribs: numbered(t.attribs, images++) };
      },
    },
    exclusiveFilter: (frame) => {
      if (!isNoise(frame)) return false;
      const n = (frame.attribs as Numbered)[ORDINAL]!;
      if (frame.tag === 'p') dropped.p.add(n);
      else {
        dropped.img.add(n);
        // As if dropped here: a dropped image must not count as its paragraph's image.
        frame.tag = 'dropped-img';
      }
      return false;
    },
  });
  return withoutDropped(out, dropped).trim();
}

/**
 * Removes the numbered <p> (with their content) and <img> from sanitized HTML in one pass. In sanitizer output every
 * "<" starts a tag (text and attribute values are escaped), <p> never has attributes and <img ...> ends at the first ">".
 * A paragraph with a kept image anywhere inside (a linked image, WordPress's usual) stays: sanitize-html saw no image
 * of its own.
 */
function withoutDropped(html: string, dropped: { p: Set<number>; img: Set<number> }): string {
  if (dropped.p.size === 0 && dropped.img.size === 0) return html;
  const cuts: [number, number][] = [];
  const open: { start: number; drop: boolean; kept: number }[] = [];
  let paragraphs = 0;
  let images = 0;
  let kept = 0;
  for (const m of html.matchAll(/<p>|<\/p>|<img\b[^>]*>/g)) {
    const at = m.index;
    if (m[0] === '<p>') open.push({ start: at, drop: dropped.p.has(paragraphs++), kept });
    else if (m[0] === '</p>') {
      const p = open.pop();
      if (p?.drop && p.kept === kept) cuts.push([p.start, at + 4]);
    } else if (dropped.img.has(images++)) cuts.push([at, at + m[0].length]);
    else kept++;
  }
  // An inner cut is found before the paragraph around it: keep the outermost, in document order.
  cuts.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let from = 0;
  for (const [start, end] of cuts) {
    if (start < from) continue;
    parts.push(html.slice(from, start));
    from = end;
  }
  parts.push(html.slice(from));
  return parts.join('');
}

const BLOCKS: ReadonlySet<string> = new Set(['p', 'h2', 'h3', 'h4', 'li', 'blockquote', 'pre', 'figcaption', 'caption', 'th', 'td']);
const NO_TEXT: ReadonlySet<string> = new Set(['script', 'style']);

/**
 * Plain text of a (sanitized) body: one line per block, entities decoded. For search, summaries and counts.
 * One walk over the HTML; nesting deeper than LIMITS.bodyDepth is refused (`too_complex`), as in assertBodyComplexity.
 */
export function bodyText(html: string): string {
  const parts: string[] = [];
  let depth = 0;
  let hidden = 0;
  let tooDeep = false;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (++depth > LIMITS.bodyDepth) {
          tooDeep = true;
          parser.pause();
        }
        if (NO_TEXT.has(name)) hidden++;
        else if (name === 'br') parts.push('\n');
      },
      ontext(text) {
        if (hidden === 0) parts.push(text);
      },
      onclosetag(name) {
        depth--;
        if (NO_TEXT.has(name)) hidden--;
        else if (BLOCKS.has(name)) parts.push('\n');
      },
    },
    parserOptions,
  );
  parser.write(html);
  if (tooDeep) throw invalid(`body may nest HTML elements at most ${LIMITS.bodyDepth} deep`, 'body', 'too_complex');
  parser.end();
  return parts
    .join('')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

/** Single-line text fields (title, source, byline…): no markup, no control characters, collapsed spaces. */
export function cleanLine(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Counts characters as readers do: CJK characters one each, Latin words (runs of ASCII letters and digits) one each.
 * One pass over the UTF-16 units, as the character classes did, without making a string per character (every
 * uncached article page counts its body).
 */
export function countReadingUnits(text: string): number {
  let cjk = 0;
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) {
      cjk++;
      inWord = false;
    } else if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      if (!inWord) words++;
      inWord = true;
    } else inWord = false;
  }
  return cjk + words;
}
