/**
 * Old addresses of imported articles, in one normal form for both sides (what the import stores, what a request asks
 * for): a path percent-decoded (so `/2020/01/%E4%B8%AD%E6%96%87/` and `/2020/01/中文` meet), NFC, lower case, no
 * repeated or trailing slash; or `?p=123` for WordPress's query form (`/?p=123`, `/index.php?p=123`).
 */

export const OLD_PATH_MAX = 1000;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A stray % or a broken UTF-8 sequence: compare it as written, with its hex in one case.
    return segment.replace(/%[0-9a-f]{2}/gi, (h) => h.toUpperCase());
  }
}

/** The key of a path alone: '' for the site's root, undefined for one not to remember (over-long, control characters). */
function pathKey(path: string): string | undefined {
  const decoded = path
    .split('/')
    .map(decodeSegment)
    .join('/')
    .normalize('NFC')
    .toLowerCase()
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '');
  if (decoded.length > OLD_PATH_MAX || /[\u0000-\u001f]/.test(decoded)) return undefined;
  return decoded === '' || decoded.startsWith('/') ? decoded : `/${decoded}`;
}

/**
 * The key of a path and query, or undefined when there is nothing to remember (the site's root, an over-long path).
 * WordPress's `?p=123` is keyed with the folder it was asked in: `?p=123` at the root (`/?p=123`, `/index.php?p=123`),
 * `/blog?p=123` for a site installed in /blog.
 */
export function oldUrlKey(path: string, query = ''): string | undefined {
  const p = new URLSearchParams(query).get('p');
  if (p !== null && /^\d{1,12}$/.test(p)) {
    const folder = pathKey(path.replace(/\/index\.php\/*$/i, ''));
    if (folder !== undefined) return `${folder}?p=${Number(p)}`;
  }
  return pathKey(path) || undefined;
}

/**
 * The key of an address (absolute, or relative to `base`: a feed's `<link>/news/1.html</link>`), or undefined for one
 * that is not http(s) or names nothing below the root.
 */
export function oldUrlKeyOf(url: string, base?: string): string | undefined {
  let parsed: URL;
  try {
    parsed = URL.canParse(url) || !base ? new URL(url) : new URL(url, base);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return oldUrlKey(parsed.pathname, parsed.search);
}

/**
 * A request's path as the stored addresses were read (by the URL parser): `..` and `%2e%2e` segments resolved, a
 * backslash a slash. The server takes the path as sent; a browser would have done this before sending it.
 */
function resolvedPath(path: string): string {
  try {
    // After a host of our own, so that `//elsewhere/x` stays a path.
    return new URL(`http://old-address${path.startsWith('/') ? '' : '/'}${path}`).pathname;
  } catch {
    return path;
  }
}

/**
 * The keys a request's URL may be stored under, most precise first (`/2010/10/05/slug/?utm_source=x`; a `?p=` on a
 * path that is no folder of the old site's is looked up by the path alone too).
 */
export function oldUrlKeysOfRequest(url: string): string[] {
  const hash = url.indexOf('#');
  const u = hash < 0 ? url : url.slice(0, hash);
  const q = u.indexOf('?');
  const path = resolvedPath(q < 0 ? u : u.slice(0, q));
  const keys = [oldUrlKey(path, q < 0 ? '' : u.slice(q + 1)), oldUrlKey(path)].filter((k) => k !== undefined);
  return [...new Set(keys)];
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
};

/**
 * The old addresses of one post: its `<link>` (`/2010/10/05/slug/`, whatever the permalinks were), `?p=<post id>`
 * (WordPress answers it for every post), and its guid when that is an address on the same site.
 */
export function oldAddressesOf(post: { link: string; guid: string; postId: string }, siteLink: string): string[] {
  const keys = new Set<string>();
  const add = (k: string | undefined) => {
    if (k) keys.add(k);
  };
  add(oldUrlKeyOf(post.link, siteLink));
  // Asked in the folder WordPress is installed in (its site address): `/?p=123`, or `/blog/?p=123`.
  if (/^\d+$/.test(post.postId)) add(oldUrlKeyOf(`?p=${Number(post.postId)}`, siteLink.replace(/\/*$/, '/')) ?? `?p=${Number(post.postId)}`);
  const site = hostOf(siteLink) ?? hostOf(post.link);
  if (post.guid && site && hostOf(post.guid) === site) add(oldUrlKeyOf(post.guid));
  return [...keys];
}
