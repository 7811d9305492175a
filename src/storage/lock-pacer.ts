/**
 * SQLite's busy handler (a connection with a busy timeout, as the server's is) sleeps between its tries for the write
 * lock, up to 100 ms at a time. A long job that takes the lock again within a turn of the event loop after each short
 * transaction (a rebuild's batches, the merge steps after them) leaves gaps no other process wakes up in: the server's
 * publish then waits for the whole job and fails at its busy timeout.
 */
export const OTHER_WRITER_RETRY_MS = 100;
/** A free gap this long is one another process's busy handler wakes up in. */
const FREE_GAP_MS = OTHER_WRITER_RETRY_MS + 10;

/**
 * Paces a job's write transactions so that another process's writer waits at most about `holdMs` (plus one
 * transaction): once the lock has been taken with no free gap of a busy handler's retry for `holdMs`, the job leaves
 * it free that long before taking it again. Gaps the job makes anyway (reading, waiting for a worker) count.
 */
export class LockPacer {
  /** When the current stretch of holding began (the end of the last free gap long enough). */
  private stretchFrom: number | undefined;
  private lastRelease = Number.NEGATIVE_INFINITY;
  /** How long the job has paused in all. */
  paused = 0;

  constructor(
    private readonly holdMs = 1000,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Before taking the lock. */
  async acquire(): Promise<void> {
    const now = this.now();
    if (this.stretchFrom === undefined || now - this.lastRelease >= FREE_GAP_MS) {
      this.stretchFrom = now;
      return;
    }
    if (now - this.stretchFrom < this.holdMs) return;
    const wait = FREE_GAP_MS - (now - this.lastRelease);
    await this.sleep(wait);
    this.paused += wait;
    this.stretchFrom = this.now();
  }

  /** After releasing it (commit or rollback). */
  release(): void {
    this.lastRelease = this.now();
  }

  /** Runs `fn` between acquire and release. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
