import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Ctx } from '../context.ts';
import { DomainError, invalid } from '../errors.ts';
import { authorize } from '../policy.ts';
import type { MediaFolder, Spooled } from './files.ts';
import { countJpegScans, MAX_JPEG_SCANS } from './jpeg-scans.ts';
import type { MediaStore } from './media-store.ts';
import {
  ACCEPTED,
  FORMAT_EXT,
  FORMAT_MIME,
  cleanOriginalName,
  isAccepted,
  type AcceptedMime,
  type ImageFormat,
  type Media,
  type MediaVariant,
} from './media.ts';
import { sharpLib } from './sharp.ts';

/** Decoding more than this many pixels is refused before any decoding starts (a 20,000² PNG is 400 MP). */
export const MAX_PIXELS = 40_000_000;
/** Longest side accepted: a 1 × 39,000,000 strip passes the pixel count but holds an encoder for minutes. */
export const MAX_SIDE = 16_384;
/**
 * One upload's variants, all of them, are encoded within this or given up (422), so no upload holds an encoding slot
 * for long (a per-variant limit let one slow image hold a slot for six of them). Measured here with the machine loaded
 * (load 13 on 2 cores): a 6000 × 4000 photo JPEG's six variants 10 s, a 68 MB noisy 6000 × 4000 PNG's 16 s; the
 * largest accepted (40 MP) about 1.7 times that: 45 s leaves a wide margin for real photos.
 */
export const ENCODE_BUDGET_MS = 45_000;
/** Widths of the responsive variants; an image is never scaled up, its own width closes the list. */
export const VARIANT_WIDTHS = [480, 960, 1600] as const;
/** Uploads re-encoded at the same time in one process; bounds memory and CPU whatever the request rate. */
const CONCURRENT_ENCODES = 2;

export const unsupported = (detected: string | undefined) =>
  new DomainError(
    'unsupported',
    'unsupported_media_type',
    `Only JPEG, PNG, WebP, GIF and AVIF images are accepted; ${detected ? `this file is ${detected}` : 'this file is not one of them'}`,
    'file',
  );

const tooManyPixels = (width: number, height: number, frames: number) =>
  new DomainError(
    'unprocessable',
    'too_many_pixels',
    `The image is ${width} × ${height} pixels${frames > 1 ? ` × ${frames} frames` : ''}; at most ${MAX_PIXELS / 1_000_000} megapixels are accepted`,
    'file',
  );

const undecodable = (err: unknown) => invalid(`The image could not be decoded (${firstLine(err)})`, 'file', 'invalid_image');

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err)
    .split('\n')[0]!
    .slice(0, 200);
}

/** sharp's own pixel guard speaks in messages only; map it to the same answer as our header check. */
function decodeFailure(err: unknown, meta: Metadata, frames: number, budgetMs: number): DomainError {
  if (/pixel limit/i.test(firstLine(err))) return tooManyPixels(meta.width ?? 0, meta.pageHeight ?? meta.height ?? 0, frames);
  if (/timeout/i.test(firstLine(err))) return tooSlow(budgetMs);
  return undecodable(err);
}

const tooSlow = (budgetMs: number) =>
  new DomainError('unprocessable', 'image_too_slow', `The image took more than ${budgetMs / 1000} s to encode; send a smaller one`, 'file');

class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

const encodes = new Gate(CONCURRENT_ENCODES);
/** One encoding at a time per account: one person's uploads never take every slot. */
const encodesByAccount = new Map<number, { gate: Gate; users: number }>();

async function encodeFor<T>(accountId: number, fn: () => Promise<T>): Promise<T> {
  let own = encodesByAccount.get(accountId);
  if (!own) encodesByAccount.set(accountId, (own = { gate: new Gate(1), users: 0 }));
  own.users++;
  try {
    return await own.gate.run(() => encodes.run(fn));
  } finally {
    if (--own.users === 0) encodesByAccount.delete(accountId);
  }
}

export interface Upload extends Spooled {
  /** The name the client gave the file; kept as metadata only. */
  name: string | undefined;
}

/**
 * Turns an uploaded file into stored media: the type is decided by the bytes, the size is checked from the header
 * before anything is decoded, and only re-encodings (rotated upright, every metadata block dropped) are kept.
 * The upload itself is never stored or served, so whatever else its bytes carried (EXIF GPS, a script) is gone.
 * The caller owns upload.path and removes it.
 */
export async function importUpload(
  ctx: Ctx,
  actor: Actor,
  folder: MediaFolder,
  upload: Upload,
  origin: { sourceUrl?: string; alt?: string } = {},
): Promise<Media> {
  authorize(actor, 'media.upload');
  const sniffed = await (await import('file-type')).fileTypeFromFile(upload.path);
  if (!isAccepted(sniffed?.mime)) throw unsupported(sniffed?.mime);
  const mime = sniffed.mime;
  const base = {
    accountId: actor.id,
    originalName: cleanOriginalName(upload.name),
    mime,
    bytes: upload.bytes,
    sha256: upload.sha256,
    createdAt: ctx.clock.now(),
    caption: '',
    alt: origin.alt ?? '',
    credit: '',
    sourceUrl: origin.sourceUrl ?? null,
  };

  const earlier = await ctx.store.media.findBySha256(upload.sha256);
  if (earlier && (await allExist(ctx.media, earlier.variants))) {
    // A re-hosted image already in the library is that entry, not a second one; the address is remembered with the
    // bytes it gave, so the next save finds the entry without fetching it again.
    if (origin.sourceUrl) {
      if (earlier.sourceUrl !== origin.sourceUrl) await ctx.store.media.rememberSource(origin.sourceUrl, upload.sha256, base.createdAt);
      return earlier;
    }
    const reused = await save(ctx, actor, { ...base, key: earlier.key, width: earlier.width, height: earlier.height, variants: earlier.variants }, earlier.key);
    if (reused) return reused;
    // Its last row was deleted meanwhile (and its files with it): encode anew.
  }

  const { meta, frames } = await inspect(upload.path, mime);
  const key = newKey(base.createdAt);
  const budgetMs = ctx.encodeBudgetMs ?? ENCODE_BUDGET_MS;
  const rendered = await encodeFor(actor.id, () => render(folder, upload.path, key, mime, meta, frames, budgetMs));
  const stored: string[] = [];
  try {
    for (const v of rendered.variants) {
      await ctx.media.put(v.path, rendered.temp.get(v.path)!, FORMAT_MIME[v.format]);
      stored.push(v.path);
    }
    return (await save(ctx, actor, { ...base, key, width: rendered.width, height: rendered.height, variants: rendered.variants }))!;
  } catch (err) {
    await Promise.all(stored.map((p) => ctx.media.remove(p).catch(() => undefined)));
    throw err;
  } finally {
    await Promise.all([...rendered.temp.values()].map((f) => rm(f, { force: true })));
  }
}

/** Writes the row and its audit event; with `sharing`, only while a row of that key (whose files it reuses) is left. */
async function save(ctx: Ctx, actor: Actor, media: Omit<Media, 'id'>, sharing?: string): Promise<Media | undefined> {
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'media.upload');
    if (sharing !== undefined && !(await store.media.holdKey(sharing))) return undefined;
    const id = await store.media.insert(media);
    await store.history.record({
      at: media.createdAt,
      actorId: actor.id,
      action: 'media.upload',
      subjectType: 'media',
      subjectId: id,
      detail: {
        name: media.originalName,
        mime: media.mime,
        bytes: media.bytes,
        width: media.width,
        height: media.height,
        ...(media.sourceUrl ? { from: media.sourceUrl } : {}),
      },
    });
    return { id, ...media };
  });
}

async function allExist(media: MediaStore, variants: MediaVariant[]): Promise<boolean> {
  const found = await Promise.all(variants.map((v) => media.exists(v.path).catch(() => false)));
  return found.every(Boolean);
}

/** <yyyy>/<mm>/<16 random characters>, the month of the upload in UTC. */
function newKey(at: number): string {
  const d = new Date(at);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${randomBytes(12).toString('base64url')}`;
}

/** Reads only the header: what the decoder sees must be what the bytes claimed, and small enough to decode. */
async function inspect(file: string, mime: AcceptedMime): Promise<{ meta: Metadata; frames: number }> {
  const expected = ACCEPTED[mime];
  let meta: Metadata;
  try {
    // The header read allocates no pixels; the explicit check below gives the clear answer.
    meta = await sharpLib()(file, { limitInputPixels: false }).metadata();
  } catch {
    // Magic bytes without a readable header: a polyglot (script or page behind "GIF89a") rather than an image.
    throw unsupported(`${mime} by its first bytes but has no readable ${expected.format.toUpperCase()} header`);
  }
  if (meta.format !== expected.decoder || (expected.format === 'avif' && meta.compression !== 'av1')) {
    throw unsupported(`${mime} by its first bytes but ${meta.format ?? 'unknown'} to the decoder`);
  }
  // Each scan is another pass of the decoder over the whole image, for every variant: thousands of them hold an
  // encoding slot for minutes. Counted from the markers before anything is decoded.
  if (expected.format === 'jpeg' && (await countJpegScans(file, MAX_JPEG_SCANS)) > MAX_JPEG_SCANS) {
    throw new DomainError(
      'unprocessable',
      'too_many_scans',
      `The JPEG has more than ${MAX_JPEG_SCANS} scans; save it as a baseline or ordinary progressive JPEG and send it again`,
      'file',
    );
  }
  const animated = (expected.format === 'gif' || expected.format === 'webp') && (meta.pages ?? 1) > 1;
  const frames = animated ? meta.pages! : 1;
  const width = meta.width ?? 0;
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  if (width < 1 || frameHeight < 1) throw undecodable(new Error('no dimensions'));
  if (width > MAX_SIDE || frameHeight > MAX_SIDE) {
    throw new DomainError(
      'unprocessable',
      'too_many_pixels',
      `The image is ${width} × ${frameHeight} pixels; each side may be at most ${MAX_SIDE} pixels`,
      'file',
    );
  }
  if (width * frameHeight * frames > MAX_PIXELS) throw tooManyPixels(width, frameHeight, frames);
  return { meta, frames };
}

/** The widths to make for an image this wide: the standard ones clearly below it, then its own (capped) width. */
export function variantWidths(width: number): number[] {
  const top = Math.min(width, Math.max(...VARIANT_WIDTHS));
  const below = VARIANT_WIDTHS.filter((w) => w < top && w < width * 0.9);
  return [...below, top];
}

/** Original format (the fallback every browser decodes) plus WebP; AVIF uploads get WebP as their fallback. */
export function variantFormats(mime: AcceptedMime): ImageFormat[] {
  const original = ACCEPTED[mime].format;
  return original === 'webp' ? ['webp'] : [original, 'webp'];
}

const encoders: Record<ImageFormat, (s: Sharp) => Sharp> = {
  jpeg: (s) => s.jpeg({ quality: 82, progressive: true, mozjpeg: true }),
  png: (s) => s.png({ compressionLevel: 9 }),
  webp: (s) => s.webp({ quality: 80, effort: 4 }),
  gif: (s) => s.gif({ effort: 7 }),
  // AVIF encodes slowly: effort 4 took 12 s for a noisy 1600 px photo here, effort 2 about 3 s.
  avif: (s) => s.avif({ quality: 55, effort: 2 }),
};

interface Rendered {
  width: number;
  height: number;
  variants: MediaVariant[];
  /** Where each variant (by its final path) was written inside the temporary folder. */
  temp: Map<string, string>;
}

async function render(folder: MediaFolder, file: string, key: string, mime: AcceptedMime, meta: Metadata, frames: number, budgetMs: number): Promise<Rendered> {
  // The budget runs from when the upload has its encoding slot; waiting for one is not counted.
  const deadline = performance.now() + budgetMs;
  const animated = frames > 1;
  // Upright size: EXIF orientations 5–8 swap width and height.
  const width = meta.autoOrient?.width ?? meta.width!;
  // Read without `animated`, the header of a GIF or WebP describes its first frame.
  const height = animated ? (meta.pageHeight ?? meta.height!) : (meta.autoOrient?.height ?? meta.height!);
  const temp = new Map<string, string>();
  const variants: MediaVariant[] = [];
  try {
    for (const targetWidth of variantWidths(width)) {
      for (const format of variantFormats(mime)) {
        const left = deadline - performance.now();
        if (left <= 0) throw tooSlow(budgetMs);
        const out = folder.tempFile(`.${FORMAT_EXT[format]}`);
        const variantPath = `${key}-${targetWidth}.${FORMAT_EXT[format]}`;
        temp.set(variantPath, out);
        // failOn 'error' refuses broken data but tolerates the harmless warnings many cameras' files raise.
        // sharp stops a pipeline after whole seconds only: the variant under way may run up to a second past the budget.
        const input = sharpLib()(file, { limitInputPixels: MAX_PIXELS, failOn: 'error', animated, sequentialRead: true }).timeout({
          seconds: Math.max(1, Math.ceil(left / 1000)),
        });
        const pipeline = encoders[format](input.autoOrient().resize({ width: targetWidth, withoutEnlargement: true }));
        let info: OutputInfo;
        try {
          // Metadata is not kept unless asked for (withMetadata/keepExif): EXIF, GPS, XMP and comments are dropped.
          info = await pipeline.toFile(out);
        } catch (err) {
          throw decodeFailure(err, meta, frames, budgetMs);
        }
        variants.push({ path: variantPath, format, width: info.width, height: animated ? (info.pageHeight ?? info.height) : info.height, bytes: info.size });
      }
    }
  } catch (err) {
    await Promise.all([...temp.values()].map((f) => rm(f, { force: true })));
    throw err;
  }
  return { width, height, variants, temp };
}
