import { describe, expect, it } from 'vitest';
import { ConfigError, parseMediaPublicUrl, parseMediaStore } from '../../src/config.ts';

describe('media store settings', () => {
  it('is the local folder by default', () => {
    expect(parseMediaStore({})).toEqual({ kind: 'local' });
    expect(parseMediaStore({ INKSTONE_MEDIA_URL: ' ' })).toEqual({ kind: 'local' });
  });

  it('reads bucket, prefix, endpoint (path-style), region and keys', () => {
    expect(
      parseMediaStore({
        INKSTONE_MEDIA_URL: 's3://news-media/site/media/',
        INKSTONE_S3_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com/',
        INKSTONE_S3_ACCESS_KEY_ID: 'AK',
        INKSTONE_S3_SECRET_ACCESS_KEY: 'SK',
      }),
    ).toEqual({
      kind: 's3',
      bucket: 'news-media',
      prefix: 'site/media',
      endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
    });
    expect(parseMediaStore({ INKSTONE_MEDIA_URL: 's3://news-media', INKSTONE_S3_REGION: 'ap-east-1' })).toEqual({
      kind: 's3',
      bucket: 'news-media',
      prefix: '',
      endpoint: undefined,
      region: 'ap-east-1',
      credentials: undefined,
    });
  });

  it('refuses what cannot work, with the setting named', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ INKSTONE_MEDIA_URL: 'https://bucket.s3.amazonaws.com' }, /INKSTONE_MEDIA_URL must be s3:/],
      [{ INKSTONE_MEDIA_URL: 's3://Bad_Bucket', INKSTONE_S3_REGION: 'x' }, /not a bucket name/],
      [{ INKSTONE_MEDIA_URL: 's3://bucket/../x', INKSTONE_S3_REGION: 'x' }, /key prefix/],
      [{ INKSTONE_MEDIA_URL: 's3://bucket' }, /INKSTONE_S3_REGION is required/],
      [{ INKSTONE_MEDIA_URL: 's3://bucket', INKSTONE_S3_ENDPOINT: 'ftp://x' }, /INKSTONE_S3_ENDPOINT must be an http/],
      [{ INKSTONE_MEDIA_URL: 's3://bucket', INKSTONE_S3_ENDPOINT: 'nope' }, /INKSTONE_S3_ENDPOINT must be an http/],
      [{ INKSTONE_MEDIA_URL: 's3://bucket', INKSTONE_S3_REGION: 'x', INKSTONE_S3_ACCESS_KEY_ID: 'AK' }, /go together/],
      [{ INKSTONE_S3_ENDPOINT: 'https://cos.ap-shanghai.myqcloud.com' }, /INKSTONE_MEDIA_URL is not an s3/],
    ];
    for (const [env, message] of bad) {
      expect(() => parseMediaStore(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => parseMediaStore(env), JSON.stringify(env)).toThrow(message);
    }
  });

  it('takes a public media URL without a trailing slash, and refuses one with a query or another scheme', () => {
    expect(parseMediaPublicUrl(undefined)).toBeUndefined();
    expect(parseMediaPublicUrl('https://img.example.cn/media/')).toBe('https://img.example.cn/media');
    expect(parseMediaPublicUrl('https://img.example.cn')).toBe('https://img.example.cn');
    for (const bad of ['img.example.cn', 'javascript:alert(1)', 'https://img.example.cn/media?x=1', 'https://u:p@img.example.cn/']) {
      expect(() => parseMediaPublicUrl(bad), bad).toThrow(/INKSTONE_MEDIA_PUBLIC_URL/);
    }
  });
});
