import sanitizeHtml from 'sanitize-html';

/**
 * The allowlist for article bodies. Reporters' HTML reaches the public, so only structure survives:
 * no scripts, styles, event handlers, iframes, forms, SVG, or javascript:/data: URLs.
 */
const bodyOptions: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'h2', 'h3', 'h4', 'strong', 'em', 'b', 'i', 'ul', 'ol', 'li', 'blockquote', 'figure', 'figcaption', 'img', 'a', 'br'],
  allowedAttributes: {
    a: ['href', 'rel'],
    img: ['src', 'alt', 'width', 'height', 'loading', 'decoding'],
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
    a: (tagName, attribs) => ({
      tagName,
      attribs: attribs.href ? { href: attribs.href, rel: 'noopener noreferrer nofollow' } : ({} as sanitizeHtml.Attributes),
    }),
  },
  exclusiveFilter: (frame) =>
    // An image without a usable source, or a link-less anchor's empty shell, is noise.
    (frame.tag === 'img' && !frame.attribs.src) || (frame.tag === 'p' && frame.text.trim() === '' && !frame.mediaChildren.length),
};

export function sanitizeBody(html: string): string {
  return sanitizeHtml(html, bodyOptions).trim();
}

const blockEnd = /<\/(p|h2|h3|h4|li|blockquote|figcaption)>|<br\s*\/?>/gi;

/** Plain text of a (sanitized) body: one line per block, entities decoded. For search, summaries and counts. */
export function bodyText(html: string): string {
  const withBreaks = html.replace(blockEnd, (m) => `${m}\n`);
  const text = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {}, nonTextTags: ['script', 'style'] });
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+|#39);/gi, (m, name: string) => {
    const lower = name.toLowerCase();
    if (lower in named) return named[lower]!;
    if (lower.startsWith('#x')) return safeCodePoint(parseInt(lower.slice(2), 16)) ?? m;
    if (lower.startsWith('#')) return safeCodePoint(parseInt(lower.slice(1), 10)) ?? m;
    return m;
  });
}

function safeCodePoint(n: number): string | undefined {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : undefined;
}

/** Single-line text fields (title, source, byline…): no markup, no control characters, collapsed spaces. */
export function cleanLine(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Counts characters as readers do: CJK characters one each, Latin words one each. */
export function countReadingUnits(text: string): number {
  const cjk = text.match(/[\u3400-\u9fff\uf900-\ufaff]/g)?.length ?? 0;
  const words = text.replace(/[\u3400-\u9fff\uf900-\ufaff]/g, ' ').match(/[A-Za-z0-9]+/g)?.length ?? 0;
  return cjk + words;
}
