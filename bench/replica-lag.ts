/**
 * Read-replica lag window (not a test): a throwaway PostgreSQL primary with a streaming hot standby
 * (test/support/replica.ts) and the app in-process with DATABASE_READ_URL. After each of 30 publishes, asks the
 * router every millisecond where a reader load would go, and prints how long (and how many loads) it took until
 * reads were back on the replica: the price of never caching a page the replica has not caught up with.
 *
 *   npx tsx bench/replica-lag.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { createAccount, createApiToken } from '../src/domain/accounts/service.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';
import { createArticle, createChannels, publish } from '../test/support/factories.ts';
import { startReplicatedPostgres } from '../test/support/replica.ts';

const pgs = await startReplicatedPostgres();
try {
  const urls = await pgs.createDatabase('bench');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-replica-'));
  const setup = openDatabase({ databaseUrl: urls.primary, dataDir, poolSize: 1 });
  await migrate(setup);
  await setup.close();
  const config = loadConfig({
    INKSTONE_DATA_DIR: dataDir,
    INKSTONE_DEMO: '0',
    DATABASE_URL: urls.primary,
    DATABASE_READ_URL: urls.replica,
    INKSTONE_SITE_URL: 'http://x.test',
  });
  const database = openDatabase({ databaseUrl: urls.primary, dataDir });
  const container = createContainer({ config, database });
  const { app } = await buildApp({ container });
  await app.ready();
  await createAccount(container.ctx, null, { username: 'ed', role: 'admin', password: 'correct horse battery' });
  const auth = `Bearer ${(await createApiToken(container.ctx, null, { username: 'ed' })).token}`;
  await createChannels(app, auth);
  const windows: number[] = [];
  const primaryLoads: number[] = [];
  const stats = () => container.reads!.stats();
  for (let i = 0; i < 30; i++) {
    const { id } = await createArticle(app, auth, { title: `测量第${i}篇` });
    await new Promise((r) => setTimeout(r, 50));
    await publish(app, auth, id);
    const t0 = performance.now();
    let loads = 0;
    for (;;) {
      loads++;
      const onReplica = await container.reads!.run(async (c) => c !== container.ctx);
      if (onReplica) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    primaryLoads.push(loads - 1);
    windows.push(performance.now() - t0);
  }
  windows.sort((a, b) => a - b);
  const s = stats();
  console.log(`after a publish, reader loads back on the replica in p50 ${windows[15]!.toFixed(1)} ms, max ${windows.at(-1)!.toFixed(1)} ms (30 publishes)`);
  console.log(JSON.stringify(s), 'primary loads per publish (1 ms apart):', primaryLoads.join(','));
  await app.close();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
} finally {
  pgs.stop();
}
