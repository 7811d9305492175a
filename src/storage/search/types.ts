import type { Article } from '../../domain/articles/article.ts';
import type { PreparedSearchFields } from '../../domain/search/document.ts';
import type { Term } from '../../domain/search/query.ts';

export interface SearchRequest {
  /** Every term must match (see domain/search/query.ts). */
  terms: Term[];
  /** Only articles in these channels (a channel and its subchannels). */
  channelIds?: number[];
  /** Published at or after (ms). */
  from?: number;
  /** Published before (ms). */
  to?: number;
}

export interface SearchCandidates {
  /** Article ids, best first: relevance, then newer, then higher id. */
  ids: number[];
  /** Matching articles, counted up to SEARCH_CAPS.total. */
  total: number;
}

export interface RebuildReport {
  indexed: number;
  removed: number;
}

/** The full-text index of published articles, one implementation per store, kept in step inside article transactions. */
export interface SearchIndex {
  /** Indexes a published article, removes any other; call inside the transaction that changed it. */
  sync(article: Article, prepared?: PreparedSearchFields): Promise<void>;
  search(request: SearchRequest): Promise<SearchCandidates>;
  /** Re-indexes every published article in batches (reads stay served) and drops the rest. */
  rebuild(progress?: (indexed: number) => void): Promise<RebuildReport>;
  /** Whether no article is indexed (cheap, unlike stats). */
  isEmpty(): Promise<boolean>;
  /** Indexed articles and the index's size on disk in bytes. */
  stats(): Promise<{ documents: number; bytes: number }>;
}
