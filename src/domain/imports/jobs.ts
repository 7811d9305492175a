import { rm } from 'node:fs/promises';
import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { conflict, DomainError, notFound } from '../errors.ts';
import { authorize } from '../policy.ts';
import type { SpoolWatch } from '../media/files.ts';
import { detectFormat, readSource, SourceCheck, type SourceSite } from '../../transfer/source.ts';
import { ImportFileError } from '../../transfer/xml.ts';
import type { ImportProgress, ImportReport } from './report.ts';
import type { ImportRun, ImportRunError, ImportRunOptions, ImportRunProgress } from './runs.ts';
import { importArchive } from './service.ts';

/**
 * Imports started from the newsroom (the 导入 page): the uploaded file, already spooled to a temporary file in the
 * data folder, is imported in the background of the process that received it, by the same `importArchive` as the
 * CLI. One run at a time per install: `import_runs`' unique index on `running` decides between processes and
 * machines, and a second start answers 409 `import_running`. The running process writes progress (and a heartbeat)
 * to the run's row, so any process can answer `GET /imports/:id`; a run whose heartbeat stopped (the server was
 * restarted or killed) is marked `interrupted` by the next look. The importer is all or nothing per file only before
 * it writes (the first pass refuses a malformed file with nothing written); its writing pass commits batch by batch,
 * so an interrupted run leaves the batches it wrote, and importing the same file again adds the rest (a repeat adds
 * nothing twice).
 */

/** How often the running process writes its progress at most, and its heartbeat at least. */
const PROGRESS_MS = 1000;
const HEARTBEAT_MS = 5000;
/** A running run not heard from for this long belongs to a process that ended. */
const STALE_MS = 30_000;
/** Runs the history shows. */
const HISTORY = 50;

const INTERRUPTED: ImportRunError = {
  message: 'the server stopped during the import (导入中断：服务器在导入过程中停止)',
};

/** A run with who started it. */
export interface ImportRunView extends ImportRun {
  by: { username: string; displayName: string } | null;
}

export interface UploadedFile {
  /** A temporary file this service removes when the run ends (or is refused). */
  path: string;
  bytes: number;
  name: string;
  /** The format an UploadCheck found the whole file to be (well-formed); else it is told from the file at the start. */
  format?: SourceSite['format'];
}

export interface ImportJobsOptions {
  /** Told of runs that failed for a reason other than the file (our own errors). */
  log?: { error(obj: object, msg: string): void };
  progressMs?: number;
  heartbeatMs?: number;
  staleMs?: number;
}

/** A file the import refuses before any run starts: not XML of a format we read (with where, when known). */
export const refusedFile = (err: ImportFileError) =>
  new DomainError('invalid', 'import_refused', err.message, 'file', undefined, {
    ...(err.line === undefined ? {} : { line: err.line, column: err.column ?? 1 }),
  });

const INKSTONE_ARCHIVE = 'an Inkstone archive (export or backup) is imported with the command line: inkstone import FILE (Inkstone 归档请用命令行导入)';

/**
 * Checks an upload while it streams to its temporary file, with the importer's own detection and parser: a file that
 * is not a format the page imports, or not well-formed (truncated, bytes not in its encoding, a DOCTYPE with entities,
 * a record past the bounds), is refused with `import_refused` (and its line and column) by the upload request itself,
 * at the chunk where it shows, before any run exists. `format` is known once the file is whole.
 */
export class UploadCheck implements SpoolWatch {
  private readonly source = new SourceCheck();
  format: SourceSite['format'] | undefined;

  chunk(bytes: Buffer): void {
    this.refusing(() => {
      this.source.write(bytes);
      if (this.source.known === 'inkstone') throw new ImportFileError(INKSTONE_ARCHIVE);
    });
  }

  end(): void {
    this.refusing(() => {
      const format = this.source.end();
      if (format === 'inkstone') throw new ImportFileError(INKSTONE_ARCHIVE);
      this.format = format;
    });
  }

  private refusing(step: () => void): void {
    try {
      step();
    } catch (err) {
      throw err instanceof ImportFileError ? refusedFile(err) : err;
    }
  }
}

export class ImportJobs {
  private current: { id: number; abort: AbortController; finished: Promise<void> } | undefined;
  private closed = false;
  private readonly progressMs: number;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;

  constructor(
    private readonly ctx: Ctx,
    private readonly options: ImportJobsOptions = {},
  ) {
    this.progressMs = options.progressMs ?? PROGRESS_MS;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.staleMs = options.staleMs ?? STALE_MS;
  }

  /** Runs whose process ended are interrupted; then: the run under way, if any. */
  private async sweep(): Promise<ImportRun | undefined> {
    const running = await this.ctx.store.importRuns.running();
    const now = this.ctx.clock.now();
    // A read first: the write (and SQLite's write lock) only when a run has gone quiet. This process's own run is alive
    // however long its heartbeat was held up (a long synchronous step, a slow disk, a busy machine): never marked here.
    if (!running || running.heartbeatAt >= now - this.staleMs || running.id === this.current?.id) return running;
    // The heartbeat is a timestamp written by a timer that a busy process may starve: the lock its process holds for
    // the run says whether that process lives.
    if (await this.ctx.store.importRuns.ownerAlive()) return running;
    await this.ctx.store.importRuns.interruptStale(now - this.staleMs, now, INTERRUPTED);
    return this.ctx.store.importRuns.running();
  }

  /**
   * Before a file is received: the caller may import, and no import runs now (409), so nobody uploads hundreds of
   * megabytes to be told so afterwards. `start` decides again, atomically.
   */
  async admit(actor: Actor): Promise<void> {
    authorize(actor, 'import.run');
    const running = await this.sweep();
    if (running) throw runningError(running);
  }

  /** Starts importing an uploaded file in the background; the run as it starts. The file is this service's from here. */
  async start(actor: Actor, file: UploadedFile, options: ImportRunOptions): Promise<ImportRunView> {
    let handedOver = false;
    try {
      authorize(actor, 'import.run');
      if (this.closed) throw conflict('import_running', 'The server is stopping; start the import again in a moment');
      let format: Awaited<ReturnType<typeof detectFormat>>;
      try {
        // Checked on its way in (UploadCheck), or told here from its first bytes.
        format = file.format ?? (await detectFormat(file.path));
      } catch (err) {
        if (err instanceof ImportFileError) throw refusedFile(err);
        throw err;
      }
      if (format === 'inkstone') throw refusedFile(new ImportFileError(INKSTONE_ARCHIVE));
      const running = await this.sweep();
      if (running) throw runningError(running);
      // The run's lock is this process's before its row exists: a running row whose lock nobody holds is a dead run.
      const releaseOwner = await this.ctx.store.importRuns.holdOwner();
      let id: number | undefined;
      try {
        id = await this.ctx.store.importRuns.start({
          accountId: actor.id,
          fileName: cleanName(file.name),
          fileBytes: file.bytes,
          format,
          options,
          startedAt: this.ctx.clock.now(),
        });
      } finally {
        if (id === undefined) await releaseOwner();
      }
      // Another process started one between the look and the insert.
      if (id === undefined) throw runningError(await this.ctx.store.importRuns.running());
      const abort = new AbortController();
      handedOver = true;
      const finished = this.run(id, actor, file, format, options, abort.signal, releaseOwner).finally(() => {
        if (this.current?.id === id) this.current = undefined;
      });
      this.current = { id, abort, finished };
      return (await this.named([(await this.ctx.store.importRuns.find(id))!]))[0]!;
    } finally {
      if (!handedOver) await rm(file.path, { force: true });
    }
  }

  private async run(
    id: number,
    actor: Actor,
    file: UploadedFile,
    format: SourceSite['format'],
    options: ImportRunOptions,
    signal: AbortSignal,
    releaseOwner: () => Promise<void>,
  ) {
    const runs = this.ctx.store.importRuns;
    let progress: ImportRunProgress = { phase: 'reading', done: 0, total: null, rate: 0 };
    let phaseStarted = performance.now();
    let lastPhase: ImportProgress['phase'] = 'reading';
    let lastReading = phaseStarted;
    let written = 0;
    let writing: Promise<unknown> = Promise.resolve();
    // Another process took the run for dead (its heartbeat was held up past the grace) and marked it interrupted, and may
    // have started an import of its own: this one stops at its next record instead of writing on beside it.
    const taken = new AbortController();
    const stop = AbortSignal.any([signal, taken.signal]);
    // One write at a time, in order; a failed one (a busy database) is not the import's failure.
    const save = () => {
      written = Date.now();
      const p = progress;
      writing = writing
        .then(() => runs.progress(id, p, this.ctx.clock.now()))
        .then((still) => {
          if (!still) taken.abort();
        })
        .catch(() => undefined);
    };
    const beat = setInterval(() => {
      if (Date.now() - written >= this.heartbeatMs / 2) save();
    }, this.heartbeatMs);
    beat.unref();
    const onProgress = (p: ImportProgress) => {
      if (p.phase !== lastPhase) {
        lastPhase = p.phase;
        // The writing pass began at the reading pass's last word (the whole file read).
        phaseStarted = lastReading;
      }
      if (p.phase === 'reading') lastReading = performance.now();
      const seconds = Math.max(0.001, (performance.now() - phaseStarted) / 1000);
      progress = { phase: p.phase, done: p.done, total: p.total ?? progress.total, rate: p.done / seconds };
      if (Date.now() - written >= this.progressMs) save();
    };
    let end: { status: 'done' | 'refused' | 'failed' | 'interrupted'; report?: ImportReport; error?: ImportRunError };
    try {
      const report = await importArchive(this.ctx, actor, format, () => abortable(readSource(file.path, format, stop), stop), {
        dryRun: options.dryRun,
        update: options.update,
        createAuthors: options.createAuthors,
        progress: onProgress,
        signal: stop,
      });
      end = { status: 'done', report };
      progress = { ...progress, phase: 'finished', done: report.posts, total: report.posts };
    } catch (err) {
      if (stop.aborted) end = { status: 'interrupted', error: INTERRUPTED };
      else if (err instanceof ImportFileError) {
        end = { status: 'refused', error: { message: err.reason, ...(err.line === undefined ? {} : { line: err.line, column: err.column ?? 1 }) } };
      } else {
        const message = err instanceof Error ? err.message : String(err);
        if (!(err instanceof DomainError)) this.options.log?.error({ err, importRun: id }, 'import failed');
        end = { status: 'failed', error: { message: message.slice(0, 2000) } };
      }
      // An interrupted run keeps the phase it stopped in and what it had written (the page says how far it got).
      if (end.status !== 'interrupted') progress = { ...progress, phase: 'finished' };
    } finally {
      clearInterval(beat);
      await writing;
      await releaseOwner().catch(() => undefined);
      await rm(file.path, { force: true });
    }
    if (taken.signal.aborted) {
      // The row was ended by the process that marked it; what this one wrote until it noticed stays.
      this.options.log?.error({ importRun: id, progress }, 'import stopped: another process marked it interrupted');
      return;
    }
    await runs
      .finish(id, { ...end, progress }, this.ctx.clock.now())
      .catch((err: unknown) => this.options.log?.error({ err, importRun: id }, 'import run not recorded'));
  }

  async get(actor: Actor, id: number): Promise<ImportRunView> {
    authorize(actor, 'import.run');
    await this.sweep();
    const run = await this.ctx.store.importRuns.find(id);
    if (!run) throw notFound('Import');
    return (await this.named([run]))[0]!;
  }

  /** The newest runs first (the history). */
  async list(actor: Actor): Promise<ImportRunView[]> {
    authorize(actor, 'import.run');
    await this.sweep();
    return this.named(await this.ctx.store.importRuns.list(HISTORY));
  }

  private async named(runs: ImportRun[]): Promise<ImportRunView[]> {
    const ids = [...new Set(runs.map((r) => r.accountId).filter((id): id is number => id !== null))];
    const people = new Map<number, { username: string; displayName: string }>();
    for (const id of ids) {
      const a = await this.ctx.store.accounts.findById(id);
      if (a) people.set(id, { username: a.username, displayName: a.displayName });
    }
    return runs.map((r) => ({ ...r, by: (r.accountId !== null && people.get(r.accountId)) || null }));
  }

  /** Waits for the run of this process, if any (tests). */
  async idle(): Promise<void> {
    await this.current?.finished;
  }

  /**
   * The server stops: the run of this process stops reading (the batch being written is finished) and is recorded as
   * interrupted; what its batches wrote stays, and importing the file again adds the rest.
   */
  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    if (!current) return;
    current.abort.abort();
    await current.finished;
  }
}

/** The records until the signal aborts (the file may have been read ahead of the importer: stop at the next record). */
async function* abortable<T>(records: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  for await (const r of records) {
    if (signal.aborted) throw new Error('import interrupted');
    yield r;
  }
}

function runningError(run: ImportRun | undefined) {
  return new DomainError(
    'conflict',
    'import_running',
    'Another import is running; wait for it to finish',
    undefined,
    undefined,
    run ? { running: run.id } : {},
  );
}

/** The uploaded file's name as shown in the history: its last part, printable, at most 200 characters. */
function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return [...(clean || 'import.xml')].slice(0, 200).join('');
}
