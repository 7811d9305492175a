/**
 * WordPress bodies as WordPress shows them, in HTML any sanitizer can take: block-editor comments removed, classic
 * bodies given their paragraphs (wpautop: blank lines are paragraphs, single newlines <br>, never inside <pre> or
 * between block elements), [caption] as a figure with its caption, [gallery ids=…] as its images, [code]…[/code] and
 * [sourcecode]…[/sourcecode] (WordPress.com's code listings) as <pre><code>, and every other shortcode dropped
 * (counted), so no raw shortcode reaches a reader. The result still goes through the article
 * sanitizer like any body.
 */

export interface BodyConversion {
  html: string;
  /** Shortcodes removed, by name (caption and gallery are converted, not counted). */
  droppedShortcodes: Map<string, number>;
  /** Gallery images whose attachment id the file does not have. */
  missingGalleryIds: string[];
}

/** Attachment id → its file's address, for [gallery ids=…] and _thumbnail_id. */
export type AttachmentUrls = ReadonlyMap<string, string>;

const BLOCK_COMMENT = /<!--\s*\/?wp:[\s\S]*?-->/g;
const BLOCKS =
  'table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary|iframe|video|audio|object|script';
const BLOCK_OPEN_OR_CLOSE = new RegExp(`(<(?:${BLOCKS})[\\s/>])`, 'gi');
const BLOCK_CLOSE = new RegExp(`(</(?:${BLOCKS})>)`, 'gi');
const STARTS_BLOCK = new RegExp(`^</?(?:${BLOCKS})[\\s/>]`, 'i');
const ENDS_BLOCK = new RegExp(`</?(?:${BLOCKS})[^>]*>$`, 'i');

/**
 * Shortcodes WordPress and WordPress.com register that a body may hold without attributes; any other `[name attr=…]`
 * or `[name]…[/name]` pair is a shortcode too. A bare `[注]` or `[1]` stays text.
 */
const KNOWN_SHORTCODES = new Set([
  'audio',
  'video',
  'playlist',
  'embed',
  'wpvideo',
  'youtube',
  'vimeo',
  'soundcloud',
  'twitter',
  'tweet',
  'instagram',
  'googlemaps',
  'gist',
  'code',
  'sourcecode',
  'contact-form',
  'contact-field',
  'polldaddy',
  'slideshow',
  'archives',
  'blip.tv',
  'dailymotion',
  'flickr',
  'scribd',
  'ted',
  'recipe',
  'portfolio',
  'testimonials',
  'more',
]);

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function attributes(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  // A name is tried from its first character only (a long word is not scanned again from each of its letters).
  for (const m of raw.matchAll(/(?<![\w-])([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))/g)) out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

function captionOf(attrs: Map<string, string>, inner: string): string {
  // [caption]<a><img/></a> Text[/caption]: the image (with its link) first, the rest is the caption.
  const image = /^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*<\/a>)?)([\s\S]*)$/i.exec(inner);
  const media = image ? image[1]! : '';
  const text = (image ? image[2]! : inner).trim() || attrs.get('caption') || '';
  return `<figure>${media}${text ? `<figcaption>${text}</figcaption>` : ''}</figure>`;
}

function gallery(attrs: Map<string, string>, attachments: AttachmentUrls, missing: string[]): string {
  const ids = (attrs.get('ids') ?? attrs.get('include') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s));
  const figures: string[] = [];
  for (const id of ids) {
    const url = attachments.get(id);
    if (url) figures.push(`<figure><img src="${escapeAttr(url)}" alt=""></figure>`);
    else missing.push(id);
  }
  return figures.join('\n');
}

/** WordPress.com's code listings (SyntaxHighlighter): `[code lang="js"]…[/code]`, `[sourcecode]…[/sourcecode]`. */
const CODE_SHORTCODES: ReadonlySet<string> = new Set(['code', 'sourcecode']);

/**
 * A code listing as <pre><code>. Its text is stored encoded (`&lt;`, as the plugin saves it) or raw (`<` typed in the
 * text editor): entities are kept and bare angle brackets escaped, so both show as written and none becomes markup.
 * The newline after the opening tag and before the closing one belong to the shortcode, not the code.
 */
function codeBlock(text: string): string {
  const code = text.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
  return `<pre><code>${code.replace(/</g, '&lt;').replace(/>/g, '&gt;')}</code></pre>`;
}

/**
 * A shortcode tag: `[name attrs]`, `[name attrs /]` or `[/name]`. Attributes hold no brackets (WordPress allows none),
 * so a tag is looked for only up to the next bracket and the text is read once whatever it holds.
 */
const SHORTCODE_TAG = /\[(\/)?([a-zA-Z_][\w.-]*)(\s[^[\]]*?)?(\/)?\]/g;

/** An open tag waiting for its `[/name]`: where it stands among the parts (its content follows it). */
interface OpenShortcode {
  name: string;
  raw: string;
  tag: string;
  at: number;
  /** Where its content begins in the text. */
  from: number;
  /** Its place in the list of open tags (which only ever loses its end). */
  index: number;
  /** Closed as an enclosing pair whose content stayed where it was (its entry is passed over). */
  closed: boolean;
}

/**
 * Replaces shortcodes in text (outside <pre>): caption and gallery converted, the rest dropped and counted. Enclosing
 * pairs ([caption]…[/caption], [embed]url[/embed]) at any depth, each closing tag with the nearest open one of its
 * name, so nesting unwinds innermost first. One pass over the tags, each part of the text joined once (a caption
 * around a caption, which WordPress never nests, loses its tags instead of making a figure in a figure): a hostile
 * body costs its length, not its square.
 */
function shortcodes(html: string, attachments: AttachmentUrls, dropped: Map<string, number>, missing: string[]): string {
  const count = (name: string) => dropped.set(name, (dropped.get(name) ?? 0) + 1);
  // A tag with no closing one: [gallery] its images; a known or attributed one dropped; `[注]`, `[1]` stay text.
  const lone = (tag: string, name: string, raw: string): string => {
    const lower = name.toLowerCase();
    const attrs = attributes(raw);
    if (lower === 'gallery') return gallery(attrs, attachments, missing);
    if (!KNOWN_SHORTCODES.has(lower) && attrs.size === 0 && !tag.endsWith('/]')) return tag;
    count(lower);
    return '';
  };
  const parts: string[] = [];
  /** Open tags in the order written; `byName` holds the ones not closed, by name, the nearest last. */
  const open: OpenShortcode[] = [];
  const byName = new Map<string, OpenShortcode[]>();
  /** Where the figures made of captions stand among the parts, in order. */
  const figures: number[] = [];
  /** Ends the open tags from index `from` on: the ones never closed become lone tags (`keep`) or go with their part. */
  const end = (from: number, keep: boolean) => {
    for (const o of open.splice(from)) {
      if (o.closed) continue;
      byName.get(o.name)!.pop();
      if (keep) parts[o.at - 1] = lone(o.tag, o.name, o.raw);
    }
  };
  /** Drops the parts from `length` on (and the figures among them). */
  const truncate = (length: number) => {
    parts.length = length;
    while (figures.length > 0 && figures[figures.length - 1]! >= length) figures.pop();
  };
  let at = 0;
  for (const m of html.matchAll(SHORTCODE_TAG)) {
    const tag = m[0];
    const name = m[2]!;
    parts.push(html.slice(at, m.index));
    at = m.index + tag.length;
    if (m[1] !== '/') {
      if (m[4] === '/') parts.push(lone(tag, name, m[3] ?? ''));
      else {
        const o: OpenShortcode = { name, raw: m[3] ?? '', tag, at: parts.push(tag), from: at, index: open.length, closed: false };
        open.push(o);
        const same = byName.get(name);
        if (same) same.push(o);
        else byName.set(name, [o]);
      }
      continue;
    }
    const o = byName.get(name)?.at(-1);
    // A closing tag with nothing to close stays as written.
    if (!o) {
      parts.push(tag);
      continue;
    }
    const k = o.index;
    const lower = name.toLowerCase();
    if (CODE_SHORTCODES.has(lower)) {
      // A code listing: its text as written (brackets in it are code, not shortcodes), shown as WordPress.com does.
      end(k, false);
      truncate(o.at);
      parts[o.at - 1] = codeBlock(html.slice(o.from, m.index));
    } else if (KNOWN_SHORTCODES.has(lower)) {
      // Media shortcodes enclose an address or code, not text for readers: all of it goes.
      end(k, false);
      truncate(o.at);
      parts[o.at - 1] = '';
      count(lower);
    } else if ((lower === 'caption' || lower === 'wp_caption') && !(figures.length > 0 && figures[figures.length - 1]! >= o.at)) {
      end(k + 1, true);
      end(k, false);
      const inner = parts.slice(o.at).join('');
      truncate(o.at);
      parts[o.at - 1] = captionOf(attributes(o.raw), inner);
      figures.push(o.at - 1);
    } else {
      // Others enclose text that stays where it is; tags opened inside may still close after it.
      byName.get(name)!.pop();
      o.closed = true;
      parts[o.at - 1] = '';
      if (lower !== 'caption' && lower !== 'wp_caption') count(lower);
      while (open.length > 0 && open[open.length - 1]!.closed) open.pop();
    }
  }
  parts.push(html.slice(at));
  end(0, true);
  return parts.join('');
}

/**
 * Whether `text` up to `end` ends with a block tag. The tag begins after the `>` before its own (ENDS_BLOCK allows no
 * `>` inside it), so only that stretch is matched: asked at every newline, a test of all the text before it would make
 * a long paragraph cost its square.
 */
function endsBlock(text: string, end: number): boolean {
  if (end === 0 || text.charCodeAt(end - 1) !== 0x3e) return false;
  return ENDS_BLOCK.test(text.slice(text.lastIndexOf('>', end - 2) + 1, end));
}

/**
 * `text.replace(re, replacer)` for a pattern that runs lazily from an opening to `closer` (`<!--…-->`, `<pre…</pre>`),
 * on the text up to the last `closer` only: after it every attempt would fail at the end of the text, each opening
 * costing the rest of the text (thousands of unclosed `<!--` in a body: minutes).
 */
function replaceClosed(text: string, re: RegExp, closer: RegExp, replacer: (match: string) => string): string {
  let end = -1;
  for (const m of text.matchAll(closer)) end = m.index + m[0].length;
  if (end < 0) return text;
  return text.slice(0, end).replace(re, replacer) + text.slice(end);
}

/** WordPress's wpautop, in its essentials: paragraphs from blank lines, <br> from single newlines, blocks left alone. */
export function autop(text: string): string {
  if (text.trim() === '') return '';
  // <pre> keeps its newlines: set aside and put back.
  const pres: string[] = [];
  let t = replaceClosed(text, /<pre\b[\s\S]*?<\/pre>/gi, /<\/pre>/gi, (pre) => `<pre wp-pre-tag-${pres.push(pre) - 1}></pre>`);
  t = `${t.replace(/\r\n?/g, '\n')}\n`;
  t = t.replace(/<br\s*\/?>\s*<br\s*\/?>/gi, '\n\n');
  t = t.replace(BLOCK_OPEN_OR_CLOSE, '\n\n$1').replace(BLOCK_CLOSE, '$1\n\n');
  t = t.replace(/\n\n+/g, '\n\n');
  const paragraphs = t.split(/\n\s*\n/).filter((p) => p.trim() !== '');
  let out = '';
  for (const raw of paragraphs) {
    const p = raw.trim();
    if (STARTS_BLOCK.test(p) && endsBlock(p, p.length)) {
      out += `${p}\n`;
      continue;
    }
    // Single newlines inside a paragraph are line breaks, except beside a block tag.
    // Line by line, the spaces around each newline dropped (a regular expression for them costs a long run its square).
    const segments = p.split('\n');
    const parts: string[] = [];
    let start = 0;
    let before = 0;
    segments.forEach((segment, i) => {
      const kept = i < segments.length - 1 ? segment.trimEnd() : segment;
      const shown = i > 0 ? kept.trimStart() : kept;
      if (i > 0) {
        const from = start + kept.length - shown.length;
        parts.push(endsBlock(p, before) || STARTS_BLOCK.test(p.slice(from, from + 20)) ? '\n' : '<br>\n');
      }
      parts.push(shown);
      before = start + kept.length;
      start += segment.length + 1;
    });
    const lines = parts.join('');
    out += STARTS_BLOCK.test(lines) ? `${lines}\n` : `<p>${lines}</p>\n`;
  }
  return out.replace(/<pre wp-pre-tag-(\d+)><\/pre>/g, (_all, i: string) => pres[Number(i)]!).trim();
}

/** A WordPress body as HTML for the sanitizer; see the module comment. */
export function convertWordPressBody(content: string, attachments: AttachmentUrls = new Map()): BodyConversion {
  const droppedShortcodes = new Map<string, number>();
  const missingGalleryIds: string[] = [];
  let blocks = false;
  let html = replaceClosed(content, BLOCK_COMMENT, /-->/g, () => {
    blocks = true;
    return '';
  });
  // <!--more--> and <!--nextpage--> are WordPress's own markers, not text.
  html = replaceClosed(html, /<!--\s*(more|nextpage|noteaser)\b[\s\S]*?-->/gi, /-->/g, () => '');
  // Shortcodes are text, never inside <pre> (where WordPress shows them as written, so do we).
  const pres: string[] = [];
  html = replaceClosed(html, /<pre\b[\s\S]*?<\/pre>/gi, /<\/pre>/gi, (pre) => `\u0000${pres.push(pre) - 1}\u0000`);
  html = html
    .split(/\u0000(\d+)\u0000/)
    .map((part, i) => (i % 2 === 1 ? pres[Number(part)]! : shortcodes(part, attachments, droppedShortcodes, missingGalleryIds)))
    .join('');
  // Block-editor bodies carry their own paragraphs; WordPress does not wpautop them either.
  if (!blocks) html = autop(html);
  return { html, droppedShortcodes, missingGalleryIds };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', hellip: '…', mdash: '—', ndash: '–' };

/** Text of a title that may hold markup and entities (`Title <em>With</em> &amp; markup`). */
export function plainTitle(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (all, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '';
      }
      return ENTITIES[e.toLowerCase()] ?? all;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** A title for a post that has none: its text's first sentence, cut to `max` characters. */
export function derivedTitle(text: string, max = 30): string {
  const first = text.replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?(?:[。！？]|[!?.](?=\s|$)))/u.exec(first)?.[1] ?? first;
  const chars = [...sentence];
  return chars.length <= max ? sentence : `${chars.slice(0, max - 1).join('')}…`;
}
