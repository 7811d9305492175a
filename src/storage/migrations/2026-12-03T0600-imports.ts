import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/**
 * Imports from the newsroom (the 导入 page) and re-imports that follow the source's status.
 *
 * `import_sources.source_status`: the post's status at the source when it was last imported (WordPress's publish,
 * draft, pending, future, private, trash, or `password` for a password-protected post; feeds `publish`), so a later
 * import tells a status the *source* changed (draft → publish, publish → trash) from one the newsroom changed. Rows of
 * earlier imports have none (null): the article's own status stands in for it.
 *
 * `import_runs`: the imports started from the newsroom, one row each, kept as their history: who, which file, the
 * options, progress (written by the process running it, with a heartbeat), and at the end the report or the refusal.
 * `running` is 1 while the run is under way and null after: its unique index lets one run at a time exist per install,
 * across processes and machines, on both stores (nulls never collide). A run whose heartbeat stopped (the process died)
 * is marked `interrupted` by whoever looks next.
 */
export async function up(db: Kysely<unknown>, { id, pk, bigint }: MigrationContext): Promise<void> {
  await db.schema.alterTable('import_sources').addColumn('source_status', 'text').execute();
  await db.schema
    .createTable('import_runs')
    .ifNotExists()
    .addColumn('id', id, pk)
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_bytes', bigint, (c) => c.notNull())
    .addColumn('format', 'text')
    // A JSON object: dryRun, update, createAuthors.
    .addColumn('options', 'text', (c) => c.notNull())
    // running, done, refused, failed, interrupted
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('running', 'integer')
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer')
    // Items (reading) or posts (writing) a second in the current pass, measured by the running process.
    .addColumn('rate', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', bigint, (c) => c.notNull())
    .addColumn('heartbeat_at', bigint, (c) => c.notNull())
    .addColumn('finished_at', bigint)
    // JSON: the importer's report (done), or {message, line, column} (refused, failed, interrupted).
    .addColumn('report', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('import_runs_one_running').ifNotExists().unique().on('import_runs').column('running').execute();
}
