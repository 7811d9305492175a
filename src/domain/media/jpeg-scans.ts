import { createReadStream } from 'node:fs';

/**
 * Most scans a JPEG may have. A progressive JPEG as cameras, browsers and encoders write it has about ten (mozjpeg's
 * optimised scripts a few more); every scan makes the decoder pass over all the image's blocks again, so a file of
 * thousands (each coefficient sent bit by bit, still valid) holds an encoder for minutes at a few megapixels.
 * libtiff refuses JPEG data of more than 100 scans by default (LIBTIFF_JPEG_MAX_ALLOWED_SCAN_NUMBER); djpeg's
 * -maxscans has no default.
 */
export const MAX_JPEG_SCANS = 100;

/**
 * Counts the start-of-scan markers of a JPEG fed to it chunk by chunk, walking the marker segments by their lengths
 * and the entropy-coded data by its byte stuffing (0xFF 0x00, restart markers), so bytes inside a segment or a scan
 * are never taken for markers. Stops at the end-of-image marker, or once the count passes `limit`.
 */
export class JpegScanCounter {
  scans = 0;
  private state: 'marker' | 'code' | 'len1' | 'len2' | 'skip' | 'entropy' | 'entropyFF' | 'done' = 'marker';
  private code = 0;
  private length = 0;
  private left = 0;

  constructor(private readonly limit = MAX_JPEG_SCANS) {}

  /** True once the walk is over: the end of the image, or more scans than the limit. */
  get done(): boolean {
    return this.state === 'done';
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      switch (this.state) {
        case 'skip': {
          const n = Math.min(this.left, chunk.length - i);
          i += n;
          this.left -= n;
          if (this.left === 0) this.endOfSegment();
          break;
        }
        case 'entropy': {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) i = chunk.length;
          else {
            i = ff + 1;
            this.state = 'entropyFF';
          }
          break;
        }
        case 'entropyFF': {
          const b = chunk[i++]!;
          // Stuffed zero or a restart marker: still the scan's data. More 0xFF: fill bytes before a marker.
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) this.state = 'entropy';
          else if (b !== 0xff) this.marker(b);
          break;
        }
        case 'marker': {
          const b = chunk[i++]!;
          // Bytes between segments are skipped up to the next marker, as libjpeg skips them (with a warning only).
          if (b === 0xff) this.state = 'code';
          break;
        }
        case 'code': {
          const b = chunk[i++]!;
          if (b !== 0xff) this.marker(b);
          break;
        }
        case 'len1':
          this.length = chunk[i++]! << 8;
          this.state = 'len2';
          break;
        case 'len2':
          this.length |= chunk[i++]!;
          this.left = this.length - 2;
          if (this.left <= 0) this.endOfSegment();
          else this.state = 'skip';
          break;
      }
    }
  }

  private marker(code: number): void {
    this.code = code;
    // Markers without a segment: start and end of image, restarts, TEM.
    if (code === 0xd9) this.state = 'done';
    else if (code === 0xd8 || code === 0x01 || (code >= 0xd0 && code <= 0xd7)) this.state = 'marker';
    else {
      if (code === 0xda && ++this.scans > this.limit) this.state = 'done';
      else this.state = 'len1';
    }
  }

  private endOfSegment(): void {
    this.state = this.code === 0xda ? 'entropy' : 'marker';
  }
}

/** The number of scans in a JPEG file, counted up to one past `limit` (reading stops there). */
export async function countJpegScans(file: string, limit = MAX_JPEG_SCANS): Promise<number> {
  const counter = new JpegScanCounter(limit);
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      counter.push(chunk as Buffer);
      if (counter.done) break;
    }
  } finally {
    stream.destroy();
  }
  return counter.scans;
}
