import type { Config } from '../../config.ts';
import type { Channel } from '../../domain/channels/channel.ts';
import type { Ctx } from '../../domain/context.ts';
import type { Assets } from '../assets.ts';
import { publicMediaRewriter, type PublicMedia } from '../media-url.ts';

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

/** Channel lists change rarely; a few seconds of staleness saves a query on every page. */
export function siteViews(ctx: Ctx, config: Config, assets: Assets): () => Promise<SiteView> {
  let cached: { at: number; channels: Channel[] } | undefined;
  const publicMedia = publicMediaRewriter(config.mediaPublicUrl, config.siteUrl);
  return async () => {
    const now = Date.now();
    if (!cached || now - cached.at > CHANNELS_TTL_MS) cached = { at: now, channels: await ctx.store.channels.all() };
    return { name: config.siteName, url: config.siteUrl, timeZone: config.timeZone, assets, channels: cached.channels, publicMedia };
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
