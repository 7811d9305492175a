import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { newsroom, processEnv, publishArticle, serve, type Served } from '../support/server.ts';
import { openTestDatabase, STORES, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A first start on an archive never indexed for search nor analysed for related reading (a bulk load, a restore):
 * the server answers at once and indexes and analyses in the background, and a run stopped half-way is resumed by the next start, not begun again.
 */
describe.each(STORES)('related reading analysed in the background on %s', (kind) => {
  let db: TestDatabase;
  let server: Served | undefined;

  afterAll(async () => {
    await server?.stop();
    await db?.cleanup();
  });

  const unanalysed = async (env: NodeJS.ProcessEnv) => {
    const database = openDatabase(loadConfig(env));
    try {
      const { rows } = await sql<{ n: number }>`select count(*) as n from articles a
        where not exists (select 1 from related_fingerprints f where f.article_id = a.id)`.execute(database.db);
      return Number(rows[0]!.n);
    } finally {
      await database.close();
    }
  };

  it('serves at once, then fills the search index and analyses the backlog after listening', { timeout: 90_000 }, async () => {
    db = await openTestDatabase(kind, { migrated: false });
    await db.database.close();
    const env = processEnv(db);
    const { token } = await newsroom(env);
    server = await serve(env);
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push(await publishArticle(server.base, token, `江城地铁第${i}号线开通 沿线居民出行更便捷`));
    await server.stop();
    // As after a bulk load: no article has been analysed.
    const database = openDatabase(loadConfig(env));
    for (const table of ['related_items', 'related_terms', 'related_buckets', 'related_fingerprints', 'search_docs'])
      await sql`delete from ${sql.table(table)}`.execute(database.db);
    await database.close();
    expect(await unanalysed(env)).toBe(12);
    const found = async () => ((await (await fetch(`${server!.base}/api/v1/search?q=${encodeURIComponent('江城地铁')}`)).json()) as { total: number }).total;

    server = await serve(env);
    // Search too was filled after listening: nothing was indexed when the server first answered.
    await waitFor(async () => (await found()) === 12, { timeout: 30_000, message: 'the search index to be filled' });
    await waitFor(async () => (await unanalysed(env)) === 0, { timeout: 30_000, message: 'the backlog to be analysed' });
    const related = (await (await fetch(`${server.base}/api/v1/articles/${ids[0]}/related`)).json()) as { items: { id: number }[] };
    expect(related.items.length).toBeGreaterThan(0);
  });
});
