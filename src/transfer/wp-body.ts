/**
 * WordPress bodies as WordPress shows them, in HTML any sanitizer can take: block-editor comments removed, classic
 * bodies given their paragraphs (wpautop: blank lines are paragraphs, single newlines <br>, never inside <pre> or
 * between block elements), [caption] as a figure with its caption, [gallery ids=…] as its images, and every other
 * shortcode dropped (counted), so no raw shortcode reaches a reader. The result still goes through the article
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
  for (const m of raw.matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))/g)) out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

function caption(attrs: Map<string, string>, inner: string): string {
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

/** Replaces shortcodes in text (outside <pre>): caption and gallery converted, the rest dropped and counted. */
function shortcodes(html: string, attachments: AttachmentUrls, dropped: Map<string, number>, missing: string[]): string {
  const count = (name: string) => dropped.set(name, (dropped.get(name) ?? 0) + 1);
  // Enclosing pairs first ([caption]…[/caption], [embed]url[/embed]); innermost first so nesting unwinds.
  let out = html;
  for (let round = 0; round < 10; round++) {
    let changed = false;
    out = out.replace(
      /\[([a-zA-Z_][\w.-]*)(\s[^\]]*)?\]((?:(?!\[\1[\s\]])[\s\S])*?)\[\/\1\]/g,
      (_all, name: string, raw: string | undefined, inner: string) => {
        changed = true;
        const lower = name.toLowerCase();
        const attrs = attributes(raw ?? '');
        if (lower === 'caption' || lower === 'wp_caption') return caption(attrs, inner);
        count(lower);
        // Media shortcodes enclose an address or code, not text for readers; others enclose text that stays.
        return KNOWN_SHORTCODES.has(lower) ? '' : inner;
      },
    );
    if (!changed) break;
  }
  return out.replace(/\[([a-zA-Z_][\w.-]*)(\s[^\]]*)?\/?\]/g, (all, name: string, raw: string | undefined) => {
    const lower = name.toLowerCase();
    const attrs = attributes(raw ?? '');
    if (lower === 'gallery') return gallery(attrs, attachments, missing);
    if (!KNOWN_SHORTCODES.has(lower) && attrs.size === 0 && !/^\[\/|\/\]$/.test(all)) return all;
    count(lower);
    return '';
  });
}

/** WordPress's wpautop, in its essentials: paragraphs from blank lines, <br> from single newlines, blocks left alone. */
export function autop(text: string): string {
  if (text.trim() === '') return '';
  // <pre> keeps its newlines: set aside and put back.
  const pres: string[] = [];
  let t = text.replace(/<pre\b[\s\S]*?<\/pre>/gi, (pre) => `<pre wp-pre-tag-${pres.push(pre) - 1}></pre>`);
  t = `${t.replace(/\r\n?/g, '\n')}\n`;
  t = t.replace(/<br\s*\/?>\s*<br\s*\/?>/gi, '\n\n');
  t = t.replace(BLOCK_OPEN_OR_CLOSE, '\n\n$1').replace(BLOCK_CLOSE, '$1\n\n');
  t = t.replace(/\n\n+/g, '\n\n');
  const paragraphs = t.split(/\n\s*\n/).filter((p) => p.trim() !== '');
  let out = '';
  for (const raw of paragraphs) {
    const p = raw.trim();
    if (STARTS_BLOCK.test(p) && ENDS_BLOCK.test(p)) {
      out += `${p}\n`;
      continue;
    }
    // Single newlines inside a paragraph are line breaks, except beside a block tag.
    const lines = p.replace(/\s*\n\s*/g, (nl, offset: number, whole: string) => {
      const before = whole.slice(0, offset);
      const after = whole.slice(offset + nl.length);
      return ENDS_BLOCK.test(before) || STARTS_BLOCK.test(after) ? '\n' : '<br>\n';
    });
    out += STARTS_BLOCK.test(lines) ? `${lines}\n` : `<p>${lines}</p>\n`;
  }
  return out.replace(/<pre wp-pre-tag-(\d+)><\/pre>/g, (_all, i: string) => pres[Number(i)]!).trim();
}

/** A WordPress body as HTML for the sanitizer; see the module comment. */
export function convertWordPressBody(content: string, attachments: AttachmentUrls = new Map()): BodyConversion {
  const droppedShortcodes = new Map<string, number>();
  const missingGalleryIds: string[] = [];
  const blocks = BLOCK_COMMENT.test(content);
  BLOCK_COMMENT.lastIndex = 0;
  let html = content.replace(BLOCK_COMMENT, '');
  // <!--more--> and <!--nextpage--> are WordPress's own markers, not text.
  html = html.replace(/<!--\s*(more|nextpage|noteaser)\b[\s\S]*?-->/gi, '');
  // Shortcodes are text, never inside <pre> (where WordPress shows them as written, so do we).
  html = html
    .split(/(<pre\b[\s\S]*?<\/pre>)/i)
    .map((part, i) => (i % 2 === 1 ? part : shortcodes(part, attachments, droppedShortcodes, missingGalleryIds)))
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
