import { open } from 'node:fs/promises';
import { JsonStream, jsonShapeOf, parseJsonFile, type JsonAt, type JsonEvents } from './json.ts';
import { child, children, childText, ImportFileError, innerXml, parseXmlFile, XmlStream, type XmlEvents, type XmlNode } from './xml.ts';

/**
 * What an archive file holds, read as a stream of plain records whatever its format: WordPress WXR (1.0–1.2), an RSS
 * 2.0 feed, an Atom feed, a JSON Feed (1.0, 1.1) or JSON lines (one item a line, json.ts). Nothing here knows Inkstone's articles: src/domain/imports maps these records onto them.
 */

export type ImportFormat = 'wxr' | 'rss' | 'atom' | 'json-feed' | 'json-lines' | 'inkstone';

export interface SourceSite {
  format: Exclude<ImportFormat, 'inkstone'>;
  title: string;
  /** The site's address (`<link>`, wp:base_blog_url): a post's source key is scoped by it. */
  link: string;
  wxrVersion: string;
}

export interface SourceAuthor {
  login: string;
  displayName: string;
}

export interface SourceCategory {
  termId: string;
  slug: string;
  /** The parent's slug, '' at the top. */
  parent: string;
  name: string;
  /** This level's own slug when `slug` is a whole channel path (a JSON item's `channel`, e.g. difang/yaowen). */
  channelSlug?: string;
}

export interface SourceTerm {
  slug: string;
  name: string;
}

export interface SourceItemTerm {
  domain: 'category' | 'post_tag' | string;
  slug: string;
  name: string;
}

/** One item (post, page, attachment, menu item…) of the file. */
export interface SourceItem {
  line: number;
  /** WXR post id, or '' for feeds. */
  postId: string;
  postType: string;
  /** WXR status (publish, draft, pending, future, private, trash…); feeds: publish. */
  status: string;
  password: string;
  title: string;
  /** The title is HTML (WXR and RSS titles may hold markup; Atom says so with type). */
  link: string;
  guid: string;
  creator: string;
  /** Body HTML as the source keeps it (WordPress: without <p>, wpautop'd when shown). */
  content: string;
  excerpt: string;
  /** Publication time in ms, or undefined when the file gives none. */
  date: number | undefined;
  modified: number | undefined;
  /** wp:post_name: the slug, possibly percent-encoded. */
  slug: string;
  parentId: string;
  attachmentUrl: string;
  terms: SourceItemTerm[];
  meta: Map<string, string>;
  comments: number;
  // JSON items only: absent where the format has no such field (a re-import then leaves the article's own).
  /** The site a JSON line's id is scoped by, when it names one (else the file's). */
  site?: string;
  /** The cover's address (JSON's image or banner_image). */
  cover?: string;
  subtitle?: string;
  /** 来源: the paper or agency the item came from. */
  source?: string;
  editor?: string;
}

export type SourceRecord =
  | { kind: 'site'; site: SourceSite }
  | { kind: 'author'; author: SourceAuthor }
  | { kind: 'category'; category: SourceCategory }
  | { kind: 'tag'; tag: SourceTerm }
  | { kind: 'item'; item: SourceItem };

/** How much of a file's start tells its format. */
const HEAD_BYTES = 64 * 1024;

/** Reads a file's first bytes and first element: the format it is, whatever its name says. */
export async function detectFormat(file: string): Promise<ImportFormat> {
  const handle = await open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  return formatOf(head);
}

/** The format a file's first bytes (up to 64 KB, or all of a shorter file) say it is. */
export function formatOf(head: Buffer): ImportFormat {
  if (head.length === 0) throw new ImportFileError('the file is empty (文件为空)');
  if (head[0] === 0x1f && head[1] === 0x8b) return 'inkstone';
  // JSON: `{` (or a `[` to refuse) first, after an optional BOM and blanks.
  const utf8 = head.toString('utf8');
  if (/^\uFEFF?[ \t\r\n]*[{[]/.test(utf8)) return jsonShapeOf(utf8) === 'feed' ? 'json-feed' : 'json-lines';
  let text = head.toString('latin1');
  if (head[0] === 0xff && head[1] === 0xfe) text = head.subarray(2).toString('utf16le');
  if (head[0] === 0xfe && head[1] === 0xff) text = Buffer.from(head.subarray(2)).swap16().toString('utf16le');
  // The first element after the declaration, comments, processing instructions and a DOCTYPE.
  const body = text.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/g, '');
  const root = /^\s*<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)\b([^>]*)>?/.exec(body);
  if (!root)
    throw new ImportFileError('not a WordPress export, an RSS or Atom feed, a JSON Feed, JSON lines or an Inkstone archive (无法识别的文件格式)', 1, 1);
  const local = root[2]!;
  if (local === 'rss') return /wordpress\.org\/export\/1\.\d+\//.test(text) ? 'wxr' : 'rss';
  if (local === 'feed' && /http:\/\/www\.w3\.org\/2005\/Atom/.test(root[3] ?? '')) return 'atom';
  throw new ImportFileError(`<${root[1] ?? ''}${local}> is not the root of a WordPress export, an RSS or an Atom feed (无法识别的文件格式)`, 1, 1);
}

const WXR_CHANNEL_RECORDS = new Set(['wp:author', 'wp:category', 'wp:tag', 'wp:term', 'item']);

/**
 * Dates as WXR writes them (`2010-10-05 00:27:25`, GMT for *_gmt), RFC 822 (pubDate) or ISO 8601 (Atom). A date that
 * names no zone (`2020-01-05 10:00:00`, `Sun, 05 Jan 2020 10:00:00`, feeds that leave it out) is in
 * `zoneOffsetMinutes` east of UTC: never in the importing server's own zone, which would make one file's times
 * depend on the machine it is imported on.
 */
export function parseDate(value: string, zoneOffsetMinutes = 0): number | undefined {
  const v = value.trim();
  if (v === '' || v.startsWith('0000-00-00')) return undefined;
  const plain = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/.exec(v);
  if (plain) {
    const [y, mo, d, h, mi, s] = plain.slice(1, 7).map((n) => Number(n ?? 0)) as [number, number, number, number, number, number];
    // A month, day or time out of range (2020-13-45, 24:00) is no date rather than another one carried over; the year
    // is set as written (Date.UTC reads 0001 as 1901).
    const at = new Date(Date.UTC(2000, 0, 1, h, mi, s, Number((plain[7] ?? '').padEnd(3, '0'))));
    at.setUTCFullYear(y, mo - 1, d);
    if (y < 1 || h > 23 || mi > 59 || s > 59 || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return undefined;
    return at.getTime() - zoneOffsetMinutes * 60_000;
  }
  // PHP's rendering of WordPress's zero date: no date (V8 would read it as 2030).
  if (v.startsWith('-')) return undefined;
  const ms = Date.parse(ZONED.test(v) ? v : `${v} ${zoneOffset(zoneOffsetMinutes)}`);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse's lenient forms give some dates another year (`01 Jan 0001` as 2001): a date whose year is not the one
  // written (a zone may move it by one) is no date.
  const year = WRITTEN_YEAR.exec(v);
  return year && Math.abs(new Date(ms).getUTCFullYear() - Number(year[0])) > 1 ? undefined : ms;
}

/** The first four-digit number that is not a zone (`+0800`): a date's year. */
const WRITTEN_YEAR = /(?<![\d+-])\d{4}(?!\d)/;

/** Ends with a zone: `Z`, `+0800`, `+08:00`, or a name Date.parse knows (GMT, UTC, UT, the US zones of RFC 822). */
const ZONED = /(?:Z|[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|UT|[ECMP][SD]T))$/i;

/** `+0800` for 480 minutes east of UTC. */
function zoneOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** Site time of WordPress's post_date when no GMT is given: China's, the newsrooms this is for. */
const SITE_OFFSET_MINUTES = 8 * 60;

function wxrItem(node: XmlNode): SourceItem {
  const meta = new Map<string, string>();
  for (const m of children(node, 'wp:postmeta')) meta.set(childText(m, 'wp:meta_key'), childText(m, 'wp:meta_value'));
  const date =
    parseDate(childText(node, 'wp:post_date_gmt')) ??
    parseDate(childText(node, 'pubDate'), SITE_OFFSET_MINUTES) ??
    parseDate(childText(node, 'wp:post_date'), SITE_OFFSET_MINUTES);
  return {
    line: node.line,
    postId: childText(node, 'wp:post_id'),
    postType: childText(node, 'wp:post_type') || 'post',
    status: childText(node, 'wp:status') || 'publish',
    password: childText(node, 'wp:post_password'),
    title: child(node, 'title')?.text ?? '',
    link: childText(node, 'link'),
    guid: childText(node, 'guid'),
    creator: childText(node, 'dc:creator'),
    content: child(node, 'content:encoded')?.text ?? '',
    excerpt: child(node, 'excerpt:encoded')?.text ?? '',
    date,
    modified: parseDate(childText(node, 'wp:post_modified_gmt')) ?? parseDate(childText(node, 'wp:post_modified'), SITE_OFFSET_MINUTES),
    slug: childText(node, 'wp:post_name'),
    parentId: childText(node, 'wp:post_parent'),
    attachmentUrl: childText(node, 'wp:attachment_url'),
    terms: children(node, 'category').map((c) => ({ domain: c.attrs.domain ?? 'category', slug: c.attrs.nicename ?? '', name: c.text.trim() })),
    meta,
    comments: children(node, 'wp:comment').length,
  };
}

const URL_ATTRIBUTE = /(<(?:img|a)\b[^<>]*?\s(?:src|href)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))/gi;
const attributeText = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * A feed body's relative image and link addresses made absolute (`/img/a.jpg`, `../b.html`, `//cdn.example/c.jpg`),
 * against the item's own address or else the feed's: a feed shows its items on the site that wrote them, and here the
 * same addresses would name pages and files of ours that do not exist (and a protocol-relative one is dropped).
 */
export function absoluteUrls(html: string, ...bases: string[]): string {
  let base: URL | undefined;
  for (const b of bases) {
    try {
      const u = new URL(b, base);
      if (u.protocol === 'http:' || u.protocol === 'https:') base = u;
    } catch {
      // Not an address: the next one, or none.
    }
  }
  if (!base) return html;
  const from = base;
  return html.replace(URL_ATTRIBUTE, (all, before: string, quoted?: string, single?: string, bare?: string) => {
    const raw = attributeText(quoted ?? single ?? bare ?? '').trim();
    // Absolute already (any scheme: the sanitizer judges it), a fragment, or nothing.
    if (raw === '' || raw.startsWith('#') || /^[a-z][a-z\d+.-]*:/i.test(raw)) return all;
    try {
      return `${before}"${new URL(raw, from).href.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`;
    } catch {
      return all;
    }
  });
}

function rssItem(node: XmlNode, siteLink: string): SourceItem {
  const pub = parseDate(childText(node, 'pubDate'), SITE_OFFSET_MINUTES) ?? parseDate(childText(node, 'dc:date'), SITE_OFFSET_MINUTES);
  const encoded = child(node, 'content:encoded')?.text ?? '';
  const description = child(node, 'description')?.text ?? '';
  return {
    ...emptyItem(node.line),
    title: child(node, 'title')?.text ?? '',
    link: childText(node, 'link'),
    guid: childText(node, 'guid'),
    creator: childText(node, 'dc:creator') || childText(node, 'author'),
    content: absoluteUrls(encoded || description, siteLink, childText(node, 'link')),
    excerpt: encoded ? description : '',
    date: pub,
    modified: pub,
    terms: children(node, 'category').map((c) => ({ domain: 'post_tag', slug: '', name: c.text.trim() })),
  };
}

function atomText(node: XmlNode | undefined): { html: string; isHtml: boolean } {
  if (!node) return { html: '', isHtml: false };
  const type = node.attrs.type ?? 'text';
  if (type === 'xhtml') return { html: innerXml(child(node, 'div') ?? node), isHtml: true };
  return { html: node.text, isHtml: type === 'html' };
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function atomEntry(node: XmlNode, siteLink: string): SourceItem {
  const links = children(node, 'atom:link');
  const link = links.find((l) => (l.attrs.rel ?? 'alternate') === 'alternate')?.attrs.href ?? '';
  const title = atomText(child(node, 'atom:title'));
  const content = atomText(child(node, 'atom:content'));
  const summary = atomText(child(node, 'atom:summary'));
  const published = parseDate(childText(node, 'atom:published'), SITE_OFFSET_MINUTES) ?? parseDate(childText(node, 'atom:updated'), SITE_OFFSET_MINUTES);
  const author = child(node, 'atom:author');
  return {
    ...emptyItem(node.line),
    title: title.isHtml ? title.html : escapeText(title.html),
    link,
    guid: childText(node, 'atom:id'),
    creator: author ? childText(author, 'atom:name') : '',
    content: content.isHtml ? absoluteUrls(content.html, siteLink, link) : escapeText(content.html),
    excerpt: summary.isHtml ? summary.html : escapeText(summary.html),
    date: published,
    modified: parseDate(childText(node, 'atom:updated'), SITE_OFFSET_MINUTES) ?? published,
    terms: children(node, 'atom:category').map((c) => ({ domain: 'post_tag', slug: '', name: (c.attrs.label ?? c.attrs.term ?? '').trim() })),
  };
}

function emptyItem(line: number): SourceItem {
  return {
    line,
    postId: '',
    postType: 'post',
    status: 'publish',
    password: '',
    title: '',
    link: '',
    guid: '',
    creator: '',
    content: '',
    excerpt: '',
    date: undefined,
    modified: undefined,
    slug: '',
    parentId: '',
    attachmentUrl: '',
    terms: [],
    meta: new Map(),
    comments: 0,
  };
}

/** The parser's events for a format, collecting its records into `pending`; `finish` after the last byte. */
function sourceEvents(format: Exclude<ImportFormat, 'inkstone'>, pending: SourceRecord[]): { events: XmlEvents; finish(): void } {
  const site: SourceSite = { format, title: '', link: '', wxrVersion: '' };
  let siteSent = false;
  const flushSite = () => {
    if (!siteSent) {
      siteSent = true;
      pending.push({ kind: 'site', site: { ...site } });
    }
  };
  const isRecord = (path: readonly string[]) => {
    if (format === 'atom') return path.length === 2 && path[1] === 'atom:entry';
    return path.length === 3 && path[1] === 'channel' && (format === 'wxr' ? WXR_CHANNEL_RECORDS.has(path[2]!) : path[2] === 'item');
  };
  let rootName = '';
  const events: XmlEvents = {
    root(name) {
      rootName = name;
      const expected = format === 'atom' ? 'atom:feed' : 'rss';
      if (name !== expected) throw new ImportFileError(`the root element is <${name}>, not <${expected}>`, 1, 1);
    },
    isRecord,
    record(node) {
      flushSite();
      if (format === 'atom') pending.push({ kind: 'item', item: atomEntry(node, site.link) });
      else if (format === 'rss') pending.push({ kind: 'item', item: rssItem(node, site.link) });
      else if (node.name === 'item') pending.push({ kind: 'item', item: wxrItem(node) });
      else if (node.name === 'wp:author') {
        pending.push({ kind: 'author', author: { login: childText(node, 'wp:author_login'), displayName: childText(node, 'wp:author_display_name') } });
      } else if (node.name === 'wp:category') {
        pending.push({
          kind: 'category',
          category: {
            termId: childText(node, 'wp:term_id'),
            slug: childText(node, 'wp:category_nicename'),
            parent: childText(node, 'wp:category_parent'),
            name: childText(node, 'wp:cat_name'),
          },
        });
      } else if (node.name === 'wp:tag') {
        pending.push({ kind: 'tag', tag: { slug: childText(node, 'wp:tag_slug'), name: childText(node, 'wp:tag_name') } });
      } else if (node.name === 'wp:term' && childText(node, 'wp:term_taxonomy') === 'category') {
        pending.push({
          kind: 'category',
          category: {
            termId: childText(node, 'wp:term_id'),
            slug: childText(node, 'wp:term_slug'),
            parent: childText(node, 'wp:term_parent'),
            name: childText(node, 'wp:term_name'),
          },
        });
      }
    },
    text(path, text) {
      const at = path.join('/');
      if (format === 'atom') {
        if (at === 'atom:feed/atom:title') site.title = text.trim();
        if (at === 'atom:feed/atom:id' && !site.link) site.link = text.trim();
        return;
      }
      if (at === 'rss/channel/title') site.title = text.trim();
      else if (at === 'rss/channel/link' && !site.link) site.link = text.trim();
      else if (at === 'rss/channel/wp:base_blog_url') site.link = text.trim();
      else if (at === 'rss/channel/wp:wxr_version') site.wxrVersion = text.trim();
    },
  };
  return {
    events,
    finish() {
      if (!rootName) throw new ImportFileError('no XML element in the file (文件中没有 XML 元素)');
      flushSite();
    },
  };
}

type JsonFormat = 'json-feed' | 'json-lines';
const isJson = (format: Exclude<ImportFormat, 'inkstone'>): format is JsonFormat => format === 'json-feed' || format === 'json-lines';

/** A JSON item's field of the type it must have, or undefined when absent (null counts as absent). */
function jsonField<T extends 'string' | 'object'>(
  o: Record<string, unknown>,
  key: string,
  type: T,
  at: JsonAt,
): (T extends 'string' ? string : object) | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type)
    throw new ImportFileError(`"${key}" must be ${type === 'string' ? 'a string' : 'an object or array'} (字段 ${key} 的类型不对)`, at.line, at.column);
  return v as T extends 'string' ? string : object;
}

/** An address as written, made absolute against the item's or the site's when relative; '' when it is no address. */
function absoluteAddress(url: string, ...bases: string[]): string {
  if (url.trim() === '') return '';
  for (const base of [...bases, undefined]) {
    try {
      const u = new URL(url.trim(), base || undefined);
      if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
      return '';
    } catch {
      // Not absolute against this base: the next.
    }
  }
  return '';
}

/** Plain text (JSON's content_text) as paragraphs: each line that is not blank is one, as news text writes them. */
export function textParagraphs(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => `<p>${escapeText(l)}</p>`)
    .join('\n');
}

const JSON_STATUS: Record<string, string> = { published: 'publish', draft: 'draft', scheduled: 'future' };
/** A channel path's levels: slugs or names, at most 8 of at most 40 characters each. */
const CHANNEL_LEVEL = /^[^/\u0000-\u001f]{1,40}$/;

/**
 * One JSON Feed item or JSON line as a source item: JSON Feed's own fields (id, url, title, content_html or
 * content_text, summary, image or banner_image, date_published, date_modified, authors or author, tags) and
 * Inkstone's (channel, source, subtitle, editor, status, and a JSON line's site). Anything of the wrong type is refused
 * with where the item starts: the file is all or nothing.
 */
function jsonItem(value: unknown, at: JsonAt, format: JsonFormat, siteLink: string): SourceItem {
  const fail = (reason: string): never => {
    throw new ImportFileError(reason, at.line, at.column);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('an item is not a JSON object (条目应是 JSON 对象)');
  const o = value as Record<string, unknown>;
  const text = (key: string) => jsonField(o, key, 'string', at);
  const rawId = typeof o.id === 'number' && Number.isFinite(o.id) ? String(o.id) : text('id');
  const id = rawId?.trim() ?? '';
  if (id === '') fail('an item without "id": the id is what a repeat import knows it by (条目缺少 id)');
  if (id.length > 1000) fail('"id" is longer than 1000 characters (id 过长)');
  const site = format === 'json-lines' ? text('site')?.trim() : undefined;
  const base = site || siteLink;
  const link = text('url') ? absoluteAddress(text('url')!, base) : '';
  const date = (key: string) => {
    const raw = text(key);
    if (raw === undefined || raw.trim() === '') return undefined;
    // RFC 3339, or its date and time without a zone (China time): nothing Date.parse would guess at.
    return (
      (/^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}|\s*$)/.test(raw) ? parseDate(raw, SITE_OFFSET_MINUTES) : undefined) ??
      fail(`"${key}" is not a date (RFC 3339, e.g. 2024-03-01T10:00:00+08:00) (${key} 不是有效日期)`)
    );
  };
  const published = date('date_published');
  const statusName = text('status') ?? 'published';
  const status =
    JSON_STATUS[statusName] ??
    fail(`"status" must be published, draft or scheduled, not "${statusName.slice(0, 40)}" (status 只能是 published、draft 或 scheduled)`);
  if (status === 'future' && published === undefined) fail('a scheduled item needs its time in "date_published" (定时发布的条目需要 date_published)');
  const html = text('content_html');
  const authors = jsonField(o, 'authors', 'object', at) ?? (jsonField(o, 'author', 'object', at) ? [o.author] : []);
  const names = (Array.isArray(authors) ? authors : fail('"authors" must be an array (authors 应是数组)'))
    .map((a) => (typeof a === 'object' && a !== null && typeof (a as { name?: unknown }).name === 'string' ? (a as { name: string }).name.trim() : ''))
    .filter((n) => n !== '');
  const tags = jsonField(o, 'tags', 'object', at) ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) fail('"tags" must be an array of strings (tags 应是字符串数组)');
  const terms: SourceItemTerm[] = (tags as string[]).map((name) => ({ domain: 'post_tag', slug: '', name: escapeText(name) }));
  const channel = text('channel')
    ?.trim()
    .replace(/^\/+|\/+$/g, '');
  if (channel) {
    const levels = channel.split('/').map((l) => l.trim());
    if (levels.length > 8 || !levels.every((l) => CHANNEL_LEVEL.test(l))) fail('"channel" must be a channel path like difang/yaowen (channel 应是频道路径)');
    terms.unshift({ domain: 'category', slug: levels.join('/'), name: levels[levels.length - 1]! });
  }
  // A cover the newsroom would refuse on a later edit (too long, quotes in it) is left out: the body keeps its images.
  const image = absoluteAddress(text('image') || text('banner_image') || '', link, base);
  const cover = image.length <= 1000 && !/[\s"'<>]/.test(image) ? image : '';
  return {
    ...emptyItem(at.line),
    status,
    title: escapeText(text('title') ?? ''),
    link,
    guid: id,
    creator: names.join('、'),
    content: html !== undefined ? absoluteUrls(html, base, link) : textParagraphs(text('content_text') ?? ''),
    excerpt: escapeText(text('summary') ?? ''),
    date: published,
    modified: date('date_modified') ?? published,
    terms,
    ...(site ? { site } : {}),
    ...(cover ? { cover } : {}),
    ...(text('subtitle') !== undefined ? { subtitle: text('subtitle') } : {}),
    ...(text('source') !== undefined ? { source: text('source') } : {}),
    ...(text('editor') !== undefined ? { editor: text('editor') } : {}),
  };
}

/**
 * The JSON reader's events for a format, collecting records into `pending`: each item, after the channels its path
 * names (parents first, each once: a WXR file's categories, for the importer), and the site. A JSON Feed's site is
 * its home_page_url (or feed_url); `finish` checks, after the last byte, that it named a JSON Feed version.
 */
function jsonEvents(format: JsonFormat, pending: SourceRecord[]): { events: JsonEvents; finish(): void } {
  const site: SourceSite = { format, title: '', link: '', wxrVersion: '' };
  let version = '';
  let siteSent = false;
  const channels = new Set<string>();
  const flushSite = () => {
    if (!siteSent) {
      siteSent = true;
      pending.push({ kind: 'site', site: { ...site } });
    }
  };
  const events: JsonEvents = {
    field(key, value) {
      if (typeof value !== 'string') return;
      if (key === 'version') version = value.trim();
      else if (key === 'title') site.title = value.trim();
      else if (key === 'home_page_url') site.link = value.trim();
      else if (key === 'feed_url' && !site.link) site.link = value.trim();
      // A site told after items came: sent again (the importer takes the last site record).
      if (key === 'home_page_url' || key === 'feed_url' || key === 'title') siteSent = false;
    },
    record(value, at) {
      flushSite();
      const item = jsonItem(value, at, format, site.link);
      const channel = item.terms.find((t) => t.domain === 'category');
      if (channel) {
        const levels = channel.slug.split('/');
        for (let i = 1; i <= levels.length; i++) {
          const path = levels.slice(0, i).join('/');
          if (channels.has(path)) continue;
          channels.add(path);
          const parent = levels.slice(0, i - 1).join('/');
          pending.push({ kind: 'category', category: { termId: '', slug: path, parent, name: levels[i - 1]!, channelSlug: levels[i - 1]! } });
        }
      }
      pending.push({ kind: 'item', item });
    },
  };
  return {
    events,
    finish() {
      if (format === 'json-feed' && !/^https:\/\/jsonfeed\.org\/version\/1(?:\.\d+)?\/?$/.test(version)) {
        throw new ImportFileError('not a JSON Feed: no "version": "https://jsonfeed.org/version/1.1" (缺少 JSON Feed 的 version)', 1, 1);
      }
      flushSite();
    },
  };
}

/**
 * The records of a WXR, RSS, Atom, JSON Feed or JSON lines file, streamed: the file is read in chunks and each chunk's records are yielded
 * before the next chunk is read, so memory stays that of one chunk and its records whatever the file's size. Throws
 * ImportFileError (with line and column) on anything malformed, at the point it is met.
 */
export async function* readSource(file: string, format: Exclude<ImportFormat, 'inkstone'>, signal?: AbortSignal): AsyncGenerator<SourceRecord> {
  const pending: SourceRecord[] = [];
  if (isJson(format)) {
    const { events, finish } = jsonEvents(format, pending);
    for await (const _ of parseJsonFile(file, format === 'json-feed' ? 'feed' : 'lines', events, signal)) yield* pending.splice(0);
    finish();
    yield* pending.splice(0);
    return;
  }
  const { events, finish } = sourceEvents(format, pending);
  for await (const _ of parseXmlFile(file, events, signal)) yield* pending.splice(0);
  finish();
  yield* pending.splice(0);
}

/**
 * Checks a file as its bytes arrive (an upload on its way to disk), with the same detection and parser as the import
 * reads it with: `write` each chunk, then `end`, which answers the format. Whatever the import's reading would refuse
 * (not a format we read, bytes not in the declared encoding, malformed XML, a DOCTYPE with entities, a record past the
 * bounds) throws ImportFileError from the `write` or `end` that met it, with its line and column. The records are
 * made and dropped: memory stays one chunk and one record. An Inkstone archive (gzip) is told by its first bytes and
 * not read further here.
 */
export class SourceCheck {
  private head: Buffer[] = [];
  private headBytes = 0;
  private format: ImportFormat | undefined;
  private xml: XmlStream | JsonStream | undefined;
  private finish: (() => void) | undefined;
  private readonly pending: SourceRecord[] = [];

  /** The format, once the first 64 KB (or the whole of a shorter file) are in. */
  get known(): ImportFormat | undefined {
    return this.format;
  }

  write(chunk: Buffer): void {
    if (this.format === undefined) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes >= HEAD_BYTES) this.begin();
      return;
    }
    this.feed(chunk);
  }

  end(): ImportFormat {
    if (this.format === undefined) this.begin();
    if (this.xml) {
      this.xml.end();
      this.finish!();
      this.pending.length = 0;
    }
    return this.format!;
  }

  private begin(): void {
    const bytes = Buffer.concat(this.head);
    this.head = [];
    // The same first 64 KB detectFormat reads from the file.
    this.format = formatOf(bytes.subarray(0, HEAD_BYTES));
    if (this.format === 'json-feed' || this.format === 'json-lines') {
      const { events, finish } = jsonEvents(this.format, this.pending);
      this.xml = new JsonStream(this.format === 'json-feed' ? 'feed' : 'lines', events);
      this.finish = finish;
    } else if (this.format !== 'inkstone') {
      const { events, finish } = sourceEvents(this.format, this.pending);
      this.xml = new XmlStream(events);
      this.finish = finish;
    }
    this.feed(bytes);
  }

  private feed(chunk: Buffer): void {
    if (!this.xml) return;
    this.xml.write(chunk);
    this.pending.length = 0;
  }
}
