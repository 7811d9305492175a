import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.ts';
import { EXPIRES_HEADER, PUBLIC_PAGE, pageQuery, SURROGATE_KEY_HEADER } from '../page-cache.ts';
import { HANT_PREFIX, isMirrored, mirroredPage } from './hant.tsx';

/**
 * 关怀版 (care mode, 适老化): the same reader pages with large type, high contrast, large tap targets and one column.
 * Its pages live under this prefix, so that the care variant of a page is its own URL: its own page-cache entry and
 * its own CDN object, never served to a reader of the standard page or the other way round.
 */
export const CARE_PREFIX = '/care';
/** Set by /care/on (a plain link): the reader's standard pages redirect to their care version. */
export const CARE_COOKIE = 'inkstone_care';
const CARE_MAX_AGE = 365 * 24 * 3600;
const CARE_COOKIE_SET = /(?:^|;\s*)inkstone_care=1(?:;|$)/;

/** The reader pages that have a care version: those of the 繁 mirror (simplified or traditional) and share pages. */
export function isCareable(pathname: string): boolean {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (/^\/a\/\d{1,10}\/share$/.test(p)) return true;
  if (p === HANT_PREFIX) return true;
  if (p.startsWith(`${HANT_PREFIX}/`)) return isMirrored(p.slice(HANT_PREFIX.length));
  return isMirrored(p);
}

export const carePath = (pathname: string): string => (pathname === '/' ? `${CARE_PREFIX}/` : CARE_PREFIX + pathname);

/** A link inside a care page: our careable pages stay in care mode; everything else (assets, feeds, admin) is left. */
export function careHref(href: string): string {
  if (!href.startsWith('/') || href.startsWith('//') || href === CARE_PREFIX || href.startsWith(`${CARE_PREFIX}/`)) return href;
  const cut = href.search(/[?#]/);
  const pathname = cut < 0 ? href : href.slice(0, cut);
  return isCareable(pathname) ? carePath(pathname) + (cut < 0 ? '' : href.slice(cut)) : href;
}

/** Where /care/on and /care/off send the reader back to: a path on this site, else the home page (no open redirect). */
export function safeReturnPath(to: unknown): string {
  if (typeof to !== 'string' || to.length > 500 || !to.startsWith('/') || to.startsWith('//') || /[\\\s\u0000-\u001f]/.test(to)) return '/';
  const cut = to.search(/[?#]/);
  const pathname = cut < 0 ? to : to.slice(0, cut);
  if (pathname.startsWith(CARE_PREFIX + '/') || pathname === CARE_PREFIX) return safeReturnPath(pathname.slice(CARE_PREFIX.length) || '/');
  return isCareable(pathname) ? to : '/';
}

const ATTRIBUTE_URL = /(<(?:a|form)\b[^>]*?\s(?:href|action)=")(\/[^"]*)"/g;
const SIDE_COLUMN = /<aside class="side-col"[\s\S]*?<\/aside>/g;
const MOOD_FORM = /(<form method="post" action="\/a\/\d{1,10}\/mood)"/g;
const COMMENT_FORM = /(<form method="post" action="\/a\/\d{1,10}\/comments(?:\/\d{1,10}\/like)?)"/g;
const SWITCH = /<a class="care-switch" href="\/care\/on\?to=[^"]*" data-care-switch="on">[^<]*<\/a>/;

/**
 * The care version of a rendered reader page: html[data-mode=care] (site.css does the rest: sizes, contrast, targets,
 * one column, no motion), no sidebar rankings, internal links kept in care mode, and the header switch turned into
 * 退出关怀版 back to the standard page. The canonical URL stays the standard page's: it is the same content.
 */
export function carePage(html: string, standardPath: string): string {
  const off = `<a class="care-switch" href="/care/off?to=${encodeURIComponent(standardPath)}" data-care-switch="off">退出关怀版</a>`;
  return (
    html
      .replace(/<html\s/, '<html data-mode="care" ')
      .replace(SIDE_COLUMN, '')
      .replace(SWITCH, off)
      // The no-JavaScript mood vote lands on its acknowledgement page in care mode too.
      .replace(MOOD_FORM, '$1?mode=care"')
      // So do a comment's result page and a like's return to the article.
      .replace(COMMENT_FORM, '$1?mode=care"')
      .replace(ATTRIBUTE_URL, (_all, start: string, href: string) => `${start}${careHref(href)}"`)
  );
}

export const wantsCare = (cookieHeader: string | undefined): boolean => cookieHeader !== undefined && CARE_COOKIE_SET.test(cookieHeader);

/** A standard reader page asked for by a reader who chose 关怀版: where to send them instead, if anywhere. */
export function careRedirect(method: string | undefined, url: string | undefined, cookieHeader: string | undefined): string | undefined {
  if ((method !== 'GET' && method !== 'HEAD') || !url || !wantsCare(cookieHeader)) return undefined;
  const cut = url.search(/[?#]/);
  const pathname = cut < 0 ? url : url.slice(0, cut);
  if (pathname.startsWith(`${CARE_PREFIX}/`) || pathname === CARE_PREFIX || !isCareable(pathname)) return undefined;
  return carePath(pathname) + (cut < 0 ? '' : url.slice(cut));
}

/**
 * A reader who chose 关怀版 asks for a standard page: the care version instead (a redirect never cached, as it depends
 * on a cookie). Registered before the page cache's hook, and the hot path in front of Fastify skips such requests.
 */
export function registerCareRedirect(app: FastifyInstance): void {
  // Callback style, as the hooks every page request runs: no promise per request.
  app.addHook('onRequest', (req, reply, done) => {
    const to = careRedirect(req.method, req.url, req.headers.cookie);
    if (!to) return done();
    reply.code(302).header('location', to).header('cache-control', 'private, no-store').header('vary', 'cookie').send();
  });
}

/**
 * /care/… renders the same page as the path after the prefix and turns it into its care version; /care/on and
 * /care/off set or clear the reader's choice (a cookie, by a plain link, so it works without JavaScript) and go back.
 * Purges reach care pages as they reach the 繁 mirror: the inner page's surrogate keys are the care page's.
 */
export function careRoutes(app: FastifyInstance, siteUrl: string): void {
  const secure = siteUrl.startsWith('https:');

  const mirror = async (req: FastifyRequest, reply: FastifyReply) => {
    const page = mirroredPage(req.url, CARE_PREFIX);
    if (!page) throw notFound('Page');
    const { pathname, search } = page;
    // A care page of a care page, or of anything that is not a reader page (admin, API, media), does not exist.
    if (pathname.startsWith(`${CARE_PREFIX}/`) || pathname === CARE_PREFIX || /^\/(?:admin|api|media|static|assets)(?:\/|$)/.test(pathname)) {
      throw notFound('Page');
    }
    const inner = await app.inject({ method: 'GET', url: pathname + search, headers: { 'accept-encoding': 'identity' } });
    if (inner.statusCode >= 300 && inner.statusCode < 400 && typeof inner.headers.location === 'string') {
      return reply.redirect(careHref(inner.headers.location), inner.statusCode);
    }
    const type = String(inner.headers['content-type'] ?? '');
    const cacheControl = String(inner.headers['cache-control'] ?? 'no-store');
    // Reader pages are public; anything else (a private or no-store answer) has no care version.
    if (!type.startsWith('text/html') || !/\bpublic\b/.test(cacheControl)) throw notFound('Page');
    // A cached page is shared by every URL with its key: its way back names only the parameters that key has.
    const standardPath = pathname + (req.routeOptions.config?.pageCache === true ? pageQuery(search.slice(1)) : search);
    // When the inner page stops holding (a poll it shows closes), so does this one: the page cache reads it.
    const expires = inner.headers[EXPIRES_HEADER];
    if (typeof expires === 'string') reply.header(EXPIRES_HEADER, expires);
    // Made from a cached page, it is as old as that page: the page cache keeps it no longer, hits say so (Age).
    const age = inner.headers.age;
    if (typeof age === 'string') reply.header('age', age);
    return reply
      .code(inner.statusCode)
      .header('content-type', type)
      .header('cache-control', cacheControl)
      .header(SURROGATE_KEY_HEADER, String(inner.headers[SURROGATE_KEY_HEADER] ?? ''))
      .send(carePage(inner.body, standardPath));
  };
  app.get(CARE_PREFIX, { config: PUBLIC_PAGE }, mirror);
  app.get(`${CARE_PREFIX}/*`, { config: PUBLIC_PAGE }, mirror);
  // Search answers vary by a parameter the page cache leaves out of its key: they stay out of it, as in the 繁 mirror.
  app.get(`${CARE_PREFIX}/search`, mirror);
  app.get(`${CARE_PREFIX}${HANT_PREFIX}/search`, mirror);

  const back = (reply: FastifyReply, location: string) => reply.code(303).header('cache-control', 'no-store').header('location', location).send();
  app.get<{ Querystring: { to?: string } }>(`${CARE_PREFIX}/on`, async (req, reply) => {
    reply.setCookie(CARE_COOKIE, '1', { path: '/', maxAge: CARE_MAX_AGE, sameSite: 'lax', secure, httpOnly: true });
    return back(reply, careHref(safeReturnPath(req.query.to)));
  });
  app.get<{ Querystring: { to?: string } }>(`${CARE_PREFIX}/off`, async (req, reply) => {
    reply.clearCookie(CARE_COOKIE, { path: '/', sameSite: 'lax', secure, httpOnly: true });
    return back(reply, safeReturnPath(req.query.to));
  });
}
