import type { ArticleFields, NewRevision } from '../articles/article.ts';
import type { ArticleStatus } from '../articles/status.ts';
import type { NewAuditEvent } from '../audit/audit-event.ts';

/** An article as an import writes it: any status, with its original times. */
export interface ImportedArticle extends Omit<ArticleFields, 'status'> {
  status: ArticleStatus;
}

/** What an earlier import made of a source item: the article, and the revision the import left it at. */
export interface ImportSource {
  key: string;
  articleId: number;
  revision: number;
  /**
   * The post's status at the source at that import (publish, draft, pending, future, private, trash, or password for a
   * password-protected post); null for imports made before it was kept.
   */
  sourceStatus?: string | null;
}

/** Where an old address leads: the article and its status now (undefined when it is in the 回收站). */
export interface OldUrlTarget {
  articleId: number;
  status: ArticleStatus | undefined;
}

/** The storage of imports (storage/repositories/imports.ts): batch writes for speed, and the old-address table. */
export interface ImportRepository {
  /**
   * Serializes the imports' writes until the transaction ends (PostgreSQL: an advisory lock; SQLite: the write lock,
   * taken first so the reads after it see every committed import): two imports of one file never both insert a post.
   * Also readies the transaction for a bulk write (PostgreSQL: see the repository).
   */
  lock(): Promise<void>;
  /**
   * After the import's last batch: what the store deferred for a bulk write is done now (PostgreSQL: the search
   * indexes' pending entries are merged into their GIN trees), so readers and later writers do not pay for it.
   */
  settle(): Promise<void>;
  /** Earlier imports of these source keys. */
  findSources(keys: readonly string[]): Promise<Map<string, ImportSource>>;
  /** Inserts articles in one go; their ids in the same order. */
  insertArticles(articles: readonly ImportedArticle[]): Promise<number[]>;
  /** Tags of new articles (they have none yet), many articles at once. */
  addTags(tags: readonly { articleId: number; names: readonly string[] }[]): Promise<void>;
  addRevisions(revisions: readonly NewRevision[]): Promise<void>;
  record(events: readonly NewAuditEvent[]): Promise<void>;
  /** Inserts or replaces which article each source key became, at which revision. */
  saveSources(sources: readonly ImportSource[], at: number): Promise<void>;
  /** Adds old addresses not taken yet (a taken one keeps its article); returns the paths added. */
  addOldUrls(urls: readonly { path: string; articleId: number }[], at: number): Promise<string[]>;
  /** Which of these paths are taken, and by which article. */
  oldUrlOwners(paths: readonly string[]): Promise<Map<string, number>>;
  findOldUrl(path: string): Promise<OldUrlTarget | undefined>;
}
