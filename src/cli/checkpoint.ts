import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Where a stopped `inkstone reindex` goes on: which index, and the last article id it finished. */
export interface ReindexCheckpoint {
  phase: 'published' | 'unpublished';
  afterId: number;
}

export function readCheckpoint(file: string): ReindexCheckpoint | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const c = data as Partial<ReindexCheckpoint>;
  const valid = (c.phase === 'published' || c.phase === 'unpublished') && Number.isSafeInteger(c.afterId) && (c.afterId ?? -1) >= 0;
  return valid ? { phase: c.phase!, afterId: c.afterId! } : undefined;
}

/** Written whole or not at all (a rename): a crash mid-write leaves the previous checkpoint. */
export function writeCheckpoint(file: string, checkpoint: ReindexCheckpoint): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(checkpoint));
  renameSync(`${file}.tmp`, file);
}

export function clearCheckpoint(file: string): void {
  rmSync(file, { force: true });
}
