import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * PostgreSQL: related reading's postings (related_terms) and band keys (related_buckets) are read by index-only
 * scans — a publish reads up to 40,000 postings by (term, weight) — and written by every analysis. An index-only scan
 * reads the table row of every entry on a page the visibility map does not mark all-visible, and by default autovacuum
 * sets those marks only after a fifth of a table has been inserted since its last run: on an archive of 300,000
 * articles (12 million postings) that is 60,000 analyses, so the newest tenth of the table was read row by row. On the
 * 20,000-article bench archive one publish's candidate read touched 8,522 buffers with a quarter of the table unmarked,
 * and 452 once vacuumed. Here autovacuum visits these tables after every 20,000 rows written (500 articles analysed)
 * whatever their size; each run reads only the pages not yet marked. SQLite has no visibility map: nothing to do.
 */
const TABLES = ['related_terms', 'related_buckets'];
/** Vacuumed after this many rows inserted, or this many dead (plus 1 % of the table), whatever the table's size. */
const SETTINGS: Record<string, number> = {
  autovacuum_vacuum_threshold: 20_000,
  autovacuum_vacuum_scale_factor: 0.01,
  autovacuum_vacuum_insert_threshold: 20_000,
  autovacuum_vacuum_insert_scale_factor: 0,
};

/** The settings this server knows: the insert thresholds came with PostgreSQL 13 (before it only dead rows start a vacuum). */
async function known(db: Kysely<unknown>): Promise<[string, number][]> {
  const { rows } = await sql<{ version: number }>`select current_setting('server_version_num')::int as version`.execute(db);
  const inserts = (rows[0]?.version ?? 0) >= 130_000;
  return Object.entries(SETTINGS).filter(([name]) => inserts || !name.startsWith('autovacuum_vacuum_insert_'));
}

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const settings = (await known(db)).map(([name, value]) => `${name} = ${value}`).join(', ');
  for (const table of TABLES) await sql`alter table ${sql.table(table)} set (${sql.raw(settings)})`.execute(db);
}

export async function down(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const names = (await known(db)).map(([name]) => name).join(', ');
  for (const table of TABLES) await sql`alter table ${sql.table(table)} reset (${sql.raw(names)})`.execute(db);
}
