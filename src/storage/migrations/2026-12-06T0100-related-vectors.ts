import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Each analysed article's term vector also as one value on its fingerprint row (`terms`, JSON `[[term, weight], …]`):
 * a publish scores its 400 best candidates exactly from their vectors, and reading 400 rows by id costs a fraction of
 * probing related_terms for every (term, candidate) pair (12 of a publish's 25 ms of candidate search at 20,000
 * articles). Rows analysed before this migration have none; the server fills them in the background
 * (RelatedRepository.fillVectors, through the partial index, which is empty once they are filled), and a candidate
 * without one is scored from related_terms as before meanwhile.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('related_fingerprints').addColumn('terms', 'text').execute();
  await sql`create index if not exists related_fingerprints_unvectored on related_fingerprints (article_id) where terms is null`.execute(db);
}
