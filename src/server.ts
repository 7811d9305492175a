import cluster from 'node:cluster';
import { pino } from 'pino';
import { buildApp } from './app.ts';
import { prepare } from './bootstrap.ts';
import type { Config } from './config.ts';
import { createContainer } from './container.ts';
import { startBacklog } from './jobs/backlog.ts';
import { openBroadcast } from './storage/broadcast.ts';
import { openDatabase } from './storage/database.ts';
import { inSteps } from './shutdown.ts';

const PURGE = 'inkstone:purge-pages';
/** A live changed in one worker: the other workers' open streams of it read what is new. */
const LIVE = 'inkstone:live';

function printFirstStart(config: Config, adminPassword: string | undefined): void {
  // Printed once, to the terminal only: never through the logger.
  if (adminPassword) process.stdout.write(`\n  Created the newsroom account "admin" with password: ${adminPassword}\n  Sign in at ${config.siteUrl}/admin\n\n`);
}

/**
 * Starts the site: prepare the database, build the app, listen, and stop cleanly on SIGINT/SIGTERM.
 * With INKSTONE_WORKERS > 1 the primary prepares the database once, then forks workers that share the port.
 */
export async function serve(config: Config): Promise<void> {
  if (config.workers > 1 && cluster.isPrimary) return servePrimary(config);

  // One logger for the process: requests log through Fastify's child of it, the container's parts through it.
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'] });
  const database = openDatabase(config);
  const container = createContainer({ config, database, log });
  const first = await prepare(container);
  // Purges reach the other app processes (on other machines too) through Redis or PostgreSQL.
  let lastWarning = 0;
  const broadcast = openBroadcast(config, (err) => {
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    log.warn({ err: err.message }, 'broadcast to other app processes unavailable: their cached pages expire instead');
  });
  await broadcast?.ready();
  const { app, ctx, pageCache, live } = await buildApp({ container, jobs: true, loggerInstance: log, broadcast });
  if (first.migrations.length) app.log.info({ migrations: first.migrations }, 'applied migrations');
  if (first.demoArticles !== undefined) app.log.info({ articles: first.demoArticles }, 'loaded demo content');
  printFirstStart(config, first.adminPassword);
  if (cluster.isWorker && !broadcast) {
    // A newsroom change seen by one worker must purge every worker's page cache.
    pageCache.onPurge = (keys) => process.send?.({ type: PURGE, keys });
    live.onLocalChange = (articleId, seq) => process.send?.({ type: LIVE, articleId, seq });
    process.on('message', (msg: { type?: string; keys?: string[]; articleId?: number }) => {
      database.fresh();
      if (msg?.type === PURGE) pageCache.purge(msg.keys, { propagate: false });
      if (msg?.type === LIVE && typeof msg.articleId === 'number') live.notify(msg.articleId);
    });
  }
  let backlog: ReturnType<typeof startBacklog> | undefined;
  // Connections get config.shutdownMs to finish their answers (web/drain.ts), the whole shutdown 5 s more.
  const shutdown = inSteps(
    [
      ['the background analysis', () => backlog?.stop()],
      ['open connections and jobs', () => app.close()],
      ['the broadcast', () => broadcast?.close()],
      ['the database', () => database.close()],
    ],
    { log: app.log, deadlineMs: config.shutdownMs + 5_000 },
  );
  process.on('SIGINT', () => void shutdown.signal('SIGINT'));
  process.on('SIGTERM', () => void shutdown.signal('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  if (!cluster.isWorker) {
    process.stdout.write(`Inkstone is serving ${config.siteUrl}\n`);
    // With workers, the primary does this instead (once, not once per worker).
    backlog = startBacklog(ctx, app.log);
  }
}

async function servePrimary(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel });
  const database = openDatabase(config);
  const container = createContainer({ config, database, log });
  const first = await prepare(container);
  printFirstStart(config, first.adminPassword);
  // The primary serves no request: it analyses the backlog while the workers serve.
  const backlog = startBacklog(container.ctx, log);
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < config.workers; i++) fork();
  cluster.on('message', (from, msg: { type?: string }) => {
    if (msg?.type !== PURGE && msg?.type !== LIVE) return;
    for (const worker of Object.values(cluster.workers ?? {})) if (worker && worker !== from) worker.send(msg);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    fork();
  });
  const stop = () => {
    // Once: systemd signals every process of the unit, this one perhaps more than once.
    if (stopping) return;
    stopping = true;
    void backlog.stop().then(async () => {
      await container.close();
      await database.close();
    });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    // Each worker exits by itself within its shutdown's deadline (config.shutdownMs + 5 s); they end with this process.
    setTimeout(() => process.exit(0), config.shutdownMs + 6_000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`Inkstone is serving ${config.siteUrl} with ${config.workers} workers\n`);
}
