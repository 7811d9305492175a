import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { cacheControlUntil, EXPIRES_HEADER } from '../page-cache.ts';

/** Reader pages may be kept by browsers and shared caches for a minute, and served stale while they refresh. */
export const PAGE_CACHE = 'public, max-age=60, stale-while-revalidate=300';

/** A whole page; with a reader page's view, its media URLs point at the public media host (see web/media-url.ts). */
export function renderPage(node: VNode, view?: { publicMedia: (rendered: string) => string }): string {
  const html = '<!doctype html>' + renderToString(node);
  return view ? view.publicMedia(html) : html;
}

/**
 * With `until`, the page shows a state that ends then (a poll open until its closing time): it says so in `Expires`, and
 * its Cache-Control lets no cache keep it past that time (see cacheControlUntil; the page cache reads `Expires`).
 */
export function sendHtml(reply: FastifyReply, status: number, html: string, cache = PAGE_CACHE, until?: number): FastifyReply {
  if (until !== undefined) {
    reply.header(EXPIRES_HEADER, new Date(until).toUTCString());
    cache = cacheControlUntil(cache, until, Date.now());
  }
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', cache).send(html);
}

/**
 * Each table of a (sanitized) article body inside a box that scrolls sideways, so a wide table never widens a phone's
 * page. Sanitized bodies write `<table>` and `</table>` without attributes or spaces, so a text replacement is exact;
 * the box is focusable so the keyboard can scroll it, and named for screen readers.
 */
export function withScrollingTables(html: string): string {
  if (!html.includes('<table>')) return html;
  return html.replaceAll('<table>', '<div class="table-scroll" role="region" aria-label="表格" tabindex="0"><table>').replaceAll('</table>', '</table></div>');
}
