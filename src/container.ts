import path from 'node:path';
import type { Config } from './config.ts';
import { MediaFolder } from './domain/media/files.ts';
import { REHOST_DEFAULTS } from './domain/media/rehost.ts';
import { GuardedImageFetcher, type GuardOptions } from './outbound/guarded-fetch.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { newContext, type Ctx } from './domain/context.ts';
import { MemoryHitCounter, type HitCounter } from './domain/reactions/hits.ts';
import { openReadReplica, type Database } from './storage/database.ts';
import { ReplicaRouter } from './storage/replica.ts';
import { DomainError } from './domain/errors.ts';
import type { ReaderReads } from './web/context.ts';
import { RedisHitCounter } from './storage/redis-hits.ts';
import { SqlStore } from './storage/store.ts';
import { externalIndexes } from './storage/search/external.ts';
import { LocalMediaStore } from './storage/media/local.ts';
import { S3MediaStore } from './storage/media/s3.ts';
import type { MediaStore } from './domain/media/media-store.ts';
import type { TransferTables } from './domain/transfer.ts';
import { SqlTransferTables } from './storage/transfer.ts';

/** Where the parts report trouble that fails no request (a pino logger fits). */
export interface Warnings {
  warn(detail: object, message: string): void;
}

export interface ContainerOptions {
  config: Config;
  database: Database;
  clock?: Clock;
  /** Silent when not given. */
  log?: Warnings;
  /**
   * Tests only: the remote-image guard's resolver and an allow-list of address:port pairs it lets through (a local
   * server standing in for another site), and the per-save budget. Never read from the environment.
   */
  remoteImages?: GuardOptions & { budgetMs?: number };
  /** Tests only: how long one upload's variants may take to encode (ENCODE_BUDGET_MS otherwise). Never read from the environment. */
  encodeBudgetMs?: number;
}

/**
 * The composition root: everything long-lived in a process is made here, once, and reaches the code through the
 * Ctx. The app, start-up, `serve`, the CLI and the tests take their context from a container; nothing else
 * constructs a store, a hit counter or a Ctx.
 */
export interface Container {
  config: Config;
  database: Database;
  ctx: Ctx;
  /**
   * With DATABASE_READ_URL: where reader-side reads go (a replica's Ctx when it has replayed every change readers were
   * told of, else `ctx`); undefined without a replica, and everything reads `ctx`.
   */
  reads: ReaderReads | undefined;
  /** The tables an archive reads and writes (export, import, backup): src/transfer/. */
  transfer: TransferTables;
  /** Connects the shared counters (Redis) when configured, waiting a moment, so votes share caps from the first. */
  ready(): Promise<void>;
  /** Closes what the container opened; the database stays with whoever opened it. */
  close(): Promise<void>;
}

export function createContainer({ config, database, clock = systemClock, log, remoteImages, encodeBudgetMs }: ContainerOptions): Container {
  let lastWarning = 0;
  const warn = (err: Error) => {
    // Redis reconnects keep failing while it is down: one line a minute is enough.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    log?.warn({ err: err.message }, 'Redis unreachable: vote caps count in this process only');
  };
  // Made on first use: CLI commands never vote, so they never connect to Redis.
  let counter: HitCounter | undefined;
  const counterNow = (): HitCounter => (counter ??= config.redisUrl ? new RedisHitCounter(config.redisUrl, warn) : new MemoryHitCounter());
  const hits: HitCounter = {
    hit: (key, windowMs, now) => counterNow().hit(key, windowMs, now),
    close: async () => counter?.close(),
  };

  const media = mediaStoreFor(config);
  // An external search engine (INKSTONE_SEARCH_URL) holds both search indexes for every store of this process.
  const engine = config.searchEngine && externalIndexes(config.searchEngine, database.db);
  const ctx = newContext({
    store: SqlStore.of(database, config.secret, engine),
    media,
    clock,
    ...(encodeBudgetMs === undefined ? {} : { encodeBudgetMs }),
    reactions: {
      moods: config.moods,
      capPerHour: config.reactionCapPerHour,
      newReadersPerHour: config.readerCookiesPerHour,
      burstPerMinute: config.reactionBurstPerMinute,
      secret: config.secret,
      hits,
    },
    remoteImages: {
      folder: new MediaFolder(path.join(config.dataDir, 'media')),
      maxBytes: config.mediaMaxBytes,
      source: new GuardedImageFetcher(remoteImages),
      budgetMs: remoteImages?.budgetMs ?? REHOST_DEFAULTS.budgetMs,
      maxPerSave: REHOST_DEFAULTS.maxPerSave,
      failures: new Map(),
    },
  });

  const replica = config.databaseReadUrl ? openReadReplica(config.databaseReadUrl) : undefined;
  const router = replica && new ReplicaRouter(database, replica, { maxLagMs: config.replicaMaxLagMs, warn: (detail, message) => log?.warn(detail, message) });
  // The replica's Ctx differs from the primary's in its store alone: the same events, clock, rules and media.
  const replicaCtx: Ctx | undefined = replica && { ...ctx, store: SqlStore.of(replica, config.secret, engine) };
  const reads: ReaderReads | undefined = router &&
    replicaCtx && {
      async run(load) {
        if (!router.useReplica()) return load(ctx);
        try {
          return await load(replicaCtx);
        } catch (err) {
          // The same refusal on either server; anything else (the replica gone, a query cancelled by replay) is retried.
          if (err instanceof DomainError) throw err;
          router.failed(err as Error);
          return load(ctx);
        }
      },
      replica: replicaCtx,
      written: () => router.written(),
      stats: () => router.stats(),
    };

  return {
    config,
    database,
    ctx,
    reads,
    transfer: new SqlTransferTables(database),
    async ready() {
      const shared = counterNow();
      // Without Redis in time, votes count in this process until it answers.
      if (shared instanceof RedisHitCounter && !(await shared.ready())) warn(new Error('no connection at start'));
      // The engine's indexes with their settings, made now if missing; a search engine that is down does not stop the
      // start (searches answer 503 until it is back, and each index is made on its first use then).
      await engine
        ?.ready()
        .catch((err: Error & { cause?: Error }) => log?.warn({ err: err.cause?.message ?? err.message }, 'search engine unreachable at start'));
    },
    async close() {
      router?.close();
      await replica?.close();
      await hits.close();
      if (media instanceof S3MediaStore) media.close();
    },
  };
}

/** The media store the configuration names: the local media folder unless INKSTONE_MEDIA_URL names a bucket. */
export function mediaStoreFor(config: Config): MediaStore {
  const { mediaStore } = config;
  if (mediaStore.kind === 's3') return new S3MediaStore(mediaStore);
  return new LocalMediaStore(path.join(config.dataDir, 'media'));
}
