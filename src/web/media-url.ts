import { MEDIA_PREFIX } from '../domain/media/media.ts';

/** Turns the /media/… URLs in a rendered page or feed into the public media host's; identity without one. */
export type PublicMedia = (rendered: string) => string;

/**
 * Bodies, covers and variants hold /media/… paths (so the stored text never names a host); with
 * INKSTONE_MEDIA_PUBLIC_URL (a CDN, or the bucket's own website) every rendered page and feed points at that host
 * instead. This is the one place that rewrites them, on the finished output: a /media/ path at the start of an
 * attribute value or JSON string (after `"` or `&quot;`), a srcset entry after `, `, or the site's absolute /media/ URL
 * (og:image, JSON-LD, feeds). The temporary folder is never named (it is not served or stored anyway).
 */
export function publicMediaRewriter(publicUrl: string | undefined, siteUrl: string): PublicMedia {
  if (!publicUrl) return (rendered) => rendered;
  const base = `${publicUrl}/`;
  const absolute = siteUrl + MEDIA_PREFIX;
  const relative = /("|&quot;|, )\/media\/(?!tmp\/)/g;
  return (rendered) => rendered.replaceAll(absolute, base).replace(relative, (_all, before: string) => before + base);
}

/** The origin the CSP's img-src must allow for the public media host, or undefined without one. */
export function publicMediaOrigin(publicUrl: string | undefined): string | undefined {
  return publicUrl ? new URL(publicUrl).origin : undefined;
}
