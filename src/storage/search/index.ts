import type { Kysely } from 'kysely';
import type { SearchIndex } from '../../domain/search/search-index.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB } from '../schema.ts';
import { PostgresSearchIndex } from './postgres.ts';
import type { IndexScope } from './shared.ts';
import { SqliteSearchIndex } from './sqlite.ts';

/** The domain's search index over this store: of the published articles, or (`unpublished`) the draft index of the others. */
export function searchIndex(db: Kysely<DB>, dialect: Dialect, scope: IndexScope = 'published', sqliteFile?: string): SearchIndex {
  return dialect === 'sqlite' ? new SqliteSearchIndex(db, scope, sqliteFile) : new PostgresSearchIndex(db, scope);
}
