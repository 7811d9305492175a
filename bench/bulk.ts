/**
 * Bulk actions and the trash purge at their limits, in process on SQLite: POST /api/v1/articles/bulk publishing 200
 * drafts (each through publishArticle: segmentation, search, related reading, revision, audit) and deleting 200, and
 * purgeTrash removing 1,000 articles deleted over 30 days ago with their revisions, tags and related rows.
 * Never part of `npm test`.
 *
 *   npx tsx bench/bulk.ts
 *
 * On the shared 2-core development machine (2026-12-02): bulk publish 200 drafts 4.59 s (≈ 23 ms each); the same
 * request again, all unchanged, 0.41 s; bulk delete 200 drafts 0.71 s; purge 1,000 deleted articles 0.32 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { createAccount, createApiToken } from '../src/domain/accounts/service.ts';
import { purgeTrash, TRASH_RETENTION_MS } from '../src/domain/articles/trash.ts';
import { createChannel } from '../src/domain/channels/service.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-bulk-'));
const config = loadConfig({ INKSTONE_DATA_DIR: dataDir, INKSTONE_SECRET: 'bench-secret-0123456789abcdef', INKSTONE_DEMO: '0' });
const database = openDatabase(config);
await migrate(database);
const clock = new ManualClock(Date.now());
const { app, ctx } = await buildApp({ container: createContainer({ config, database, clock }) });
await app.ready();
await createAccount(ctx, null, { username: 'chief', role: 'editor', password: 'bench-password-1' });
const { token } = await createApiToken(ctx, null, { username: 'chief' });
const headers = { authorization: `Bearer ${token}` };
await createChannel(ctx, null, { slug: 'yaowen', name: '要闻' });

const paragraph = (i: number, n: number) =>
  `<p>江城第${i}篇稿件第${n}段：市交通部门今日通报，地铁${i % 12}号线延长段完成全部试运行，沿线${n + 3}个站点将于下月开通，预计日均客流${i * 10 + n}万人次。</p>`;
async function drafts(count: number, from: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = from; i < from + count; i++) {
    const body = Array.from({ length: 12 }, (_, n) => paragraph(i, n)).join('');
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers,
      payload: { title: `江城地铁第${i}篇报道`, channel: 'yaowen', body, tags: ['地铁', '江城'] },
    });
    if (res.statusCode !== 201) throw new Error(res.body);
    ids.push(JSON.parse(res.body).id);
  }
  return ids;
}
async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const out = await run();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return out;
}

const toPublish = await drafts(200, 0);
const published = await timed('bulk publish 200 drafts', () =>
  app.inject({ method: 'POST', url: '/api/v1/articles/bulk', headers, payload: { action: 'publish', ids: toPublish } }),
);
console.log('  ', JSON.parse(published.body).done, 'done');
await timed('bulk publish the same 200 again (all unchanged)', () =>
  app.inject({ method: 'POST', url: '/api/v1/articles/bulk', headers, payload: { action: 'publish', ids: toPublish } }),
);
const toDelete = await drafts(200, 200);
await timed('bulk delete 200 drafts', () =>
  app.inject({ method: 'POST', url: '/api/v1/articles/bulk', headers, payload: { action: 'delete', ids: toDelete } }),
);
for (let round = 0; round < 4; round++) {
  const more = await drafts(200, 400 + round * 200);
  await app.inject({ method: 'POST', url: '/api/v1/articles/bulk', headers, payload: { action: 'delete', ids: more } });
}
clock.advance(TRASH_RETENTION_MS + 1);
const purged = await timed('purge 1,000 deleted articles (batches of 100)', () => purgeTrash(ctx));
console.log('  ', purged.length, 'purged');
await app.close();
await database.close();
rmSync(dataDir, { recursive: true, force: true });
