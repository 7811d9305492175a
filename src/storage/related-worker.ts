/** The related-reading reader thread's entry (see related-finder.ts): one job at a time, plain data in and out. */
import os from 'node:os';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Candidate } from '../domain/articles/related-reading.ts';
import { findCandidates } from '../domain/articles/related.ts';
import type { FindJob } from './related-finder.ts';
import { RelatedRepository } from './repositories/related.ts';
import type { DB } from './schema.ts';

// The lowest CPU priority for this thread alone (as body-worker.ts): readers' requests get the cores first.
if (process.platform === 'linux') {
  try {
    os.setPriority(19);
  } catch {
    // Not allowed here: the thread keeps the normal priority.
  }
}

/** Read connections by database file: a process has one, a test run a few; the oldest is closed past four. */
const open = new Map<string, { sqlite: SQLite.Database; related: RelatedRepository }>();

function reader(file: string): RelatedRepository {
  const found = open.get(file);
  if (found) return found.related;
  const sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  const related = new RelatedRepository(new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) }), 'sqlite');
  open.set(file, { sqlite, related });
  if (open.size > 4) {
    const [oldest, entry] = open.entries().next().value!;
    entry.sqlite.close();
    open.delete(oldest);
  }
  return related;
}

export default async function relatedWorker(job: FindJob | { warm: true }): Promise<Candidate[]> {
  // The first job only starts the thread (see related-finder.ts).
  if ('warm' in job) return [];
  return findCandidates(reader(job.file), job.articleId, job.terms, job.limit);
}
