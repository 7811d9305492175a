import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Related reading's candidates are read from each term's postings heaviest first (the articles the term is most about),
 * not newest first: a publish reads a few thousand postings instead of most of a common term's, and finds the same
 * neighbours (see RelatedRepository.similarPublished). SQLite's index on a WITHOUT ROWID table carries the primary key
 * (term, article_id) already; PostgreSQL's includes the article so the read never visits the table.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') await sql`create index if not exists related_terms_impact on related_terms (term, weight desc) include (article_id)`.execute(db);
  else {
    await sql`create index if not exists related_terms_impact on related_terms (term, weight desc)`.execute(db);
    // Statistics gathered before this index (an operator's ANALYZE) would make SQLite read a term's postings newest
    // first through it and sort them; a bounded look at the table brings them up to date.
    const stats = await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'sqlite_stat1'`.execute(db);
    if (Number(stats.rows[0]?.n) > 0) {
      await sql`pragma analysis_limit = 1000`.execute(db);
      await sql`analyze related_terms`.execute(db);
    }
  }
}
