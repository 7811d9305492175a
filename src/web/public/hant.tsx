import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.ts';
import { fastConverter } from '../../domain/nlp/opencc.ts';
import { EXPIRES_HEADER, PUBLIC_PAGE, SURROGATE_KEY_HEADER } from '../page-cache.ts';
import { jsonForHtml } from './view.ts';

/** The traditional-character mirror of the reader pages lives under this prefix. */
export const HANT_PREFIX = '/zh-hant';

/** Reader pages that have a traditional mirror: home, articles, channels, topics, polls and search. */
const MIRRORED = /^\/(?:a\/\d{1,10}|p\/\d{1,9}|c\/[a-z0-9][a-z0-9/-]*|t\/[\w-]+|search)?$/;

export const isMirrored = (pathname: string): boolean => MIRRORED.test(pathname.replace(/\/+$/, '') || '/');

/**
 * The page a mirror (繁体, 关怀版) shows: the path after its prefix and the query. Undefined when the request's path is
 * not already as a browser sends it (dot segments, plain or percent-encoded, or backslashes): inject() would resolve
 * `/zh-hant/x/../search` to the search page, which the page cache would then keep under that path without its query,
 * answering every later query with the first one's results.
 */
export function mirroredPage(rawUrl: string, prefix: string): { pathname: string; search: string } | undefined {
  const url = new URL(rawUrl, 'http://mirror.invalid');
  // The path as sent, also in a request's absolute form (GET http://host/zh-hant/… HTTP/1.1).
  const start = rawUrl.startsWith('/') ? 0 : rawUrl.indexOf('/', rawUrl.indexOf('//') + 2);
  const end = rawUrl.search(/[?#]/);
  if (start < 0 || url.pathname !== rawUrl.slice(start, end < 0 ? undefined : end)) return undefined;
  return { pathname: url.pathname.slice(prefix.length) || '/', search: url.search };
}

/** The simplified path of a page and the one of its traditional mirror. */
export function scriptPaths(pathname: string): { hans: string; hant: string } {
  return { hans: pathname, hant: pathname === '/' ? `${HANT_PREFIX}/` : HANT_PREFIX + pathname };
}

/** hreflang alternates for both versions of a page (absolute addresses); search engines want them on both. */
export function ScriptAlternates({ hans, hant }: { hans: string; hant: string }) {
  return (
    <>
      <link rel="alternate" hreflang="zh-Hans" href={hans} />
      <link rel="alternate" hreflang="zh-Hant" href={hant} />
      <link rel="alternate" hreflang="x-default" href={hans} />
    </>
  );
}

/** 简/繁 in the header. Rendered for the simplified page; the mirror moves aria-current when it converts the page. */
export function ScriptSwitch({ hans, hant }: { hans: string; hant: string }) {
  return (
    <nav class="script-switch" aria-label="简繁切换">
      <a href={hans} hreflang="zh-Hans" lang="zh-Hans" data-script="hans" aria-current="true">
        简
      </a>
      <a href={hant} hreflang="zh-Hant" lang="zh-Hant" data-script="hant">
        繁
      </a>
    </nav>
  );
}

// Its tables are built on the first 繁 page, not at start-up (~50 ms and several MB a process that may never serve one).
let converter: ((text: string) => string) | undefined;
const toTraditional = (text: string): string => (converter ??= fastConverter('cn', 'tw'))(text);

/** Attributes people read (or hear): everything else — URLs, classes, ids, data keys — stays byte for byte. */
const READABLE_ATTRIBUTES = new Set(['alt', 'title', 'aria-label', 'placeholder', 'data-share-title', 'data-share-text']);
/** <meta> whose content is text for readers or for previews when shared. */
const READABLE_META =
  /^(?:description|keywords|og:title|og:description|og:site_name|og:image:alt|article:section|article:tag|twitter:title|twitter:description)$/;
/** JSON-LD values that are addresses, dates or types, never prose. */
const JSON_LD_VERBATIM = new Set(['@context', '@type', '@id', 'url', 'item', 'image', 'logo', 'mainEntityOfPage', 'datePublished', 'dateModified', 'sameAs']);

const TOKEN = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>|[^<]+|</g;
const ATTRIBUTE = /\s+([^\s=>/]+)(?:="([^"]*)")?/g;

interface Tag {
  name: string;
  attributes: [string, string | undefined][];
  selfClosing: boolean;
}

function parseTag(name: string, raw: string, selfClosing: boolean): Tag {
  return { name: name.toLowerCase(), attributes: [...raw.matchAll(ATTRIBUTE)].map((m) => [m[1]!, m[2]]), selfClosing };
}

function printTag(tag: Tag): string {
  const attrs = tag.attributes.map(([k, v]) => (v === undefined ? ` ${k}` : ` ${k}="${v}"`)).join('');
  return `<${tag.name}${attrs}${tag.selfClosing ? ' /' : ''}>`;
}

function decodeURIComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Where a link inside the mirror goes: our mirrored pages stay in the mirror; everything else is left alone. */
function mirrorHref(href: string): string {
  // The header's 关怀版 link (web/public/care.ts) returns to this page's care version: the 繁 one.
  const care = /^\/care\/on\?to=([^&#]*)$/.exec(href);
  if (care) {
    const to = decodeURIComponentSafe(care[1]!);
    return to === undefined ? href : `/care/on?to=${encodeURIComponent(mirrorHref(to))}`;
  }
  if (!href.startsWith('/') || href.startsWith('//') || href === HANT_PREFIX || href.startsWith(`${HANT_PREFIX}/`)) return href;
  const cut = href.search(/[?#]/);
  const pathname = cut < 0 ? href : href.slice(0, cut);
  return isMirrored(pathname) ? scriptPaths(pathname).hant + (cut < 0 ? '' : href.slice(cut)) : href;
}

function mirrorUrl(absolute: string, siteUrl: string): string {
  return absolute.startsWith(siteUrl + '/') ? siteUrl + mirrorHref(absolute.slice(siteUrl.length)) : absolute;
}

function convertJsonLd(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && JSON_LD_VERBATIM.has(key) ? value : toTraditional(value);
  if (Array.isArray(value)) return value.map((v) => convertJsonLd(v, key));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertJsonLd(v, k)]));
  return value;
}

function convertJsonLdText(text: string): string {
  try {
    return jsonForHtml(convertJsonLd(JSON.parse(text)));
  } catch {
    return text; // not ours to repair: left as rendered
  }
}

/**
 * The traditional-character version of a rendered reader page (OpenCC cn → tw, as for bodies): text nodes, readable
 * attributes and JSON-LD string values are converted; tags, URLs, class names and JSON keys are not. The page says
 * lang="zh-Hant", its canonical URL is its own, internal links stay in the mirror and the switch marks 繁 current.
 */
export function traditionalPage(html: string, siteUrl: string): string {
  const out: string[] = [];
  // Text is converted in one call at the end: OpenCC's cost is per call, not per character.
  const texts: { at: number; text: string }[] = [];
  let raw: 'script' | 'json-ld' | 'style' | undefined;
  let metaIsText = false;
  for (const m of html.matchAll(TOKEN)) {
    const [token, closing, name, attrs, selfClosing] = m;
    if (name === undefined) {
      if (token.startsWith('<!--')) out.push(token);
      else if (raw === 'json-ld') out.push(convertJsonLdText(token));
      else if (raw) out.push(token);
      else {
        texts.push({ at: out.length, text: token });
        out.push('');
      }
      continue;
    }
    if (closing) {
      if (raw && name.toLowerCase() === (raw === 'style' ? 'style' : 'script')) raw = undefined;
      out.push(token);
      continue;
    }
    if (raw) {
      out.push(token);
      continue;
    }
    const tag = parseTag(name, attrs ?? '', selfClosing === '/');
    const original = { ...tag };
    const get = (k: string) => tag.attributes.find(([key]) => key === k)?.[1];
    if (tag.name === 'script') raw = get('type') === 'application/ld+json' ? 'json-ld' : 'script';
    if (tag.name === 'style') raw = 'style';
    metaIsText = tag.name === 'meta' && READABLE_META.test(get('name') ?? get('property') ?? '');
    const script = get('data-script');
    tag.attributes = tag.attributes
      .filter(([k]) => !(script === 'hans' && k === 'aria-current'))
      .map(([k, v]): [string, string | undefined] => {
        if (v === undefined) return [k, v];
        if (tag.name === 'html' && k === 'lang') return [k, 'zh-Hant'];
        if (READABLE_ATTRIBUTES.has(k) || (k === 'content' && metaIsText)) return [k, toTraditional(v)];
        if (tag.name === 'meta' && k === 'content' && get('property') === 'og:locale') return [k, 'zh_TW'];
        if (tag.name === 'meta' && k === 'content' && get('property') === 'og:url') return [k, mirrorUrl(v, siteUrl)];
        if (tag.name === 'link' && k === 'href' && get('rel') === 'canonical') return [k, mirrorUrl(v, siteUrl)];
        if ((tag.name === 'a' && k === 'href' && !script) || (tag.name === 'form' && k === 'action' && (get('method') ?? 'get') === 'get'))
          return [k, mirrorHref(v)];
        return [k, v];
      });
    if (script === 'hant') tag.attributes.push(['aria-current', 'true']);
    // Untouched tags keep their exact bytes.
    out.push(printTag(tag) === printTag(original) ? token : printTag(tag));
  }
  const joined = texts.map((t) => t.text).join('\u0001');
  const converted =
    joined.includes('\u0001\u0001') || texts.some((t) => t.text.includes('\u0001'))
      ? texts.map((t) => toTraditional(t.text))
      : toTraditional(joined).split('\u0001');
  texts.forEach((t, i) => {
    out[t.at] = converted[i] ?? t.text;
  });
  return out.join('');
}

/**
 * /zh-hant/… renders the same page as its simplified path and converts it. Both versions are reader pages without
 * per-reader data, so the page cache keeps each under its own URL.
 */
export function hantRoutes(app: FastifyInstance, siteUrl: string): void {
  const mirror = async (req: FastifyRequest, reply: FastifyReply) => {
    const page = mirroredPage(req.url, HANT_PREFIX);
    if (!page || !isMirrored(page.pathname)) throw notFound('Page');
    const inner = await app.inject({ method: 'GET', url: page.pathname + page.search });
    const type = String(inner.headers['content-type'] ?? '');
    if (inner.statusCode >= 300 && inner.statusCode < 400 && typeof inner.headers.location === 'string') {
      return reply.redirect(mirrorHref(inner.headers.location), inner.statusCode);
    }
    if (!type.startsWith('text/html')) throw notFound('Page');
    // When the inner page stops holding (a poll it shows closes), so does this one: the page cache reads it.
    const expires = inner.headers[EXPIRES_HEADER];
    if (typeof expires === 'string') reply.header(EXPIRES_HEADER, expires);
    // Made from a cached page, it is as old as that page: the page cache keeps it no longer, hits say so (Age).
    const age = inner.headers.age;
    if (typeof age === 'string') reply.header('age', age);
    return reply
      .code(inner.statusCode)
      .header('content-type', type)
      .header('cache-control', String(inner.headers['cache-control'] ?? 'no-store'))
      .header(SURROGATE_KEY_HEADER, String(inner.headers[SURROGATE_KEY_HEADER] ?? ''))
      .send(traditionalPage(inner.body, siteUrl));
  };
  app.get(HANT_PREFIX, { config: PUBLIC_PAGE }, mirror);
  app.get(`${HANT_PREFIX}/*`, { config: PUBLIC_PAGE }, mirror);
  // One entry per query would push out the pages every reader shares: search stays out of the page cache.
  app.get(`${HANT_PREFIX}/search`, mirror);
}
