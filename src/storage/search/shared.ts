import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DocumentMaker, IndexableArticle, RebuildProgress } from '../../domain/search/search-index.ts';
import type { DB } from '../schema.ts';
import { INDEX_LIMITS, searchHead } from '../../domain/search/document.ts';
import { tagNamesByArticle } from '../repositories/articles.ts';

export { SEARCH_CAPS } from '../../domain/search/search-index.ts';

/** Relevance first, then the newer article, then the higher id: the same order on both stores. */
export function byRelevance(a: { id: number; at: number; score: number }, b: { id: number; at: number; score: number }): number {
  return b.score - a.score || b.at - a.at || b.id - a.id;
}

/** Which articles an index holds: the public index the published ones, the draft index all the others. */
export type IndexScope = 'published' | 'unpublished';

/**
 * Rows of one batch of the articles an index holds, read the same way by both stores for a rebuild. `bodyText` is the
 * body's opening that a document indexes, not the whole body.
 */
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
    // Only the part of a body a document is made of (INDEX_LIMITS): a batch of long bodies stays a few megabytes.
    // substr counts characters on both stores, at least as many UTF-16 units as the document cuts to.
    .select([
      'id',
      'title',
      'subtitle',
      'summary',
      sql<string>`substr(body_text, 1, ${sql.lit(INDEX_LIMITS.bodyWordChars)})`.as('body_text'),
      'channel_id',
      'published_at',
      'updated_at',
    ])
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

const HEAD_BATCH = 1000;

/**
 * Gives the documents written before heads were kept (migration 2026-12-04T0100) their heads: titles and tags read
 * a thousand articles at a time, one UPDATE each, never over a head the outbox wrote meanwhile (it is newer). No
 * segmenting, so a million documents take a minute or so, not the quarter of an hour writing them again would.
 * Readers get the connection between batches; returns how many documents got a head.
 */
export async function fillHeads(db: Kysely<DB>, docs: RawBuilder<unknown>, signal?: AbortSignal): Promise<number> {
  let filled = 0;
  while (!signal?.aborted) {
    const { rows } = await sql<{ id: number; title: string }>`select a.id, a.title from ${docs} d join articles a on a.id = d.article_id
      where d.head is null order by d.article_id limit ${HEAD_BATCH}`.execute(db);
    if (rows.length === 0) break;
    const tags = await tagNamesByArticle(
      db,
      rows.map((r) => r.id),
    );
    const values = rows.map((r) => sql`(cast(${r.id} as integer), ${searchHead(r.title, tags.get(r.id) ?? [])})`);
    await sql`with v (id, head) as (values ${sql.join(values)})
      update ${docs} set head = v.head from v where ${docs}.article_id = v.id and ${docs}.head is null`.execute(db);
    filled += rows.length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return filled;
}

/**
 * How many whole documents (with their heads) a docs table holds: all of them less those still without a head (a
 * partial index, empty once the fill has written them again), so both counts are index-only.
 */
export async function wholeDocuments(db: Kysely<DB>, docs: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select (select count(*) from ${docs}) - (select count(*) from ${docs} where head is null) as n`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The batches of a rebuild or a fill. `write(after)` reads the batch after that id in its own transaction and writes it
 * (what it read is the truth); meanwhile the next batch, guessed by a read outside any transaction, is having its
 * documents made ahead (`document.ahead`, a worker thread), so segmenting and writing overlap. Stops when a write finds
 * nothing, or when `signal` aborts. Returns how many articles were written.
 */
export async function pipelinedBatches(
  document: DocumentMaker,
  guess: (after: number) => Promise<IndexableArticle[]>,
  write: (after: number) => Promise<IndexableArticle[]>,
  { from = 0, signal, progress, pause = false }: { from?: number; signal?: AbortSignal; progress?: RebuildProgress; pause?: boolean },
): Promise<number> {
  const ahead = document.ahead;
  const prepare = async (after: number) => {
    if (!ahead) return { last: undefined, ready: Promise.resolve() };
    const rows = await guess(after);
    // A failed preparation only means the documents are made when written.
    return { last: rows.length ? rows[rows.length - 1]!.id : undefined, ready: ahead(rows).catch(() => {}) };
  };
  let indexed = 0;
  let after = from;
  let next = prepare(after);
  while (!signal?.aborted) {
    const current = await next;
    // The following batch is read and handed to the worker before this one is written.
    next = current.last !== undefined ? prepare(current.last) : Promise.resolve({ last: undefined, ready: Promise.resolve() });
    await current.ready;
    const batch = await write(after);
    if (batch.length === 0) break;
    indexed += batch.length;
    after = batch[batch.length - 1]!.id;
    await progress?.(indexed, after);
    // Readers get the connection between two batches.
    if (pause) await new Promise((resolve) => setImmediate(resolve));
  }
  // A guess still on its way is not left to fail unobserved.
  await next.then((n) => n.ready).catch(() => {});
  return indexed;
}
