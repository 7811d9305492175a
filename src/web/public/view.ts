import type { Config } from '../../config.ts';
import type { Channel } from '../../domain/channels/channel.ts';
import type { Ctx } from '../../domain/context.ts';
import type { Assets } from '../assets.ts';
import { publicMediaRewriter, type PublicMedia } from '../media-url.ts';
import { publicMemo } from './memo.ts';

/** What every reader page needs besides its own data. */
export interface SiteView {
  name: string;
  url: string;
  timeZone: string;
  assets: Assets;
  channels: Channel[];
  /** Points the page's /media/ URLs at INKSTONE_MEDIA_PUBLIC_URL when set (renderPage applies it). */
  publicMedia: PublicMedia;
}

const CHANNELS_TTL_MS = 5_000;

/**
 * Channel lists change rarely: read at most every few seconds, which saves a query on every page. A public memo, so
 * a channel change (here, or heard from another process as a purge) drops it with the pages: a page rendered after
 * the purge never shows the tree from before it (a renamed channel's old name, a moved or new channel's page 404),
 * cached for the page cache's whole TTL.
 */
export function siteViews(ctx: Ctx, config: Config, assets: Assets): () => Promise<SiteView> {
  const publicMedia = publicMediaRewriter(config.mediaPublicUrl, config.siteUrl);
  return async () => {
    const channels = await publicMemo<Channel[]>(ctx, 'site-channels', CHANNELS_TTL_MS, () => ctx.store.channels.all());
    return { name: config.siteName, url: config.siteUrl, timeZone: config.timeZone, assets, channels, publicMedia };
  };
}

export const absolute = (view: SiteView, href: string): string => (/^https?:\/\//.test(href) ? href : view.url + href);

/** JSON for a <script type="application/ld+json">: nothing in it can close the element or start markup. */
export function jsonForHtml(value: unknown): string {
  const json = JSON.stringify(value);
  return UNSAFE_IN_HTML.test(json) ? json.replace(EVERY_UNSAFE_IN_HTML, (c) => HTML_SAFE_JSON[c]!) : json;
}

const UNSAFE_IN_HTML = /[<>&\u2028\u2029]/;
const EVERY_UNSAFE_IN_HTML = new RegExp(UNSAFE_IN_HTML.source, 'g');

const HTML_SAFE_JSON: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
