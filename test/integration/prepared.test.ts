import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared } from '../../src/storage/prepared.ts';
import type { DB } from '../../src/storage/schema.ts';
import { STORES, openTestDatabase, type TestDatabase } from '../support/stores.ts';

/**
 * Queries compiled once and then only bound (storage/prepared.ts), which the reader pages' reads use: every call must
 * bind its own values, including inside a transaction and alongside the constants the builder bound itself.
 */
describe.each(STORES)('prepared queries on %s', (kind) => {
  let t: TestDatabase;
  let db: Kysely<DB>;

  beforeAll(async () => {
    t = await openTestDatabase(kind);
    db = t.database.db;
    for (const [slug, position] of [
      ['a', 3],
      ['b', 1],
      ['c', 2],
    ] as const)
      await db
        .insertInto('channels')
        .values({ slug, name: `频道${slug}`, parent_id: null, path: slug, position, description: '', created_at: 1 })
        .execute();
  });
  afterAll(() => t.cleanup());

  // A constant ('' description) bound by the builder between the two arguments.
  const channels = prepared((k: Kysely<DB>, minPosition: number, limit: number) =>
    k.selectFrom('channels').select(['slug', 'position']).where('position', '>=', minPosition).where('description', '=', '').orderBy('position').limit(limit),
  );

  it('binds each call’s own values into the text compiled on the first', async () => {
    expect(await channels(db, 1, 10)).toEqual([
      { slug: 'b', position: 1 },
      { slug: 'c', position: 2 },
      { slug: 'a', position: 3 },
    ]);
    expect(await channels(db, 2, 1)).toEqual([{ slug: 'c', position: 2 }]);
    expect(await channels(db, 4, 10)).toEqual([]);
  });

  it('runs inside a transaction, which sees its own writes', async () => {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('channels').values({ slug: 'd', name: '频道d', parent_id: null, path: 'd', position: 9, description: '', created_at: 1 }).execute();
      expect(await channels(tx, 9, 10)).toEqual([{ slug: 'd', position: 9 }]);
    });
  });

  it('binds an argument used twice in both places, and refuses a query that leaves one out', async () => {
    const twice = prepared((k: Kysely<DB>, slug: string) => k.selectFrom('channels').select('slug').where('slug', '=', slug).where('path', '=', slug));
    expect(await twice(db, 'b')).toEqual([{ slug: 'b' }]);
    expect(await twice(db, 'c')).toEqual([{ slug: 'c' }]);
    const unused = prepared((k: Kysely<DB>, _slug: string) => k.selectFrom('channels').select('slug'));
    await expect(unused(db, 'a')).rejects.toThrow(/does not bind every argument/);
  });
});
