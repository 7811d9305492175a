import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/** Reader pages may be kept by browsers and shared caches for a minute, and served stale while they refresh. */
export const PAGE_CACHE = 'public, max-age=60, stale-while-revalidate=300';

export function renderPage(node: VNode): string {
  return '<!doctype html>' + renderToString(node);
}

export function sendHtml(reply: FastifyReply, status: number, html: string, cache = PAGE_CACHE): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', cache).send(html);
}
