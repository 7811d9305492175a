import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

/** Test images and upload bodies made at test time, and readers for what ends up on disk. */

export interface Part {
  field: string;
  data: Buffer | string;
  filename?: string;
  type?: string;
}

/** A multipart/form-data body as a browser's FormData would send it. */
export async function multipart(...parts: Part[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const p of parts) {
    if (typeof p.data === 'string' && p.filename === undefined) form.append(p.field, p.data);
    else
      form.append(
        p.field,
        new Blob([typeof p.data === 'string' ? p.data : new Uint8Array(p.data)], { type: p.type ?? 'application/octet-stream' }),
        p.filename ?? 'upload',
      );
  }
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type')! } };
}

export const GPS_LATITUDE = 39.9075; // 39° 54′ 27″ N

/** A JPEG photo as a phone writes it: sideways pixels with EXIF orientation 6, and GPS coordinates. */
export function gpsJpeg(width = 2400, height = 1600): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 180, g: 90, b: 40 } } })
    .composite([{ input: { create: { width: Math.round(width / 4), height: Math.round(height / 4), channels: 3, background: '#fff' } }, left: 0, top: 0 }])
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExifMerge({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '39/1 54/1 27/1', GPSLongitudeRef: 'E', GPSLongitude: '116/1 23/1 29/1' } })
    .toBuffer();
}

/** An animated GIF of one solid frame per colour. */
export async function animatedGif(width: number, height: number, colours: string[]): Promise<Buffer> {
  const frames = await Promise.all(
    colours.map((background) =>
      sharp({ create: { width, height, channels: 3, background } })
        .raw()
        .toBuffer(),
    ),
  );
  return sharp(Buffer.concat(frames), { raw: { width, height: height * colours.length, channels: 3, pageHeight: height } })
    .gif({ delay: colours.map(() => 100), loop: 0 })
    .toBuffer();
}

/** The GPS latitude in a JPEG's EXIF block, in degrees, or undefined when it has none. */
export function exifGpsLatitude(file: Buffer): number | undefined {
  const tiff = jpegExif(file);
  if (!tiff) return undefined;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const entries = (ifd: number) => Array.from({ length: u16(ifd) }, (_, i) => ifd + 2 + i * 12);
  const gpsPointer = entries(u32(4)).find((e) => u16(e) === 0x8825);
  if (gpsPointer === undefined) return undefined;
  const latitude = entries(u32(gpsPointer + 8)).find((e) => u16(e) === 0x0002);
  if (latitude === undefined) return undefined;
  const at = u32(latitude + 8);
  const rational = (i: number) => u32(at + i * 8) / u32(at + i * 8 + 4);
  return rational(0) + rational(1) / 60 + rational(2) / 3600;
}

/** The TIFF structure inside a JPEG's APP1 "Exif" segment. */
function jpegExif(file: Buffer): Buffer | undefined {
  let o = 2;
  while (o + 4 < file.length && file[o] === 0xff) {
    const marker = file[o + 1]!;
    const length = file.readUInt16BE(o + 2);
    if (marker === 0xe1 && file.toString('latin1', o + 4, o + 10) === 'Exif\0\0') return file.subarray(o + 10, o + 2 + length);
    if (marker === 0xda) break; // start of scan: no more metadata segments
    o += 2 + length;
  }
  return undefined;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid 1-bit greyscale PNG of width × height zero pixels. Its rows deflate to almost
 * nothing, so a few dozen kilobytes ask a decoder for width × height bytes (400 MB at 20,000²) or more.
 */
export async function pngBomb(width: number, height: number): Promise<Buffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
  const row = Buffer.alloc(1 + Math.ceil(width / 8)); // filter byte 0, then zero pixels
  const deflate = zlib.createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.concat(out)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Every file under dir, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else found.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * A valid progressive JPEG (mid-grey, 4:4:4) that sends every coefficient of every component bit by bit: a DC scan
 * and 13 refinements, then for each component and each of the 63 AC coefficients a first scan and 13 refinements,
 * 2,660 scans in all. Nothing is wrong with it but the number of passes a decoder makes over the image.
 */
export function manyScanJpeg(width: number, height: number): Buffer {
  const components = [1, 2, 3];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  const segment = (marker: number, body: number[]) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(body.length + 2, 2);
    parts.push(head, Buffer.from(body));
  };
  /** Entropy-coded bytes: bits in order, padded with ones, 0xFF stuffed with 0x00. */
  const entropy = (write: (put: (value: number, length: number) => void) => void) => {
    const out: number[] = [];
    let byte = 0;
    let used = 0;
    const put = (value: number, length: number) => {
      for (let i = length - 1; i >= 0; i--) {
        byte = (byte << 1) | ((value >> i) & 1);
        if (++used === 8) {
          out.push(byte);
          if (byte === 0xff) out.push(0);
          byte = 0;
          used = 0;
        }
      }
    };
    write(put);
    if (used > 0) put((1 << (8 - used)) - 1, 8 - used);
    return Buffer.from(out);
  };
  // Every AC band is all zeros: end-of-band runs over every block (EOBn: a run of 2^n plus n extra bits, ≤ 32767).
  const runs: number[] = [];
  for (let left = blocks; left > 0; left -= Math.min(left, 32767)) runs.push(Math.min(left, 32767));
  const eobSizes = [...new Set(runs.map((r) => Math.floor(Math.log2(r))))];
  segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  segment(0xc2, [8, height >> 8, height & 255, width >> 8, width & 255, components.length, ...components.flatMap((c) => [c, 0x11, 0])]);
  // DC: one symbol (a difference of 0), code 0. AC: the EOBn symbols, codes 0, 10, 110…, and one unused spare so
  // that no code is all ones.
  segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0x00]);
  const acCounts = Array.from({ length: 16 }, (_, i) => (i <= eobSizes.length ? 1 : 0));
  segment(0xc4, [0x10, ...acCounts, ...eobSizes.map((n) => n << 4), 0x01]);
  const scan = (comps: number[], ss: number, se: number, ah: number, al: number, data: Buffer) => {
    segment(0xda, [comps.length, ...comps.flatMap((c) => [c, 0x00]), ss, se, (ah << 4) | al]);
    parts.push(data);
  };
  const dcBits = entropy((put) => {
    for (let i = 0; i < blocks * components.length; i++) put(0, 1);
  });
  const eob = entropy((put) => {
    for (const r of runs) {
      const n = Math.floor(Math.log2(r));
      const i = eobSizes.indexOf(n);
      put((1 << (i + 1)) - 2, i + 1);
      if (n > 0) put(r - (1 << n), n);
    }
  });
  scan(components, 0, 0, 0, 13, dcBits);
  for (let al = 12; al >= 0; al--) scan(components, 0, 0, al + 1, al, dcBits);
  for (const c of components) {
    for (let k = 1; k <= 63; k++) {
      scan([c], k, k, 0, 13, eob);
      for (let al = 12; al >= 0; al--) scan([c], k, k, al + 1, al, eob);
    }
  }
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}
