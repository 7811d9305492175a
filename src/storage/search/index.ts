import type { Kysely } from 'kysely';
import type { Dialect } from '../migrations/index.ts';
import type { DB } from '../schema.ts';
import { PostgresSearchIndex } from './postgres.ts';
import { SqliteSearchIndex } from './sqlite.ts';
import type { SearchIndex } from './types.ts';

// The seam's types live in types.ts, so the two implementations need not import this module back.
export type { RebuildReport, SearchCandidates, SearchIndex, SearchRequest } from './types.ts';
export { SEARCH_CAPS } from '../../domain/search/query.ts';

export function searchIndex(db: Kysely<DB>, dialect: Dialect): SearchIndex {
  return dialect === 'sqlite' ? new SqliteSearchIndex(db) : new PostgresSearchIndex(db);
}
