import { mkdir, rm } from 'node:fs/promises';
import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { cleanLine } from '../articles/html.ts';
import type { Spooled } from './files.ts';
import { DESCRIPTION_LIMITS } from './library.ts';
import { mediaUrl, mainVariant } from './media.ts';
import { importUpload } from './service.ts';
import type { RemoteImages } from './remote.ts';

export type { RemoteImages };

export const REHOST_DEFAULTS = { budgetMs: 10_000, maxPerSave: 12, retryAfterMs: 10 * 60_000, concurrency: 4 } as const;

const IMG_SRC = /(<img\b[^>]*?\ssrc=")([^"]*)(")/gi;
const IMG_TAG = /<img\b[^>]*>/gi;
const SRC = /\ssrc="([^"]*)"/i;
const ALT = /\salt="([^"]*)"/i;
const attrText = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const attrValue = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const isRemote = (url: string) => /^https?:\/\//i.test(url);

/** A pasted alt text as the library keeps alt text (one line, bounded, as describeMedia would have it), cut rather than refused. */
function libraryAlt(alt: string): string {
  return Array.from(cleanLine(alt)).slice(0, DESCRIPTION_LIMITS.alt).join('').trim();
}

/** The last segment of the address as the library's file name; a `%` that escapes no UTF-8 (50%off.jpg) stays as it is. */
function fileNameOf(url: string): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  return name.slice(0, 200) || 'remote-image';
}

export interface Rehosted {
  bodyHtml: string;
  cover: string;
  /** Remote addresses still in the body or cover: refused, failed, or over this save's cap or time. */
  failed: string[];
}

/**
 * Re-hosts the remote images of a sanitized body and of a cover: each is fetched by the guarded fetcher, run through
 * the upload pipeline (type by bytes, pixel limits, re-encoded variants, metadata dropped) and its src rewritten to
 * ours. Runs before the article's transaction with a budget for the whole save, at most `maxPerSave` images, a few
 * at a time; what fails keeps its remote address (the reader CSP does not load it, the editor marks it 外链图片未能转存)
 * and is not tried again for a while. An address re-hosted before is reused without fetching.
 */
export async function rehostRemoteImages(ctx: Ctx, actor: Actor, bodyHtml: string, cover: string): Promise<Rehosted> {
  const remote = ctx.remoteImages;
  const wanted = new Map<string, string>(); // url → alt text
  for (const [tag] of bodyHtml.matchAll(IMG_TAG)) {
    const src = SRC.exec(tag)?.[1];
    const url = src === undefined ? '' : attrText(src);
    if (isRemote(url) && !wanted.has(url)) wanted.set(url, libraryAlt(attrText(ALT.exec(tag)?.[1] ?? '')));
  }
  if (isRemote(cover) && !wanted.has(cover)) wanted.set(cover, '');
  if (!remote || wanted.size === 0) return { bodyHtml, cover, failed: [...wanted.keys()] };

  const now = ctx.clock.now();
  const done = new Map<string, string>();
  const queue: [string, string][] = [];
  for (const [url, alt] of wanted) {
    const known = await ctx.store.media.findBySourceUrl(url);
    if (known) done.set(url, mediaUrl(mainVariant(known).path));
    else if ((remote.failures.get(url) ?? 0) <= now && queue.length < remote.maxPerSave) queue.push([url, alt]);
  }
  const signal = AbortSignal.timeout(remote.budgetMs);
  await mkdir(remote.folder.tmp, { recursive: true });
  const worker = async () => {
    for (let next = queue.shift(); next && !signal.aborted; next = queue.shift()) {
      const [url, alt] = next;
      let spooled: Spooled | undefined;
      try {
        spooled = await remote.source.fetch(url, remote.folder, remote.maxBytes, signal);
        const name = fileNameOf(url);
        const media = await importUpload(ctx, actor, remote.folder, { ...spooled, name }, { sourceUrl: url, alt });
        done.set(url, mediaUrl(mainVariant(media).path));
      } catch {
        remote.failures.set(url, ctx.clock.now() + REHOST_DEFAULTS.retryAfterMs);
        if (remote.failures.size > 1000) remote.failures.delete(remote.failures.keys().next().value!);
      } finally {
        if (spooled) await rm(spooled.path, { force: true });
      }
    }
  };
  await Promise.all(Array.from({ length: REHOST_DEFAULTS.concurrency }, worker));

  const rewritten = bodyHtml.replace(IMG_SRC, (all, before: string, src: string, after: string) => {
    const ours = done.get(attrText(src));
    return ours ? before + attrValue(ours) + after : all;
  });
  const newCover = done.get(cover) ?? cover;
  return { bodyHtml: rewritten, cover: newCover, failed: [...wanted.keys()].filter((u) => !done.has(u)) };
}
