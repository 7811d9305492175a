import type { Kysely } from 'kysely';
import type { SearchIndex } from '../../domain/search/search-index.ts';
import type { DB } from '../schema.ts';
import type { EngineEndpoint } from './engine-http.ts';
import { OpenSearchIndex } from './opensearch.ts';

/** An external search engine (INKSTONE_SEARCH_URL) as the config reads it. */
export interface SearchEngineConfig {
  kind: 'opensearch';
  endpoint: EngineEndpoint;
  /** Index names begin with it: `<prefix>-published`, `<prefix>-drafts`. */
  prefix: string;
}

/** Both indexes of the store in the engine: the public one and the newsroom archive's draft index. */
export interface ExternalIndexes {
  search: SearchIndex;
  draftSearch: SearchIndex;
  /** Creates both indexes with their settings unless they exist (idempotent; every use does it too). */
  ready(): Promise<void>;
}

/** The engine's indexes; `db` is where rebuilds and fills read the articles (the primary's pool). */
export function externalIndexes(config: SearchEngineConfig, db: Kysely<DB>): ExternalIndexes {
  const search = new OpenSearchIndex(config.endpoint, `${config.prefix}-published`, db, 'published');
  const draftSearch = new OpenSearchIndex(config.endpoint, `${config.prefix}-drafts`, db, 'unpublished');
  return {
    search,
    draftSearch,
    ready: async () => {
      await Promise.all([search.ready(), draftSearch.ready()]);
    },
  };
}
