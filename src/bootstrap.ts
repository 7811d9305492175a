import type { Container } from './container.ts';
import { createAccount } from './domain/accounts/service.ts';
import { randomToken } from './domain/crypto.ts';
import { loadDemo } from './demo/load.ts';
import { rebuildRelated } from './domain/articles/related.ts';
import { drainOutbox } from './domain/outbox.ts';
import { migrate } from './storage/database.ts';

export interface FirstStart {
  migrations: string[];
  adminPassword?: string;
  demoArticles?: number;
}

/**
 * What a start does before serving: apply migrations, create `admin` on an empty database, and load the
 * demo content into an empty database unless INKSTONE_DEMO=0 (or `demo: false`). Nothing here reads the whole
 * archive: articles missing from the search indexes are indexed, and articles never analysed for related reading are
 * analysed, after the server listens (jobs/backlog.ts).
 */
export async function prepare({ config, database, ctx }: Container, { demo = config.demo } = {}): Promise<FirstStart> {
  const migrations = await migrate(database);
  const result: FirstStart = { migrations };
  if ((await ctx.store.accounts.count()) === 0) {
    const password = config.adminPassword ?? randomToken(12);
    await createAccount(ctx, null, { username: 'admin', displayName: '管理员', role: 'admin', password });
    if (!config.adminPassword) result.adminPassword = password;
  }
  if (demo && (await ctx.store.channels.all()).length === 0) {
    result.demoArticles = (await loadDemo(ctx, config)).articles;
    // Their search entries, before the first reader comes.
    await drainOutbox(ctx);
    // The first demo stories built their related lists before the archive was big enough to damp its city names.
    await rebuildRelated(ctx);
  }
  return result;
}
