import { sql } from 'kysely';
import type { Database } from './database.ts';

/**
 * Which server a reader-side read goes to, when DATABASE_READ_URL names a streaming replica of the primary.
 *
 * The rule that keeps a correction from being lost: a committed change that readers can see purges the page cache
 * (here, or in another app process that broadcast it); from that moment reads go to the primary until the primary's
 * WAL insert position, read *after* the purge was heard (so after the commit), is known, and the replica has replayed
 * at least that far. A page rendered after a purge has therefore read the change, from either server; a render that
 * began before the purge is kept out of the cache by its generation counter. Besides, the replica serves only while
 * it has replayed what the primary had `maxLagMs` ago (a paused or broken replica falls back within about that time
 * even when nothing purges), and not while it is unreachable or failing (`failed`).
 *
 * Nothing here waits: `useReplica` answers from what it knows and starts a check (at most one at a time, at most one
 * every `checkMs` while the replica is behind, every `healthMs` while it serves) for the next reads.
 */
export interface ReplicaOptions {
  /** The replica serves only while it has replayed what the primary had this long ago. */
  maxLagMs: number;
  /** While the replica is behind, its replay position is asked again at most this often. */
  checkMs?: number;
  /** While it serves, it is asked at least this often (so a replica that stopped is noticed). */
  healthMs?: number;
  /** After a failed check the replica is left alone this long. */
  retryMs?: number;
  /** A check that takes longer counts as failed. */
  timeoutMs?: number;
  now?: () => number;
  /** Trouble that fails no request (the replica down, behind, back), at most once a minute per kind. */
  warn?: (detail: object, message: string) => void;
}

export type FallbackReason = 'behind' | 'down' | 'error';

export interface ReplicaStats {
  /** Reads the replica answered / the primary answered instead. */
  replicaReads: number;
  primaryReads: number;
  /** Why reads went to the primary: a change not yet replayed (or the lag bound), the replica unreachable, a read that failed there. */
  fallbacks: Record<FallbackReason, number>;
  /** The replica answered its last check and is not being left alone after a failure. */
  up: boolean;
  /** How far the replica's replay was behind the primary's newest known position, in bytes of WAL. */
  lagBytes: number | undefined;
}

/** A pg_lsn's text form (`16/B374D848`) as a number of bytes. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export class ReplicaRouter {
  /** Purges heard; the start counts as one, so a new process never serves what is older than the primary at its start. */
  private purges = 1;
  /** Purges covered by a primary position read after them. */
  private covered = 0;
  private measuring = false;
  private measureRetry: NodeJS.Timeout | undefined;
  /** The replica must have replayed this far (the newest primary position read after a purge). */
  private required = 0n;
  /** Primary positions with when they were read: the one `maxLagMs` old bounds the replica's lag. */
  private samples: { lsn: bigint; at: number }[] = [];
  private replayed: { lsn: bigint; at: number } | undefined;
  private probing = false;
  private downUntil = 0;
  private closed = false;
  private readonly warned = new Map<string, number>();
  private readonly counts = { replica: 0, primary: 0, behind: 0, down: 0, error: 0 };
  private readonly checkMs: number;
  private readonly healthMs: number;
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly primary: Database,
    private readonly replica: Database,
    private readonly options: ReplicaOptions,
  ) {
    this.checkMs = options.checkMs ?? 5;
    this.healthMs = options.healthMs ?? 1_000;
    this.retryMs = options.retryMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * A change readers can see has committed (in this process, or another one said so): reads go to the primary until
   * the replica has replayed the primary's position as read from now on. Call it before purging the page cache.
   */
  written(): void {
    this.purges++;
    this.measure();
  }

  /** Whether this read may go to the replica; counts the answer. */
  useReplica(): boolean {
    if (this.closed) return this.fallback('down');
    const now = this.now();
    this.sample(now);
    if (this.covered < this.purges) {
      this.measure();
      return this.fallback('behind');
    }
    if (now < this.downUntil) return this.fallback('down');
    const required = this.requiredAt(now);
    const seen = this.replayed;
    const fresh = seen !== undefined && seen.lsn >= required;
    if (!seen || now - seen.at >= (fresh ? this.healthMs : this.checkMs)) this.probe();
    if (!fresh) return this.fallback(seen ? 'behind' : 'down');
    this.counts.replica++;
    return true;
  }

  /** A read on the replica failed (connection lost, a query cancelled by replay): its state is asked again before the next. */
  failed(err: Error): void {
    this.counts.error++;
    this.replayed = undefined;
    this.warnOnce('error', { err: err.message }, 'a read on the read replica failed: answered from the primary');
  }

  stats(): ReplicaStats {
    const newest = this.samples.at(-1)?.lsn ?? this.required;
    const replayed = this.replayed?.lsn;
    return {
      replicaReads: this.counts.replica,
      primaryReads: this.counts.primary,
      fallbacks: { behind: this.counts.behind, down: this.counts.down, error: this.counts.error },
      up: replayed !== undefined && this.now() >= this.downUntil,
      lagBytes: replayed === undefined ? undefined : Number(newest > replayed ? newest - replayed : 0n),
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.measureRetry);
  }

  private fallback(reason: FallbackReason): false {
    this.counts.primary++;
    this.counts[reason]++;
    return false;
  }

  private requiredAt(now: number): bigint {
    let required = this.required;
    for (const s of this.samples) if (s.at <= now - this.options.maxLagMs && s.lsn > required) required = s.lsn;
    return required;
  }

  private async primaryLsn(): Promise<bigint> {
    // The insert position, not pg_current_wal_lsn() (the write position): with asynchronous commit a committed
    // transaction's record may not be written out yet, but it is always before the insert position.
    const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(this.primary.db);
    return parseLsn(rows[0]!.lsn);
  }

  /** Reads the primary's position for every purge heard so far (and again for purges heard meanwhile). */
  private measure(): void {
    if (this.measuring || this.measureRetry || this.closed) return;
    this.measuring = true;
    const upTo = this.purges;
    const at = this.now();
    this.primaryLsn().then(
      (lsn) => {
        this.measuring = false;
        if (lsn > this.required) this.required = lsn;
        this.covered = upTo;
        this.addSample(lsn, at);
        if (this.covered < this.purges) this.measure();
        // Ask the replica at once rather than on the next read: reads return to it as soon as it has the change.
        else if (!this.replayed || this.replayed.lsn < lsn) this.probe();
      },
      (err: Error) => {
        this.measuring = false;
        this.warnOnce('primary', { err: err.message }, 'could not read the primary’s WAL position: reader reads stay on the primary');
        this.measureRetry = setTimeout(() => {
          this.measureRetry = undefined;
          this.measure();
        }, 500);
        this.measureRetry.unref();
      },
    );
  }

  /** A primary position every half `maxLagMs` while reads come in: what bounds the replica's lag. */
  private sample(now: number): void {
    const last = this.samples.at(-1);
    if (this.closed || this.measuring || (last && now - last.at < this.options.maxLagMs / 2)) return;
    this.measuring = true;
    this.primaryLsn().then(
      (lsn) => {
        this.measuring = false;
        this.addSample(lsn, now);
        if (this.covered < this.purges) this.measure();
      },
      () => {
        this.measuring = false;
        // Counted as a sample, so a primary that does not answer is not asked on every read; measure() reports it.
        this.addSample(this.required, now);
      },
    );
  }

  private addSample(lsn: bigint, at: number): void {
    this.samples.push({ lsn, at });
    this.samples.sort((a, b) => a.at - b.at);
    // Keep the newest sample old enough to bound the lag, and the ones after it.
    const cutoff = this.now() - this.options.maxLagMs;
    let oldEnough = -1;
    for (let i = 0; i < this.samples.length; i++) if (this.samples[i]!.at <= cutoff) oldEnough = i;
    if (oldEnough > 0) this.samples.splice(0, oldEnough);
  }

  /** Asks the replica how far it has replayed (a server that is not in recovery: how far it has written). */
  private probe(): void {
    if (this.probing || this.closed) return;
    this.probing = true;
    const at = this.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    const ask = sql<{
      lsn: string | null;
      standby: boolean;
    }>`select (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_insert_lsn() end)::text as lsn, pg_is_in_recovery() as standby`.execute(
      this.replica.db,
    );
    Promise.race([ask, timeout])
      .then(
        ({ rows }) => {
          const row = rows[0]!;
          if (!row.standby) this.warnOnce('primary-as-replica', {}, 'DATABASE_READ_URL names a server that is not a standby (promoted, or a primary)');
          if (row.lsn === null) throw new Error('the replica has replayed nothing yet');
          const lsn = parseLsn(row.lsn);
          const wasDown = this.downUntil > 0;
          this.replayed = { lsn, at };
          this.downUntil = 0;
          if (wasDown) this.options.warn?.({}, 'read replica answering again: reader reads go back to it');
          let floor = 0n;
          for (const sample of this.samples) if (sample.at <= at - this.options.maxLagMs && sample.lsn > floor) floor = sample.lsn;
          if (lsn < floor) {
            this.warnOnce(
              'behind',
              { behindBytes: Number(floor - lsn) },
              `read replica more than ${this.options.maxLagMs / 1000} s behind: reader reads go to the primary`,
            );
          }
        },
        (err: Error) => {
          this.replayed = undefined;
          this.downUntil = this.now() + this.retryMs;
          this.warnOnce('down', { err: err.message }, 'read replica unreachable: reader reads go to the primary');
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.probing = false;
      });
  }

  private warnOnce(kind: string, detail: object, message: string): void {
    const now = this.now();
    if (now - (this.warned.get(kind) ?? -Infinity) < 60_000) return;
    this.warned.set(kind, now);
    this.options.warn?.(detail, message);
  }
}
