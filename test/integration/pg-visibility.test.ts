import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationContext } from '../../src/storage/migrations/index.ts';
import { down, up } from '../../src/storage/migrations/2026-12-10T0100-related-visibility.ts';
import { openTestDatabase, runsOn, type TestDatabase } from '../support/stores.ts';

/**
 * A publish reads its related candidates from related_terms by an index-only scan, which reads a table row for every
 * entry on a page the visibility map does not mark: the tables related reading writes on every analysis are vacuumed
 * after a fixed number of rows, not after a fifth of the table (2026-12-10T0100).
 */
describe.skipIf(!runsOn('postgres'))('related reading’s tables stay visible to index-only scans on PostgreSQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const options = async (table: string) =>
    (await sql<{ options: string[] | null }>`select reloptions as options from pg_class where relname = ${table}`.execute(t.database.db)).rows[0]?.options ??
    [];

  it('vacuums related_terms and related_buckets after 20,000 rows written, whatever their size', async () => {
    for (const table of ['related_terms', 'related_buckets']) {
      const set = await options(table);
      expect(set).toContain('autovacuum_vacuum_insert_threshold=20000');
      expect(set).toContain('autovacuum_vacuum_insert_scale_factor=0');
      expect(set).toContain('autovacuum_vacuum_threshold=20000');
      expect(set).toContain('autovacuum_vacuum_scale_factor=0.01');
    }
    // The article table and others keep the server's settings.
    expect(await options('articles')).toEqual([]);
  });

  it('gives the tables back the server’s settings when undone, and sets them again', async () => {
    const ctx = migrationContext('postgres');
    await down(t.database.db as never, ctx);
    expect(await options('related_terms')).toEqual([]);
    expect(await options('related_buckets')).toEqual([]);
    await up(t.database.db as never, ctx);
    expect(await options('related_terms')).toContain('autovacuum_vacuum_insert_threshold=20000');
  });
});
