import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error: the emulator ships no types; only its constructor, run() and close() are used.
import S3rver from '@20minutes/s3rver';
import { ConfigError, parseMediaStore } from '../../src/config.ts';
import type { MediaStore } from '../../src/domain/media/media-store.ts';
import { LocalMediaStore } from '../../src/storage/media/local.ts';
import { S3MediaStore } from '../../src/storage/media/s3.ts';

/** A store the contract tests run against, with what it takes to start and stop it. */
export interface MediaStoreTarget {
  name: string;
  open(): Promise<MediaStore>;
  close(): Promise<void>;
}

function localTarget(): MediaStoreTarget {
  let root: string | undefined;
  return {
    name: 'local folder',
    async open() {
      root = mkdtempSync(path.join(os.tmpdir(), 'inkstone-media-'));
      return new LocalMediaStore(root);
    },
    async close() {
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface S3Emulator {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  /** The app's settings for a bucket on this emulator, under the given key prefix. */
  env(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

/**
 * An S3-compatible server in this process, on a free loopback port, with one empty bucket.
 *
 * Why this emulator: no real S3 service can be reached from here, and of what the npm registry and Debian offer,
 * @20minutes/s3rver (the maintained fork of s3rver, which stopped in 2021) is the most faithful that runs on this
 * machine: it checks AWS Signature V4 on every request (wrong keys fail as on S3), keeps objects with their
 * Content-Type and Cache-Control on disk, answers NoSuchKey/404 and XML errors as S3 does, and speaks path-style
 * addressing, as the app does with an endpoint (OSS, COS, MinIO). MinIO itself is in neither registry; moto is a
 * Python package outside them. What it does not emulate (checksums, multipart edge cases, eventual listing
 * consistency) the app does not use. Point the same tests at a real bucket with INKSTONE_TEST_S3_URL.
 */
export async function startS3Emulator(): Promise<S3Emulator> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'inkstone-s3rver-'));
  const bucket = 'inkstone-test';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      INKSTONE_MEDIA_URL: `s3://${bucket}/${prefix}`,
      INKSTONE_S3_ENDPOINT: endpoint,
      INKSTONE_S3_REGION: 'us-east-1',
      // The emulator's one account.
      INKSTONE_S3_ACCESS_KEY_ID: 'S3RVER',
      INKSTONE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    }),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function emulatorTarget(): MediaStoreTarget {
  let emulator: S3Emulator | undefined;
  let store: S3MediaStore | undefined;
  return {
    name: 'S3 API (s3rver emulator)',
    async open() {
      emulator = await startS3Emulator();
      const config = parseMediaStore(emulator.env(`contract/${randomBytes(4).toString('hex')}`));
      if (config.kind !== 's3') throw new Error('expected an s3 store');
      return (store = new S3MediaStore(config));
    },
    async close() {
      store?.close();
      await emulator?.close();
    },
  };
}

/**
 * A real bucket: INKSTONE_TEST_S3_URL=s3://bucket/prefix with INKSTONE_S3_ENDPOINT, INKSTONE_S3_REGION and the keys
 * (INKSTONE_S3_ACCESS_KEY_ID / INKSTONE_S3_SECRET_ACCESS_KEY, or the SDK's default chain) in the environment. Each
 * run writes under <prefix>/contract-<random>/ and removes what it wrote.
 */
function realBucketTarget(url: string): MediaStoreTarget {
  let store: S3MediaStore | undefined;
  return {
    name: `S3 API (${url})`,
    async open() {
      const config = parseMediaStore({ ...process.env, INKSTONE_MEDIA_URL: `${url.replace(/\/+$/, '')}/contract-${randomBytes(4).toString('hex')}` });
      if (config.kind !== 's3') throw new ConfigError('INKSTONE_TEST_S3_URL must be an s3:// URL');
      return (store = new S3MediaStore(config));
    },
    async close() {
      store?.close();
    },
  };
}

/** The local folder and the S3 emulator always; a real bucket too when INKSTONE_TEST_S3_URL names one. */
export function mediaStoreTargets(): MediaStoreTarget[] {
  const real = process.env.INKSTONE_TEST_S3_URL?.trim();
  return [localTarget(), emulatorTarget(), ...(real ? [realBucketTarget(real)] : [])];
}
