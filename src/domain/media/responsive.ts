import type { Store } from '../store.ts';
import { FORMAT_MIME, fallbackFormat, mainVariant, mediaKeyOf, mediaUrl, type Media, type MediaVariant } from './media.ts';

/** What an <img> (inside a <picture> when there is a modern format) needs to let the browser pick a size. */
export interface ResponsiveImage {
  src: string;
  srcset: string;
  sizes: string;
  width: number;
  height: number;
  /** <source> elements, most preferred first: the same widths in a format older browsers may not decode. */
  sources: { type: string; srcset: string }[];
}

/** Uploads by the key in their URLs, loaded once per page. */
export type MediaIndex = ReadonlyMap<string, Media>;

/** Main column of the reader pages: 760 px beside the side column on wide screens, else the screen less padding. */
export const BODY_SIZES = '(min-width: 64rem) 760px, calc(100vw - 2rem)';

export async function loadMediaIndex(store: Store, urls: Iterable<string | undefined | null>): Promise<MediaIndex> {
  const keys = new Set<string>();
  for (const url of urls) {
    const key = url ? mediaKeyOf(url) : undefined;
    if (key) keys.add(key);
  }
  return store.media.findByKeys([...keys]);
}

const srcsetOf = (variants: MediaVariant[]) => variants.map((v) => `${mediaUrl(v.path)} ${v.width}w`).join(', ');

/** The responsive form of one of our uploads' URLs, or undefined for any other image (demo files, other sites). */
export function responsiveImage(url: string, index: MediaIndex, sizes: string = BODY_SIZES): ResponsiveImage | undefined {
  const key = mediaKeyOf(url);
  const media = key ? index.get(key) : undefined;
  if (!media) return undefined;
  const byWidth = (a: MediaVariant, b: MediaVariant) => a.width - b.width;
  const fallback = fallbackFormat(media);
  const main = mainVariant(media);
  const modern = [...new Set(media.variants.map((v) => v.format))].filter((f) => f !== fallback);
  return {
    src: mediaUrl(main.path),
    srcset: srcsetOf(media.variants.filter((v) => v.format === fallback).sort(byWidth)),
    sizes,
    width: main.width,
    height: main.height,
    // AVIF is smaller than WebP, so it goes first when the upload had it.
    sources: modern
      .sort((a, b) => (a === 'avif' ? -1 : b === 'avif' ? 1 : 0))
      .map((f) => ({ type: FORMAT_MIME[f], srcset: srcsetOf(media.variants.filter((v) => v.format === f).sort(byWidth)) })),
  };
}

const IMG = /<img\b[^>]*>/gi;
const SRC = /\ssrc="([^"]*)"/i;

/** The src of every <img> in sanitized article HTML (sanitize-html always writes attributes in double quotes). */
export function imageSources(html: string): string[] {
  return [...html.matchAll(IMG)].map((m) => SRC.exec(m[0])?.[1]).filter((s): s is string => s !== undefined);
}

const escapeAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Rewrites the body's <img> tags that show our uploads into <picture> with srcset, keeping their other attributes.
 * Works on sanitized HTML only: every attribute there is double-quoted and escaped, and we add only our own URLs.
 */
export function withResponsiveImages(html: string, index: MediaIndex, sizes: string = BODY_SIZES): string {
  if (index.size === 0) return html;
  return html.replace(IMG, (tag) => {
    const src = SRC.exec(tag)?.[1];
    const image = src ? responsiveImage(src.replace(/&amp;/g, '&'), index, sizes) : undefined;
    if (!image) return tag;
    const kept = tag
      .replace(/^<img\b/i, '')
      .replace(/\/?>$/, '')
      .replace(/\s(src|srcset|sizes|width|height)="[^"]*"/gi, '')
      .trim();
    const img =
      `<img src="${escapeAttr(image.src)}" srcset="${escapeAttr(image.srcset)}" sizes="${escapeAttr(image.sizes)}"` +
      ` width="${image.width}" height="${image.height}"${kept ? ' ' + kept : ''} />`;
    const sources = image.sources.map((s) => `<source type="${s.type}" srcset="${escapeAttr(s.srcset)}" sizes="${escapeAttr(image.sizes)}" />`).join('');
    return `<picture>${sources}${img}</picture>`;
  });
}
