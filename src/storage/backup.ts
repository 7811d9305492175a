import type { Database } from './database.ts';

/** SQLite online backup: a consistent copy while the site keeps serving. */
export async function backupSqlite(database: Database, file: string): Promise<number> {
  if (!database.sqlite) throw new Error('backup copies the SQLite file; on PostgreSQL use pg_dump');
  const result = await database.sqlite.backup(file);
  return result.totalPages;
}
