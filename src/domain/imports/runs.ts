import type { ImportReport } from './report.ts';

/** An import started from the newsroom's 导入 page (table import_runs): its progress, then its report or refusal. */
export type ImportRunStatus = 'running' | 'done' | 'refused' | 'failed' | 'interrupted';

export interface ImportRunOptions {
  dryRun: boolean;
  update: boolean;
  createAuthors: boolean;
}

/** Why a run ended without a report: the file's refusal (with where), an error, or the process that ended. */
export interface ImportRunError {
  message: string;
  line?: number;
  column?: number;
}

export interface ImportRun {
  id: number;
  accountId: number | null;
  fileName: string;
  fileBytes: number;
  format: string | null;
  options: ImportRunOptions;
  status: ImportRunStatus;
  /** reading: the first pass (validating the whole file); writing: the posts, batch by batch; finished. */
  phase: 'reading' | 'writing' | 'finished';
  /** Items read (reading) or posts handled (writing). */
  done: number;
  /** Posts in the file, once the first pass counted them. */
  total: number | null;
  /** Per second in the current pass. */
  rate: number;
  startedAt: number;
  heartbeatAt: number;
  finishedAt: number | null;
  report: ImportReport | null;
  error: ImportRunError | null;
}

export interface NewImportRun {
  accountId: number;
  fileName: string;
  fileBytes: number;
  format: string;
  options: ImportRunOptions;
  startedAt: number;
}

export interface ImportRunProgress {
  phase: ImportRun['phase'];
  done: number;
  total: number | null;
  rate: number;
}

/** The storage of import runs (storage/repositories/import-runs.ts). */
export interface ImportRunRepository {
  /** A new running run; undefined when another is running (one at a time per install, kept by a unique index). */
  start(run: NewImportRun): Promise<number | undefined>;
  /** The run under way, if any. */
  running(): Promise<ImportRun | undefined>;
  /**
   * Taken by the process that runs an import, for the run: a lock the database lets go of when that process ends (a
   * PostgreSQL session advisory lock; on SQLite an exclusive lock on a file beside the database). Resolves with its
   * release.
   */
  holdOwner(): Promise<() => Promise<void>>;
  /**
   * Whether a process holds the run's lock now: a run whose heartbeat went quiet while its process lives (a long step
   * held it up) is not dead. Undefined where there is no such lock (SQLite in memory): the heartbeat alone decides.
   */
  ownerAlive(): Promise<boolean | undefined>;
  /** Marks running runs whose heartbeat is older than `staleBefore` interrupted (their process ended); how many. */
  interruptStale(staleBefore: number, now: number, error: ImportRunError): Promise<number>;
  /** Progress and heartbeat of a running run; false when it is no longer running (another process marked it interrupted). */
  progress(id: number, progress: ImportRunProgress, now: number): Promise<boolean>;
  /** Ends a running run with its report or error. */
  finish(
    id: number,
    end: { status: Exclude<ImportRunStatus, 'running'>; report?: ImportReport; error?: ImportRunError; progress: ImportRunProgress },
    now: number,
  ): Promise<void>;
  find(id: number): Promise<ImportRun | undefined>;
  /** The newest runs first. */
  list(limit: number): Promise<ImportRun[]>;
}
