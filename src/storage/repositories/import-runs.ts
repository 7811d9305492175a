import SQLite from 'better-sqlite3';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ImportReport } from '../../domain/imports/report.ts';
import type * as Port from '../../domain/imports/runs.ts';
import type { ImportRun, ImportRunError, ImportRunProgress, NewImportRun } from '../../domain/imports/runs.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB, ImportRunTable } from '../schema.ts';

/** The session advisory lock the process running an import holds on PostgreSQL ('inkr' in ASCII; no other lock's key). */
const OWNER_LOCK = 0x696e6b72;

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
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect = 'sqlite',
    /** The SQLite database file (none in memory): the owner's lock is a file beside it. */
    private readonly sqliteFile?: string,
  ) {}

  async holdOwner(): Promise<() => Promise<void>> {
    if (this.dialect === 'postgres') {
      // A connection of its own for the run, holding the lock until released (a process that dies lets go of both).
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let taken!: () => void;
      const acquired = new Promise<void>((resolve) => (taken = resolve));
      const holding = this.db.connection().execute(async (conn) => {
        await sql`select pg_try_advisory_lock(${OWNER_LOCK})`.execute(conn);
        taken();
        await released;
        await sql`select pg_advisory_unlock_all()`.execute(conn);
      });
      // A failure to take it rejects the race; one while letting go is no failure of the run.
      holding.catch(() => undefined);
      await Promise.race([acquired, holding]);
      return async () => {
        release();
        await holding.catch(() => undefined);
      };
    }
    if (!this.sqliteFile) return async () => undefined;
    const lock = new SQLite(this.ownerLockFile(this.sqliteFile), { timeout: 0 });
    try {
      lock.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      lock.close();
      // Held by a process whose run another one took for dead: this run goes on without the lock (the heartbeat decides).
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return async () => undefined;
      throw err;
    }
    return async () => {
      lock.exec('ROLLBACK');
      lock.close();
    };
  }

  async ownerAlive(): Promise<boolean | undefined> {
    if (this.dialect === 'postgres') {
      return this.db.connection().execute(async (conn) => {
        const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${OWNER_LOCK}) as ok`.execute(conn);
        if (!rows[0]?.ok) return true;
        await sql`select pg_advisory_unlock(${OWNER_LOCK})`.execute(conn);
        return false;
      });
    }
    if (!this.sqliteFile) return undefined;
    const probe = new SQLite(this.ownerLockFile(this.sqliteFile), { timeout: 0 });
    try {
      probe.exec('BEGIN IMMEDIATE');
      probe.exec('ROLLBACK');
      return false;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
      throw err;
    } finally {
      probe.close();
    }
  }

  private ownerLockFile(file: string): string {
    return `${file}-import-run.lock`;
  }

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
