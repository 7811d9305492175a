import { buildApp } from './app.ts';
import { prepare } from './bootstrap.ts';
import type { Config } from './config.ts';
import { openDatabase } from './storage/database.ts';

/** Starts the site: prepare the database, build the app, listen, and stop cleanly on SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<void> {
  const database = openDatabase(config);
  const first = await prepare(config, database);
  const { app } = await buildApp({
    config,
    database,
    jobs: true,
    logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'] },
  });
  if (first.migrations.length) app.log.info({ migrations: first.migrations }, 'applied migrations');
  if (first.demoArticles !== undefined) app.log.info({ articles: first.demoArticles }, 'loaded demo content');
  if (first.adminPassword) {
    // Printed once, to the terminal only: never through the logger.
    process.stdout.write(`\n  Created the newsroom account "admin" with password: ${first.adminPassword}\n  Sign in at ${config.siteUrl}/admin\n\n`);
  }
  const stop = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  process.stdout.write(`Inkstone is serving ${config.siteUrl}\n`);
}
