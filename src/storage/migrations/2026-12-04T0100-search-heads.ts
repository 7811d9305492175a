import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Search ranks candidates by where the query's words are (domain/search/ranking.ts), read from each document's head: its
 * normalized title and tags, kept beside the document. Documents written before this have none; they still match
 * and rank as if the words were only in the text until the background fill (jobs/backlog.ts) gives them their heads
 * from the articles' titles and tags (fillHeads, no segmenting), so no migration reads the archive.
 * A partial index lists the documents still without one (empty once filled), for the backlog's count.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const tables = dialect === 'postgres' ? ['search_docs', 'draft_search_docs'] : ['search_docs', 'draft_docs'];
  for (const table of tables) {
    await sql.raw(`alter table ${table} add column head text`).execute(db);
    await sql.raw(`create index ${table}_headless on ${table} (article_id) where head is null`).execute(db);
  }
}
