/** Uploaded images: what we accept, what we keep, where the files live. */

/** The five image types we take, by the MIME type file-type reports for the file's bytes. */
export const ACCEPTED = {
  'image/jpeg': { format: 'jpeg', ext: 'jpg', decoder: 'jpeg' },
  'image/png': { format: 'png', ext: 'png', decoder: 'png' },
  // An animated PNG is a PNG to every decoder we use; only its first frame is kept.
  'image/apng': { format: 'png', ext: 'png', decoder: 'png' },
  'image/webp': { format: 'webp', ext: 'webp', decoder: 'webp' },
  'image/gif': { format: 'gif', ext: 'gif', decoder: 'gif' },
  // libvips reads AVIF through libheif and reports it as "heif".
  'image/avif': { format: 'avif', ext: 'avif', decoder: 'heif' },
} as const;

export type AcceptedMime = keyof typeof ACCEPTED;
export type ImageFormat = (typeof ACCEPTED)[AcceptedMime]['format'];

export const FORMAT_MIME: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

export const FORMAT_EXT: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif' };

export function isAccepted(mime: string | undefined): mime is AcceptedMime {
  return mime !== undefined && Object.hasOwn(ACCEPTED, mime);
}

/** One stored file: a re-encoding of the upload at one width in one format. */
export interface MediaVariant {
  /** Path inside the media folder: <yyyy>/<mm>/<random>-<width>.<ext>. */
  path: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
}

export interface Media {
  id: number;
  accountId: number | null;
  /** <yyyy>/<mm>/<random>: the stem every variant's file name starts with. */
  key: string;
  originalName: string;
  /** Type of the uploaded bytes (the upload itself is never stored, only its re-encodings). */
  mime: AcceptedMime;
  /** Size of the upload after EXIF rotation. */
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  variants: MediaVariant[];
  createdAt: number;
  /** What the image shows, as a caption under it (figcaption); plain text. */
  caption: string;
  /** Alternative text for people who cannot see it (the img's alt); plain text, apart from the caption. */
  alt: string;
  /** Photographer or agency (图片来源); plain text. */
  credit: string;
  /** The remote address a pasted image was fetched from and re-hosted (null for uploads). */
  sourceUrl: string | null;
}

/** What the library may change about an image. */
export interface MediaDescription {
  caption?: string;
  alt?: string;
  credit?: string;
}

/** The library's filters: newest first, after the id of the last item seen. */
export interface MediaQuery {
  /** Words in the caption, alt text or original file name (plain substring, case-insensitive). */
  q?: string;
  uploaderId?: number;
  /** Uploaded at or after / before (milliseconds). */
  from?: number;
  to?: number;
  beforeId?: number;
  limit: number;
  /** One entry only (GET /media/:id). */
  id?: number;
}

/** One library entry: the upload, who uploaded it and how many articles use it. */
export interface MediaListing extends Media {
  uploader: { username: string; displayName: string } | null;
  usedBy: number;
}

/** An article using an upload in its current body or as its cover. */
/** An article using an upload: in its body or cover, or in entries of its live (图文直播), or both. */
export interface MediaUse {
  id: number;
  title: string;
  status: string;
  /** Whose article it is: who besides the newsroom's editors may read its title (policy `article.read`). */
  authorId: number;
  inArticle: boolean;
  /** Ids of the live's entries (not deleted) showing it. */
  liveEntries: number[];
}

/** A topic showing an upload as its cover. */
export interface MediaTopicUse {
  id: number;
  slug: string;
  title: string;
}

/** The variant for thumbnails: the narrowest one in the fallback format. */
export function thumbnailVariant(media: Pick<Media, 'mime' | 'variants'>): MediaVariant {
  const fallback = fallbackFormat(media);
  const candidates = media.variants.filter((v) => v.format === fallback);
  return candidates.reduce((best, v) => (v.width < best.width ? v : best), candidates[0] ?? mainVariant(media));
}

/** Every key of our uploads a body (sanitized HTML) and a cover point into. */
export function mediaKeysOf(bodyHtml: string, cover: string): string[] {
  const keys = new Set<string>();
  for (const m of bodyHtml.matchAll(/\ssrc="([^"]*)"/gi)) {
    const key = mediaKeyOf(m[1]!.replace(/&amp;/g, '&'));
    if (key) keys.add(key);
  }
  const coverKey = mediaKeyOf(cover);
  if (coverKey) keys.add(coverKey);
  return [...keys];
}

export const MEDIA_PREFIX = '/media/';

export const mediaUrl = (variantPath: string): string => MEDIA_PREFIX + variantPath;

/** Browsers get the modern format through <source>; <img> keeps a format every browser decodes. */
export function fallbackFormat(media: Pick<Media, 'mime'>): ImageFormat {
  const format = ACCEPTED[media.mime].format;
  return format === 'avif' ? 'webp' : format;
}

/** The variant an upload is referred to by: the largest one in the fallback format. */
export function mainVariant(media: Pick<Media, 'mime' | 'variants'>): MediaVariant {
  const fallback = fallbackFormat(media);
  const candidates = media.variants.filter((v) => v.format === fallback);
  const largest = candidates.reduce<MediaVariant | undefined>((best, v) => (!best || v.width > best.width ? v : best), undefined);
  if (!largest) throw new Error(`media ${media.variants[0]?.path ?? '?'} has no ${fallback} variant`);
  return largest;
}

const KEY_IN_URL = /^\/media\/(\d{4}\/\d{2}\/[A-Za-z0-9_-]{16})-\d{1,5}\.(?:jpg|png|webp|gif|avif)$/;

/** The media key a /media/ URL of one of our uploads points into, or undefined for any other URL. */
export function mediaKeyOf(url: string): string | undefined {
  return KEY_IN_URL.exec(url)?.[1];
}

/**
 * An uploaded file name as metadata: no directories, no control characters, no bidi embeddings, overrides or isolates
 * (they would lay out a name as another: invoice U+202E gpj.exe shows as invoiceexe.jpg), bounded. Never used as a path.
 */
export function cleanOriginalName(name: string | undefined): string {
  const base = (name ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return Array.from(cleaned).slice(0, 200).join('');
}
