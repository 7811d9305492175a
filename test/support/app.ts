import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { OutboxRunner } from '../../src/jobs/outbox.ts';
import type { PageCache } from '../../src/web/page-cache.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createContainer, type ContainerOptions } from '../../src/container.ts';
import { createAccount, createApiToken } from '../../src/domain/accounts/service.ts';
import type { Role } from '../../src/domain/accounts/roles.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import type { Ctx } from '../../src/domain/context.ts';
import { openTestDatabase, type StoreKind, type TestDatabase } from './stores.ts';

export interface TestApp {
  app: FastifyInstance;
  ctx: Ctx;
  config: Config;
  clock: ManualClock;
  db: TestDatabase;
  /** A new account of the role with a bearer token; returns the Authorization header value and the username. */
  /** Waits until the work articles' changes set off after their commit (search, related reading) is done. */
  settled(): Promise<void>;
  pageCache: PageCache;
  /** The app's outbox runner (tests stop it to play a process that died between a commit and its work). */
  outbox: OutboxRunner;
  user(role: Role, username?: string): Promise<{ username: string; auth: string; id: number }>;
  close(): Promise<void>;
}

let users = 0;

/** `options.clock` (e.g. systemClock) replaces the manual clock for tests of what happens as real time passes; `t.clock` then drives nothing. */
export async function startTestApp(
  kind: StoreKind,
  env: Record<string, string> = {},
  options: Pick<ContainerOptions, 'remoteImages' | 'clock' | 'encodeBudgetMs'> = {},
): Promise<TestApp> {
  const db = await openTestDatabase(kind);
  const config = loadConfig({
    INKSTONE_DATA_DIR: db.dataDir,
    INKSTONE_SECRET: 'test-secret-0123456789abcdef',
    INKSTONE_DEMO: '0',
    DATABASE_URL: db.databaseUrl,
    INKSTONE_SITE_URL: 'http://news.example.test',
    ...env,
  });
  const clock = new ManualClock(Date.now());
  const { app, ctx, outbox, pageCache } = await buildApp({ container: createContainer({ config, database: db.database, clock, ...options }) });
  await app.ready();
  return {
    app,
    ctx,
    config,
    clock,
    db,
    outbox,
    pageCache,
    settled: () => outbox.drain(),
    async user(role, username = `${role}${++users}`) {
      const account = await createAccount(ctx, null, { username, role, password: 'correct horse battery' });
      const { token } = await createApiToken(ctx, null, { username });
      return { username, auth: `Bearer ${token}`, id: account.id };
    },
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}

export function json<T = any>(res: { body: string }): T {
  return JSON.parse(res.body) as T;
}
