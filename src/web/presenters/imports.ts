import type { ImportRunView } from '../../domain/imports/jobs.ts';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/**
 * An import run of the 导入 page: its progress while running, then the importer's report (the CLI's, field for field)
 * or why it ended without one (`error`: the file's refusal with line and column, a failure, an interruption).
 */
export function importRunOut(r: ImportRunView) {
  return {
    id: r.id,
    status: r.status,
    fileName: r.fileName,
    fileBytes: r.fileBytes,
    format: r.format,
    options: r.options,
    progress: { phase: r.phase, done: r.done, total: r.total, rate: r.rate },
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    by: r.by,
    report: r.report,
    error: r.error,
  };
}
