import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { checkMediaPath, contentTypeOf, IMMUTABLE_CACHE, type MediaStore, type StoredMedia } from '../../domain/media/media-store.ts';

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
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3MediaStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.client = new S3Client({
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
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: createReadStream(localFile),
        ContentLength: size,
        ContentType: contentType,
        CacheControl: IMMUTABLE_CACHE,
      }),
    );
  }

  async open(mediaPath: string): Promise<StoredMedia | undefined> {
    const key = this.key(mediaPath);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        body: out.Body as Readable,
        bytes: out.ContentLength ?? 0,
        contentType: out.ContentType || contentTypeOf(mediaPath),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async exists(mediaPath: string): Promise<boolean> {
    const key = this.key(mediaPath);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async remove(mediaPath: string): Promise<void> {
    // S3 answers 204 for a key that holds nothing, so a retry or a second machine's delete is no error.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(mediaPath) }));
  }

  close(): void {
    this.client.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404;
}
