import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { IndexableArticle } from '../../domain/search/search-index.ts';
import type { DB } from '../schema.ts';
import { tagNamesByArticle } from '../repositories/articles.ts';

export { SEARCH_CAPS } from '../../domain/search/search-index.ts';

/** Relevance first, then the newer article, then the higher id: the same order on both stores. */
export function byRelevance(a: { id: number; at: number; score: number }, b: { id: number; at: number; score: number }): number {
  return b.score - a.score || b.at - a.at || b.id - a.id;
}

/** Which articles an index holds: the public index the published ones, the draft index all the others. */
export type IndexScope = 'published' | 'unpublished';

/** Rows of one batch of the articles an index holds, read the same way by both stores for a rebuild. */
export async function articleBatch(
  db: Kysely<DB>,
  scope: IndexScope,
  afterId: number,
  size: number,
  lock: boolean,
  /** Only articles without a document in this table (an index being filled). */
  missingFrom?: RawBuilder<unknown>,
): Promise<IndexableArticle[]> {
  let query = db
    .selectFrom('articles')
    .select(['id', 'title', 'subtitle', 'summary', 'body_text', 'channel_id', 'published_at', 'updated_at'])
    .where('status', scope === 'published' ? '=' : '<>', 'published')
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(size);
  if (missingFrom) query = query.where(sql<boolean>`not exists (select 1 from ${missingFrom} d where d.article_id = articles.id)`);
  // On PostgreSQL the rows stay locked until the batch commits, so a concurrent edit's sync lands after ours.
  if (lock) query = query.forShare();
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const byArticle = await tagNamesByArticle(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    subtitle: r.subtitle,
    summary: r.summary,
    bodyText: r.body_text,
    tags: byArticle.get(r.id) ?? [],
    channelId: r.channel_id,
    publishedAt: r.published_at,
    updatedAt: r.updated_at,
  }));
}

export const REBUILD_BATCH = 200;
