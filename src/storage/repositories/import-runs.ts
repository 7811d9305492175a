import type { Kysely, Selectable } from 'kysely';
import type { ImportReport } from '../../domain/imports/report.ts';
import type * as Port from '../../domain/imports/runs.ts';
import type { ImportRun, ImportRunError, ImportRunProgress, NewImportRun } from '../../domain/imports/runs.ts';
import type { DB, ImportRunTable } from '../schema.ts';

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toRun(r: Selectable<ImportRunTable>): ImportRun {
  return {
    id: r.id,
    accountId: r.account_id,
    fileName: r.file_name,
    fileBytes: Number(r.file_bytes),
    format: r.format,
    options: JSON.parse(r.options) as ImportRun['options'],
    status: r.status as ImportRun['status'],
    phase: r.phase as ImportRun['phase'],
    done: r.done,
    total: r.total,
    rate: r.rate,
    startedAt: Number(r.started_at),
    heartbeatAt: Number(r.heartbeat_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    report: parse<ImportReport>(r.report),
    error: parse<ImportRunError>(r.error),
  };
}

const progressColumns = (p: ImportRunProgress) => ({ phase: p.phase, done: p.done, total: p.total, rate: Math.round(p.rate) });

export class ImportRunRepository implements Port.ImportRunRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async start(run: NewImportRun): Promise<number | undefined> {
    const row = await this.db
      .insertInto('import_runs')
      .values({
        account_id: run.accountId,
        file_name: run.fileName,
        file_bytes: run.fileBytes,
        format: run.format,
        options: JSON.stringify(run.options),
        status: 'running',
        running: 1,
        phase: 'reading',
        started_at: run.startedAt,
        heartbeat_at: run.startedAt,
      })
      // The unique index on `running`: a second run while one runs inserts nothing.
      .onConflict((oc) => oc.column('running').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  async running(): Promise<ImportRun | undefined> {
    const row = await this.db.selectFrom('import_runs').selectAll().where('running', '=', 1).executeTakeFirst();
    return row && toRun(row);
  }

  async interruptStale(staleBefore: number, now: number, error: ImportRunError): Promise<number> {
    const result = await this.db
      .updateTable('import_runs')
      .set({ status: 'interrupted', running: null, finished_at: now, error: JSON.stringify(error) })
      .where('running', '=', 1)
      .where('heartbeat_at', '<', staleBefore)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async progress(id: number, progress: ImportRunProgress, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('import_runs')
      .set({ ...progressColumns(progress), heartbeat_at: now })
      .where('id', '=', id)
      .where('running', '=', 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async finish(
    id: number,
    end: { status: Exclude<ImportRun['status'], 'running'>; report?: ImportReport; error?: ImportRunError; progress: ImportRunProgress },
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('import_runs')
      .set({
        ...progressColumns(end.progress),
        status: end.status,
        running: null,
        heartbeat_at: now,
        finished_at: now,
        report: end.report ? JSON.stringify(end.report) : null,
        error: end.error ? JSON.stringify(end.error) : null,
      })
      .where('id', '=', id)
      .where('running', '=', 1)
      .execute();
  }

  async find(id: number): Promise<ImportRun | undefined> {
    const row = await this.db.selectFrom('import_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async list(limit: number): Promise<ImportRun[]> {
    const rows = await this.db.selectFrom('import_runs').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRun);
  }
}
