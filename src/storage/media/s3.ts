import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import {
  checkMediaPath,
  contentTypeOf,
  IMMUTABLE_CACHE,
  resolveRange,
  type ByteRange,
  type MediaStore,
  type RangeNotSatisfiable,
  type StoredMedia,
} from '../../domain/media/media-store.ts';

// The SDK is loaded when a bucket is configured, not by every process that imports this module: loading it costs
// ~150 ms of start-up and ~20 MB of memory (bench/startup.ts).
const sdk = (): typeof S3 => createRequire(import.meta.url)('@aws-sdk/client-s3');

export interface S3MediaStoreOptions {
  bucket: string;
  /** Key prefix without slashes at either end; '' = the bucket's root. */
  prefix: string;
  /** Another service speaking S3 (Aliyun OSS, Tencent COS, MinIO): addressed path-style. Unset = AWS. */
  endpoint: string | undefined;
  region: string;
  /** Unset = the SDK's default chain (environment, shared files, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/**
 * A bucket every app machine sees (AWS S3, or any service speaking its API): each file an object at
 * <prefix>/<path>, uploaded whole from the local temporary file with its content type and an immutable
 * Cache-Control, so a CDN or the bucket's own website serves it as the app would.
 */
export class S3MediaStore implements MediaStore {
  readonly kind = 's3';
  readonly client: S3.S3Client;
  private readonly sdk = sdk();
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3MediaStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.client = new this.sdk.S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Checksums only where the API requires them: OSS, COS and older S3-compatible servers refuse or mishandle the
      // CRC32 trailers the SDK adds by default since 3.729.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  private key(mediaPath: string): string {
    return this.prefix + checkMediaPath(mediaPath);
  }

  async put(mediaPath: string, localFile: string, contentType: string): Promise<void> {
    const key = this.key(mediaPath);
    const { size } = await stat(localFile);
    await this.client.send(
      new this.sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: createReadStream(localFile),
        ContentLength: size,
        ContentType: contentType,
        CacheControl: IMMUTABLE_CACHE,
      }),
    );
  }

  open(mediaPath: string): Promise<StoredMedia | undefined>;
  open(mediaPath: string, range: ByteRange | undefined): Promise<StoredMedia | RangeNotSatisfiable | undefined>;
  async open(mediaPath: string, asked?: ByteRange): Promise<StoredMedia | RangeNotSatisfiable | undefined> {
    const key = this.key(mediaPath);
    let range = asked;
    try {
      if (range && 'suffix' in range) {
        // The last n bytes, made absolute here: not every S3-compatible server reads `bytes=-n` right (s3rver does not).
        const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        const total = head.ContentLength ?? 0;
        const part = resolveRange(range, total);
        if (!part) return { unsatisfiable: true, totalBytes: total };
        range = part;
      }
      const out = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: rangeHeader(range) } : {}) }));
      const bytes = out.ContentLength ?? 0;
      const contentType = out.ContentType || contentTypeOf(mediaPath);
      // A ranged answer says which bytes of how many: "bytes 0-99/1234".
      const part = out.ContentRange ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(out.ContentRange) : null;
      if (!part) return { body: out.Body as Readable, bytes, totalBytes: bytes, contentType };
      return { body: out.Body as Readable, bytes, totalBytes: Number(part[3]), contentType, range: { start: Number(part[1]), end: Number(part[2]) } };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (range && isInvalidRange(err)) {
        const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return { unsatisfiable: true, totalBytes: head.ContentLength ?? 0 };
      }
      throw err;
    }
  }

  async exists(mediaPath: string): Promise<boolean> {
    const key = this.key(mediaPath);
    try {
      await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async remove(mediaPath: string): Promise<void> {
    // S3 answers 204 for a key that holds nothing, so a retry or a second machine's delete is no error.
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(mediaPath) }));
  }

  close(): void {
    this.client.destroy();
  }
}

function isInvalidRange(err: unknown): boolean {
  return err instanceof sdk().S3ServiceException && (err.name === 'InvalidRange' || err.$metadata.httpStatusCode === 416);
}

function rangeHeader(range: ByteRange): string {
  return 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ''}`;
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof sdk().S3ServiceException)) return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404;
}
