import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { countJpegScans, JpegScanCounter, MAX_JPEG_SCANS } from '../../src/domain/media/jpeg-scans.ts';
import { manyScanJpeg } from '../support/images.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-scans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The count when the bytes arrive whole, and when they arrive one at a time (every boundary inside a segment or a scan). */
function counts(jpeg: Buffer, limit = 10_000): [number, number] {
  const whole = new JpegScanCounter(limit);
  whole.push(jpeg);
  const bytewise = new JpegScanCounter(limit);
  for (let i = 0; i < jpeg.length && !bytewise.done; i++) bytewise.push(jpeg.subarray(i, i + 1));
  return [whole.scans, bytewise.scans];
}

const photo = (options: sharp.JpegOptions, channels: 1 | 3 = 3) =>
  sharp({ create: { width: 300, height: 200, channels: 3, background: '#3a6ea5' } })
    .composite([{ input: { create: { width: 120, height: 80, channels: 3, background: '#fff' } }, left: 20, top: 30 }])
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .jpeg(options)
    .toBuffer();

describe('counting the scans of a JPEG', () => {
  it('finds one scan in a baseline JPEG and libjpeg’s ten (six in grey) in a progressive one, however the bytes are cut', async () => {
    expect(counts(await photo({ quality: 90 }))).toEqual([1, 1]);
    expect(counts(await photo({ progressive: true }))).toEqual([10, 10]);
    expect(counts(await photo({ progressive: true }, 1))).toEqual([6, 6]);
    // mozjpeg's optimised scan script: a few more, well under the limit.
    const [moz] = counts(await photo({ progressive: true, mozjpeg: true }));
    expect(moz).toBeGreaterThan(1);
    expect(moz).toBeLessThanOrEqual(MAX_JPEG_SCANS);
  });

  it('counts every scan of a file that sends each coefficient bit by bit, and stops reading one past the limit', async () => {
    const jpeg = manyScanJpeg(64, 64);
    // A decoder takes it as a valid progressive JPEG.
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 64, isProgressive: true });
    expect(counts(jpeg)).toEqual([2660, 2660]);
    const file = path.join(dir, 'many.jpg');
    writeFileSync(file, jpeg);
    expect(await countJpegScans(file)).toBe(MAX_JPEG_SCANS + 1);
  });

  it('is not stopped by stray bytes before a marker, which the decoder skips and goes on', async () => {
    const jpeg = manyScanJpeg(64, 64);
    const firstScan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const padded = Buffer.concat([jpeg.subarray(0, firstScan), Buffer.from('junk'), jpeg.subarray(firstScan)]);
    // As the upload pipeline reads it (failOn 'error'): the skip is a warning.
    const decoded = await sharp(padded, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 64, height: 64 });
    expect(counts(padded)).toEqual([2660, 2660]);
  });
});
