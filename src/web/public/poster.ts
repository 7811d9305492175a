import { buffer } from 'node:stream/consumers';
import type { OverlayOptions } from 'sharp';
import { sharpLib } from '../../domain/media/sharp.ts';
import type { Article } from '../../domain/articles/article.ts';
import { isMediaPath, type MediaStore } from '../../domain/media/media-store.ts';
import { formatTime } from './format.ts';

const WIDTH = 750;
const HEIGHT = 1334;
const PAD = 56;
const FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Width of a character in ems: CJK and full-width forms are square, Latin letters and digits about half. */
function ems(ch: string): number {
  return /[\u1100-\u115f\u2018-\u201f\u2026\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 1 : 0.56;
}

const NO_LINE_START = new Set('，。、；：！？）》」』”’%…·'.split(''));
const NO_LINE_END = new Set('（《「『“‘'.split(''));

/** Breaks text into at most `max` lines of `widthEm`, never starting a line with closing punctuation; ends with … when cut. */
export function wrapLines(text: string, widthEm: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  let used = 0;
  for (const ch of text.replace(/\s+/g, ' ').trim()) {
    const w = ems(ch);
    if (used + w > widthEm && line !== '' && !NO_LINE_START.has(ch)) {
      // An opening bracket or quote moves down with the word it opens.
      const carry = NO_LINE_END.has(line.at(-1)!) ? line.at(-1)! : '';
      lines.push(carry ? line.slice(0, -1) : line);
      line = carry;
      used = carry ? ems(carry) : 0;
    }
    line += ch;
    used += w;
  }
  if (line) lines.push(line);
  if (lines.length <= max) return lines;
  const kept = lines.slice(0, max);
  kept[max - 1] = kept[max - 1]!.slice(0, -1) + '…';
  return kept;
}

function textBlock(lines: string[], x: number, y: number, size: number, lineHeight: number, attrs: string): string {
  return lines.map((l, i) => `<text x="${x}" y="${y + i * lineHeight}" font-size="${size}" ${attrs}>${escapeXml(l)}</text>`).join('');
}

/**
 * A share poster for WeChat Moments: cover, title, summary and a QR code of the article, as a PNG a reader can
 * save. Rendered with sharp (librsvg) from SVG; needs a CJK font on the server (Debian: fonts-noto-cjk).
 */
export async function renderPoster(article: Article, opts: { siteName: string; url: string; timeZone: string; media: MediaStore }): Promise<Buffer> {
  const widthEm = (size: number) => (WIDTH - PAD * 2) / size;
  let y = 150;
  const coverHeight = 380;
  const coverPath = article.cover.startsWith('/media/') ? article.cover.slice('/media/'.length) : '';
  const hasCover = isMediaPath(coverPath);
  if (hasCover) y += coverHeight + 50;
  const titleLines = wrapLines(article.title, widthEm(46), 4);
  const title = textBlock(titleLines, PAD, y + 46, 46, 66, `font-weight="700" fill="#1d1d1f"`);
  y += titleLines.length * 66 + 30;
  const meta = `<text x="${PAD}" y="${y + 26}" font-size="24" fill="#6b6b70">${escapeXml([article.source && `来源：${article.source}`, formatTime(article.publishedAt ?? article.updatedAt, opts.timeZone)].filter(Boolean).join('　'))}</text>`;
  y += 70;
  // Without a cover the poster has room for the opening of the story after the summary.
  const text = hasCover ? article.summary || article.bodyText : [article.summary, article.bodyText].filter(Boolean).join(' ');
  const summaryLines = wrapLines(text, widthEm(30), Math.floor((HEIGHT - 300 - y) / 50));
  const summary = textBlock(summaryLines, PAD, y + 30, 30, 50, `fill="#3a3a3f"`);
  const qr = await (await import('qrcode')).default.toString(opts.url, { type: 'svg', margin: 0, errorCorrectionLevel: 'M' });
  const qrSize = 180;
  const qrInner = qr.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  const qrViewBox = /viewBox="([^"]+)"/.exec(qr)?.[1] ?? '0 0 33 33';
  const footerY = HEIGHT - 260;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="${FONT}">
<rect width="100%" height="100%" fill="#ffffff"/>
<rect width="100%" height="110" fill="#b3202a"/>
<rect x="${PAD}" y="32" width="46" height="46" rx="8" fill="#ffffff"/>
<text x="${PAD + 23}" y="66" font-size="30" font-weight="700" fill="#b3202a" text-anchor="middle">砚</text>
<text x="${PAD + 64}" y="66" font-size="32" font-weight="700" fill="#ffffff">${escapeXml(opts.siteName)}</text>
${title}${meta}${summary}
<line x1="${PAD}" y1="${footerY}" x2="${WIDTH - PAD}" y2="${footerY}" stroke="#e6e6e9" stroke-width="2"/>
<svg x="${WIDTH - PAD - qrSize}" y="${footerY + 40}" width="${qrSize}" height="${qrSize}" viewBox="${qrViewBox}">${qrInner}</svg>
<text x="${PAD}" y="${footerY + 110}" font-size="30" font-weight="700" fill="#1d1d1f">长按识别二维码</text>
<text x="${PAD}" y="${footerY + 160}" font-size="26" fill="#6b6b70">阅读全文 · ${escapeXml(opts.siteName)}</text>
</svg>`;
  const layers: OverlayOptions[] = [];
  if (hasCover) {
    const cover = await readCover(opts.media, coverPath)
      .then((bytes) =>
        bytes
          ? sharpLib()(bytes, { limitInputPixels: 40_000_000 })
              .resize(WIDTH - PAD * 2, coverHeight, { fit: 'cover' })
              .toBuffer()
          : undefined,
      )
      .catch(() => undefined);
    if (cover) layers.push({ input: cover, left: PAD, top: 150 });
  }
  return sharpLib()(Buffer.from(svg)).composite(layers).png({ compressionLevel: 9, palette: true, quality: 90 }).toBuffer();
}

/** Covers are our own variants (≤ 1600 px wide); anything larger than this is not read into memory. */
const MAX_COVER_BYTES = 20 * 1024 * 1024;

/** The cover's bytes from the media store (the local folder or a bucket), or undefined when it is missing or too large. */
async function readCover(media: MediaStore, coverPath: string): Promise<Buffer | undefined> {
  const stored = await media.open(coverPath);
  if (!stored) return undefined;
  if (stored.bytes > MAX_COVER_BYTES) {
    stored.body.destroy();
    return undefined;
  }
  return buffer(stored.body);
}
