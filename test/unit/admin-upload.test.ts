import { describe, expect, it } from 'vitest';
import { checkImage, explain, IMAGE_ACCEPT, Refusal, uploadImage } from '../../src/admin/api.ts';

const file = (bytes: number, type: string, name = 'photo') => new File([new Uint8Array(bytes)], name, { type });

describe('newsroom image uploads, checked in the browser', () => {
  it('offers exactly the types the server keeps', () => {
    expect(IMAGE_ACCEPT).toBe('image/jpeg,image/png,image/webp,image/gif,image/avif');
  });

  it('refuses a file over the limit and other types in Chinese, and takes the rest', () => {
    expect(checkImage(file(20 * 1024 * 1024 + 1, 'image/jpeg'))).toBe('图片不能超过 20 MB');
    expect(checkImage(file(20 * 1024 * 1024, 'image/png'))).toBeNull();
    expect(checkImage(file(10, 'image/svg+xml'))).toBe('只能上传 JPEG、PNG、WebP、GIF 或 AVIF 格式的图片');
    expect(checkImage(file(10, 'image/heic'))).not.toBeNull();
    // A file the system could not type is left to the server, which decides by the bytes.
    expect(checkImage(file(10, ''))).toBeNull();
  });

  it('sends nothing for a refused file', async () => {
    const err = await uploadImage(file(20 * 1024 * 1024 + 1, 'image/webp')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Refusal);
    expect(explain(err)).toBe('图片不能超过 20 MB');
  });
});
