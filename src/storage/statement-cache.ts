import type SQLite from 'better-sqlite3';

/** Distinct statements kept prepared; queries with IN lists of varying length make many texts. */
const STATEMENT_CACHE = 500;

/**
 * Kysely's SQLite driver prepares every query afresh; preparing costs more than running most of our queries (a
 * reader page runs a dozen). Statements are kept by SQL text, least recently used dropped. Safe because
 * better-sqlite3 runs a statement to completion synchronously (nothing here iterates a statement lazily), so one
 * cached statement is never in use twice at once.
 */
export function withStatementCache(sqlite: SQLite.Database): { prepare(sql: string): SQLite.Statement; close(): void } {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      let statement = statements.get(text);
      if (statement) {
        statements.delete(text);
      } else {
        statement = sqlite.prepare(text);
        if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value!);
      }
      statements.set(text, statement);
      return statement;
    },
    close: () => sqlite.close(),
  };
}
