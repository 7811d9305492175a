import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, type MediaStore } from '../../src/domain/media/media-store.ts';
import { LocalMediaStore } from '../../src/storage/media/local.ts';
import { parseMediaStore } from '../../src/config.ts';
import { S3MediaStore } from '../../src/storage/media/s3.ts';
import { mediaStoreTargets, startS3Emulator, type MediaStoreTarget } from '../support/media-stores.ts';

/**
 * The MediaStore contract: every store (the local folder always; an S3-compatible server, see
 * test/support/media-stores.ts) must pass the same tests, so the app behaves alike on one machine or many.
 */
describe.each(mediaStoreTargets())('media store contract: $name', (target: MediaStoreTarget) => {
  let store: MediaStore;
  let scratch: string;
  let counter = 0;
  /** A fresh temporary file with these bytes, as the upload pipeline hands the store. */
  const temp = (bytes: Buffer): string => {
    const file = path.join(scratch, `t${++counter}.part`);
    writeFileSync(file, bytes);
    return file;
  };
  const unique = () => `2026/12/${randomBytes(12).toString('base64url')}`;
  const read = async (p: string) => {
    const stored = await store.open(p);
    return stored && { ...stored, data: await buffer(stored.body) };
  };

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'inkstone-store-'));
    store = await target.open();
  });
  afterAll(async () => {
    await target.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('gives back what was put, with its length and type', async () => {
    const p = `${unique()}-480.jpg`;
    const bytes = randomBytes(3000);
    const file = temp(bytes);
    await store.put(p, file, 'image/jpeg');
    await rm(file, { force: true });
    expect(await store.exists(p)).toBe(true);
    const got = await read(p);
    expect(got?.bytes).toBe(3000);
    expect(got?.contentType).toBe('image/jpeg');
    expect(got?.data.equals(bytes)).toBe(true);
  });

  it('gives back a range of a file, the whole file for a range covering it, and says when a range misses it', async () => {
    const p = `${unique()}-480.mp4`;
    const bytes = randomBytes(5000);
    const file = temp(bytes);
    await store.put(p, file, 'video/mp4');
    await rm(file, { force: true });
    const part = async (range: Parameters<typeof parseRange>[0]) => {
      const got = await store.open(p, parseRange(range));
      if (!got || 'unsatisfiable' in got) return got;
      return { range: got.range, bytes: got.bytes, total: got.totalBytes, data: await buffer(got.body) };
    };
    expect(await part('bytes=0-99')).toEqual({ range: { start: 0, end: 99 }, bytes: 100, total: 5000, data: bytes.subarray(0, 100) });
    expect(await part('bytes=4990-')).toEqual({ range: { start: 4990, end: 4999 }, bytes: 10, total: 5000, data: bytes.subarray(4990) });
    expect(await part('bytes=-20')).toEqual({ range: { start: 4980, end: 4999 }, bytes: 20, total: 5000, data: bytes.subarray(4980) });
    expect(await part('bytes=4000-9999')).toMatchObject({ range: { start: 4000, end: 4999 }, bytes: 1000 });
    expect(await part('bytes=5000-')).toEqual({ unsatisfiable: true, totalBytes: 5000 });
    expect(await part(undefined)).toMatchObject({ bytes: 5000, total: 5000, data: bytes });
    expect(await store.open(`${unique()}-1.mp4`, { start: 0 })).toBeUndefined();
  });

  it('answers undefined / false for a path that holds nothing, and removing it is no error', async () => {
    const p = `${unique()}-960.webp`;
    expect(await store.open(p)).toBeUndefined();
    expect(await store.exists(p)).toBe(false);
    await store.remove(p);
    await store.remove(p);
  });

  it('removes a file, and a second remove (a retry, another machine) is no error', async () => {
    const p = `${unique()}-480.png`;
    await store.put(p, temp(randomBytes(100)), 'image/png');
    await Promise.all([store.remove(p), store.remove(p)]);
    await store.remove(p);
    expect(await store.exists(p)).toBe(false);
    expect(await store.open(p)).toBeUndefined();
  });

  it('a put retried under the same path leaves one whole file', async () => {
    const p = `${unique()}-1600.webp`;
    const bytes = randomBytes(5000);
    await Promise.all([store.put(p, temp(bytes), 'image/webp'), store.put(p, temp(bytes), 'image/webp')]);
    expect((await read(p))?.data.equals(bytes)).toBe(true);
  });

  it('streams a large file whole (8 MB)', async () => {
    const p = `${unique()}-1600.png`;
    const bytes = randomBytes(8 * 1024 * 1024);
    await store.put(p, temp(bytes), 'image/png');
    const stored = await store.open(p);
    expect(stored?.bytes).toBe(bytes.length);
    const hash = createHash('sha256');
    for await (const chunk of stored!.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    await store.remove(p);
  });

  it('keeps many files apart when they are put and removed at once', async () => {
    const key = unique();
    const files = Array.from({ length: 12 }, (_, i) => ({ p: `${key}-${480 + i}.gif`, bytes: randomBytes(200 + i) }));
    await Promise.all(files.map((f) => store.put(f.p, temp(f.bytes), 'image/gif')));
    const back = await Promise.all(files.map((f) => read(f.p)));
    expect(back.map((b, i) => b?.data.equals(files[i]!.bytes))).toEqual(files.map(() => true));
    await Promise.all(files.slice(0, 6).map((f) => store.remove(f.p)));
    expect(await Promise.all(files.map((f) => store.exists(f.p)))).toEqual([...Array(6).fill(false), ...Array(6).fill(true)]);
  });

  it('refuses paths it must never hold: outside the store, the temporary folder, hidden or odd names', async () => {
    const file = temp(randomBytes(10));
    for (const bad of ['../escape.jpg', '2026/../../x.jpg', '/etc/passwd', 'tmp/123/x.jpg', 'TMP/x.jpg', '.hidden', '2026/12/a b.jpg', '%2e%2e/x.jpg', '']) {
      await expect(store.put(bad, file, 'image/jpeg'), bad).rejects.toThrow(/not a media path/);
      await expect(store.open(bad), bad).rejects.toThrow(/not a media path/);
      await expect(store.exists(bad), bad).rejects.toThrow(/not a media path/);
      await expect(store.remove(bad), bad).rejects.toThrow(/not a media path/);
    }
    expect(existsSync(file)).toBe(true);
  });
});

describe('the local media store', () => {
  it('moves the finished file in and never leaves it in the temporary folder', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'inkstone-local-'));
    try {
      const store = new LocalMediaStore(root);
      const tmp = path.join(root, 'tmp', '1');
      const file = path.join(tmp, 'x.part');
      await import('node:fs/promises').then((fs) => fs.mkdir(tmp, { recursive: true }));
      writeFileSync(file, 'abc');
      await store.put('2026/12/AAAAAAAAAAAAAAAA-480.jpg', file, 'image/jpeg');
      expect(readdirSync(tmp)).toEqual([]);
      expect(readdirSync(path.join(root, '2026', '12'))).toEqual(['AAAAAAAAAAAAAAAA-480.jpg']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the S3 store on the emulator', () => {
  it('is refused with the wrong secret key, as S3 would (the emulator checks signatures)', async () => {
    const emulator = await startS3Emulator();
    const config = parseMediaStore({ ...emulator.env('x'), INKSTONE_S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    if (config.kind !== 's3') throw new Error('expected s3');
    const store = new S3MediaStore(config);
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'inkstone-store-'));
    try {
      const file = path.join(scratch, 'x.part');
      writeFileSync(file, 'abc');
      await expect(store.put('2026/12/AAAAAAAAAAAAAAAA-480.jpg', file, 'image/jpeg')).rejects.toThrow(/signature/i);
    } finally {
      store.close();
      await emulator.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
