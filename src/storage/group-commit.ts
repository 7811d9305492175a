import type { Dialect } from './migrations/index.ts';

interface Pending<In, Out> {
  item: In;
  resolve(outcome: Out): void;
  reject(err: unknown): void;
}

/**
 * Group commit: the items (votes, ballots) that arrive while a transaction runs are written together by the next one.
 * SQLite has one writer, so one batch at a time; PostgreSQL runs a few at once (batches for different subjects need not
 * wait for each other; the writer's own locks order those of one subject). `write` is one transaction for a batch,
 * answering each item in order; PostgreSQL's lock-cycle aborts (deadlock, serialization) are retried a few times, and
 * a batch that fails otherwise is written item by item, so one bad item never fails the others.
 */
export class GroupCommit<In, Out> {
  private queue: Pending<In, Out>[] = [];
  private running = 0;
  private readonly maxRunning: number;

  constructor(
    dialect: Dialect,
    private readonly write: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch: number,
  ) {
    this.maxRunning = dialect === 'sqlite' ? 1 : 4;
  }

  add(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running < this.maxRunning) {
        this.running++;
        // After the pending I/O callbacks, so requests already received join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.retried(batch.map((p) => p.item));
        batch.forEach((p, i) => {
          p.resolve(outcomes[i]!);
        });
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        for (const p of batch) {
          try {
            p.resolve((await this.retried([p.item]))[0]!);
          } catch (e) {
            p.reject(e);
          }
        }
      }
    }
    this.running--;
  }

  private async retried(items: In[]): Promise<Out[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(items);
      } catch (err) {
        // PostgreSQL may end a lock cycle (with a newsroom review, a close) by aborting one side: tried again.
        const code = (err as { code?: unknown }).code;
        if (attempt >= 5 || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }
}
