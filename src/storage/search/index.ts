import type { Kysely } from 'kysely';
import type { SearchIndex } from '../../domain/search/search-index.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB } from '../schema.ts';
import { PostgresSearchIndex } from './postgres.ts';
import { SqliteSearchIndex } from './sqlite.ts';

/** The domain's search index over this store. */
export function searchIndex(db: Kysely<DB>, dialect: Dialect): SearchIndex {
  return dialect === 'sqlite' ? new SqliteSearchIndex(db) : new PostgresSearchIndex(db);
}
