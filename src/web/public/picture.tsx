import { responsiveImage, type MediaIndex } from '../../domain/media/responsive.ts';

/** Column widths the covers are shown at, for the browser's choice among the variants (see site.css). */
export const SIZES = {
  carousel: '(min-width: 64rem) 648px, 100vw',
  topicCard: '(min-width: 64rem) 160px, 50vw',
  topicCover: '(min-width: 72rem) 1120px, calc(100vw - 2rem)',
} as const;

interface PictureProps {
  src: string;
  media: MediaIndex | undefined;
  sizes: string;
  alt: string;
  width: number;
  height: number;
  class?: string;
  loading?: 'lazy' | 'eager';
  decoding?: 'async' | 'sync' | 'auto';
}

/** An <img>; for one of our uploads, a <picture> whose variants let the browser fetch only the size it shows. */
export function Picture({ src, media, sizes, width, height, ...img }: PictureProps) {
  const r = media ? responsiveImage(src, media, sizes) : undefined;
  // biome-ignore lint/a11y/useAltText: alt is required by PictureProps and passed in the spread, in the caller's order
  if (!r) return <img src={src} width={width} height={height} {...img} />;
  return (
    <picture>
      {r.sources.map((s) => (
        <source type={s.type} srcset={s.srcset} sizes={r.sizes} />
      ))}
      {/* biome-ignore lint/a11y/useAltText: alt is required by PictureProps and passed in the spread */}
      <img src={r.src} srcset={r.srcset} sizes={r.sizes} width={r.width} height={r.height} {...img} />
    </picture>
  );
}
