import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * An article page reads its tags in the newsroom's order (`tagsOfOne`: where article_id = ? order by position). On
 * SQLite `article_tags` is a rowid table whose primary key is a separate index (article_id, tag_id): each tag's
 * position was one more seek into the table, and the rows were sorted in a temporary B-tree. This index holds the
 * three columns in the order asked for, so the read is one range of one index. At a million articles the table's
 * pages are out of SQLite's cache, and those seeks were most of the statement. PostgreSQL's primary key index and
 * heap serve the small lists as they are.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`create index if not exists article_tags_order on article_tags (article_id, position, tag_id)`.execute(db);
}
