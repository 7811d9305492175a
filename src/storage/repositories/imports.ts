import { sql, type Insertable, type Kysely } from 'kysely';
import type { NewRevision } from '../../domain/articles/article.ts';
import type { ArticleStatus } from '../../domain/articles/status.ts';
import type { NewAuditEvent } from '../../domain/audit/audit-event.ts';
import type { ImportedArticle, ImportSource, OldUrlTarget } from '../../domain/imports/imported.ts';
import type * as Port from '../../domain/imports/imported.ts';
import type { Dialect } from '../migrations/index.ts';
import type { ArticleTable, DB } from '../schema.ts';
import { newArticleColumns } from './articles.ts';
import { auditRow, revisionRow } from './history.ts';

/** Rows per multi-row INSERT: well below both stores' bound-parameter limits (SQLite 32,766; PostgreSQL 65,535). */
const ROWS_PER_STATEMENT = 200;
/** The advisory lock key of imports ("inki" as a number): any constant no other lock of ours uses. */
const IMPORT_LOCK = 0x696e6b69;

function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const columns = (a: ImportedArticle): Insertable<ArticleTable> => newArticleColumns(a);

/**
 * PostgreSQL: the rows of a narrow table as one parameter per column, spread by unnest() — one statement however many
 * rows, instead of a multi-row INSERT per 200 with three to six parameters each (the tags, source keys, old addresses
 * and audit entries of a batch are thousands of rows; each statement is parsed, planned and bound on its own).
 */
function unnested(columns: readonly (readonly [name: string, type: string])[], rows: readonly (readonly unknown[])[]) {
  const arrays = columns.map((_, c) => rows.map((r) => r[c]));
  return sql`select * from unnest(${sql.join(columns.map(([, type], c) => sql`${arrays[c]}::${sql.raw(type)}[]`))}) as r(${sql.join(columns.map(([name]) => sql.ref(name)))})`;
}

export class ImportRepository implements Port.ImportRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  async lock(): Promise<void> {
    if (this.dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`.execute(this.db);
      // For this batch's transaction only. The GIN search indexes take new entries into their pending list, merged into
      // the tree when the list passes gin_pending_list_limit, sorted in work_mem: the defaults (4 MB each) merge every
      // few hundred posts in small rounds, the most of the server's work in an import. Bigger rounds cost far less per
      // entry, and settle() merges the rest at the end. lz4 compresses the bodies (articles, revisions) with a
      // fraction of pglz's CPU (when the server has it); other writes keep the server's default, and both are read alike.
      await sql`select set_config('gin_pending_list_limit', '65536', true), set_config('work_mem', '65536', true),
        (select set_config('default_toast_compression', 'lz4', true) from pg_settings
          where name = 'default_toast_compression' and 'lz4' = any(enumvals))`.execute(this.db);
    }
    // A write as the transaction's first statement takes SQLite's write lock (waiting for another writer) before any read.
    else await sql`update import_sources set revision = revision where 0`.execute(this.db);
  }

  async settle(): Promise<void> {
    if (this.dialect !== 'postgres') return;
    try {
      await sql`select gin_clean_pending_list('search_docs_terms'::regclass), gin_clean_pending_list('draft_search_docs_terms'::regclass)`.execute(this.db);
    } catch {
      // Only an index's owner may merge it now; otherwise autovacuum or the next insert does: the import is done either way.
    }
  }

  async findSources(keys: readonly string[]): Promise<Map<string, ImportSource>> {
    const out = new Map<string, ImportSource>();
    for (const part of chunks(keys, 500)) {
      const rows = await this.db
        .selectFrom('import_sources')
        .select(['source_key', 'article_id', 'revision', 'source_status'])
        .where('source_key', 'in', part)
        .execute();
      for (const r of rows) out.set(r.source_key, { key: r.source_key, articleId: r.article_id, revision: r.revision, sourceStatus: r.source_status });
    }
    return out;
  }

  async insertArticles(articles: readonly ImportedArticle[]): Promise<number[]> {
    if (articles.length === 0) return [];
    if (this.dialect === 'sqlite') {
      // The ids are given, not returned, so RETURNING's order never matters: the transaction holds SQLite's write lock
      // (lock() is its first statement), so nobody takes an id between this read and the inserts. AUTOINCREMENT never
      // reuses an id, hence the sequence beside max(id); inserting past it moves it on.
      const { rows } = await sql<{ last: number }>`select max(coalesce((select seq from sqlite_sequence where name = 'articles'), 0),
        coalesce((select max(id) from articles), 0)) as last`.execute(this.db);
      const first = Number(rows[0]!.last) + 1;
      const values = articles.map((a, i) => ({ ...columns(a), id: first + i }));
      for (const part of chunks(values, 100)) await this.db.insertInto('articles').values(part).execute();
      return values.map((v) => v.id);
    }
    // PostgreSQL: the ids are taken from the sequence first, so each row's id is known whatever order RETURNING uses.
    const { rows } = await sql<{
      id: number;
    }>`select nextval(pg_get_serial_sequence('articles', 'id'))::int as id from generate_series(1, ${articles.length})`.execute(this.db);
    const ids = rows.map((r) => Number(r.id));
    const values = articles.map((a, i) => ({ ...columns(a), id: ids[i]! }));
    for (const part of chunks(values, 100)) await this.db.insertInto('articles').values(part).execute();
    return ids;
  }

  async addTags(tags: readonly { articleId: number; names: readonly string[] }[]): Promise<void> {
    const names = [...new Set(tags.flatMap((t) => t.names))];
    if (names.length === 0) return;
    const idByName = new Map<string, number>();
    if (this.dialect === 'postgres') {
      // The new names inserted and every name's id read in one statement: the insert's rows come from RETURNING, the
      // existing ones from the table (which, in the same statement, does not yet show the inserted ones: no name twice).
      const { rows } = await sql<{ id: number; name: string }>`with input as (${unnested(
        [['name', 'text']],
        names.map((n) => [n]),
      )}),
        added as (insert into tags (name) select name from input on conflict (name) do nothing returning id, name)
        select id, name from added union all select t.id, t.name from tags t join input i on i.name = t.name`.execute(this.db);
      for (const t of rows) idByName.set(t.name, Number(t.id));
      // A name another transaction added meanwhile (committed after this statement's snapshot) is read now.
      const late = names.filter((n) => !idByName.has(n));
      if (late.length > 0)
        for (const t of await this.db.selectFrom('tags').select(['id', 'name']).where('name', 'in', late).execute()) idByName.set(t.name, t.id);
      const links = tags.flatMap((t) => t.names.map((name, position) => [t.articleId, idByName.get(name)!, position] as const));
      await sql`insert into article_tags (article_id, tag_id, position) ${unnested(
        [
          ['article_id', 'int'],
          ['tag_id', 'int'],
          ['position', 'int'],
        ],
        links,
      )}`.execute(this.db);
      return;
    }
    for (const part of chunks(names)) {
      await this.db
        .insertInto('tags')
        .values(part.map((name) => ({ name })))
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    }
    for (const part of chunks(names, 500)) {
      for (const t of await this.db.selectFrom('tags').select(['id', 'name']).where('name', 'in', part).execute()) idByName.set(t.name, t.id);
    }
    const rows = tags.flatMap((t) => t.names.map((name, position) => ({ article_id: t.articleId, tag_id: idByName.get(name)!, position })));
    for (const part of chunks(rows)) await this.db.insertInto('article_tags').values(part).execute();
  }

  async addRevisions(revisions: readonly NewRevision[]): Promise<void> {
    const rows = revisions.map(revisionRow);
    for (const part of chunks(rows, 100)) await this.db.insertInto('revisions').values(part).execute();
  }

  async record(events: readonly NewAuditEvent[]): Promise<void> {
    const rows = events.map(auditRow);
    if (this.dialect === 'postgres') {
      if (rows.length === 0) return;
      await sql`insert into audit_events (at, actor_id, action, subject_type, subject_id, detail) ${unnested(
        [
          ['at', 'bigint'],
          ['actor_id', 'int'],
          ['action', 'text'],
          ['subject_type', 'text'],
          ['subject_id', 'text'],
          ['detail', 'text'],
        ],
        rows.map((r) => [r.at, r.actor_id, r.action, r.subject_type, r.subject_id, r.detail]),
      )}`.execute(this.db);
      return;
    }
    for (const part of chunks(rows)) await this.db.insertInto('audit_events').values(part).execute();
  }

  async saveSources(sources: readonly ImportSource[], at: number): Promise<void> {
    const rows = sources.map((s) => ({
      source_key: s.key,
      article_id: s.articleId,
      revision: s.revision,
      imported_at: at,
      source_status: s.sourceStatus ?? null,
    }));
    if (this.dialect === 'postgres') {
      if (rows.length === 0) return;
      await sql`insert into import_sources (source_key, article_id, revision, imported_at, source_status) ${unnested(
        [
          ['source_key', 'text'],
          ['article_id', 'int'],
          ['revision', 'int'],
          ['imported_at', 'bigint'],
          ['source_status', 'text'],
        ],
        rows.map((r) => [r.source_key, r.article_id, r.revision, r.imported_at, r.source_status]),
      )}
        on conflict (source_key) do update set article_id = excluded.article_id, revision = excluded.revision,
          imported_at = excluded.imported_at, source_status = excluded.source_status`.execute(this.db);
      return;
    }
    for (const part of chunks(rows)) {
      await this.db
        .insertInto('import_sources')
        .values(part)
        .onConflict((oc) =>
          oc.column('source_key').doUpdateSet((eb) => ({
            article_id: eb.ref('excluded.article_id'),
            revision: eb.ref('excluded.revision'),
            imported_at: eb.ref('excluded.imported_at'),
            source_status: eb.ref('excluded.source_status'),
          })),
        )
        .execute();
    }
  }

  async addOldUrls(urls: readonly { path: string; articleId: number }[], at: number): Promise<string[]> {
    const added: string[] = [];
    const rows = urls.map((u) => ({ path: u.path, article_id: u.articleId, created_at: at }));
    if (this.dialect === 'postgres') {
      if (rows.length === 0) return added;
      const { rows: done } = await sql<{ path: string }>`insert into old_urls (path, article_id, created_at) ${unnested(
        [
          ['path', 'text'],
          ['article_id', 'int'],
          ['created_at', 'bigint'],
        ],
        rows.map((r) => [r.path, r.article_id, r.created_at]),
      )}
        on conflict (path) do nothing returning path`.execute(this.db);
      return done.map((r) => r.path);
    }
    for (const part of chunks(rows)) {
      const done = await this.db
        .insertInto('old_urls')
        .values(part)
        .onConflict((oc) => oc.column('path').doNothing())
        .returning('path')
        .execute();
      added.push(...done.map((r) => r.path));
    }
    return added;
  }

  async oldUrlOwners(paths: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const part of chunks(paths, 500)) {
      for (const r of await this.db.selectFrom('old_urls').select(['path', 'article_id']).where('path', 'in', part).execute()) out.set(r.path, r.article_id);
    }
    return out;
  }

  async findOldUrl(path: string): Promise<OldUrlTarget | undefined> {
    const row = await this.db
      .selectFrom('old_urls')
      .innerJoin('articles', 'articles.id', 'old_urls.article_id')
      .select(['old_urls.article_id', 'articles.status', 'articles.deleted_at'])
      .where('old_urls.path', '=', path)
      .executeTakeFirst();
    if (!row) return undefined;
    return { articleId: row.article_id, status: row.deleted_at === null ? (row.status as ArticleStatus) : undefined };
  }
}
