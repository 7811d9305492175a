import { FORMAT_MIME, mainVariant, mediaUrl, type Media } from '../../domain/media/media.ts';

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
