import type { Actor } from '../../domain/accounts/roles.ts';
import type { ArticleStatus } from '../../domain/articles/status.ts';
import { FORMAT_MIME, mainVariant, mediaUrl, thumbnailVariant, type Media, type MediaListing, type MediaUse } from '../../domain/media/media.ts';
import { mediaAbilities } from '../../domain/policy.ts';

/** An upload: the main variant to insert, the original's facts, and every variant for srcset. */
export function mediaOut(m: Media) {
  const main = mainVariant(m);
  return {
    id: m.id,
    url: mediaUrl(main.path),
    width: main.width,
    height: main.height,
    original: { name: m.originalName, mime: m.mime, width: m.width, height: m.height, bytes: m.bytes },
    variants: m.variants.map((v) => ({ url: mediaUrl(v.path), width: v.width, height: v.height, mime: FORMAT_MIME[v.format], bytes: v.bytes })),
    createdAt: new Date(m.createdAt).toISOString(),
  };
}

/** A library entry: the upload as mediaOut, its description, a thumbnail, who uploaded it, its use and what the caller may do. */
export function mediaItemOut(m: MediaListing, actor: Actor) {
  const thumb = thumbnailVariant(m);
  return {
    ...mediaOut(m),
    caption: m.caption,
    alt: m.alt,
    credit: m.credit,
    sourceUrl: m.sourceUrl,
    thumbnail: { url: mediaUrl(thumb.path), width: thumb.width, height: thumb.height },
    uploader: m.uploader,
    usedBy: m.usedBy,
    abilities: mediaAbilities(actor, m),
  };
}

/** GET /media/:id: the entry and the articles using it (`inArticle`: body or cover; `liveEntries`: their live's entries showing it). */
export function mediaDetailOut(m: MediaListing, uses: MediaUse[], actor: Actor) {
  return {
    ...mediaItemOut(m, actor),
    articles: uses.map((u) => ({ id: u.id, title: u.title, status: u.status as ArticleStatus, inArticle: u.inArticle, liveEntries: u.liveEntries })),
  };
}
