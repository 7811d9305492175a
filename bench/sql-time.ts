/**
 * Time spent in each SQLite statement a benchmark runs (better-sqlite3 runs them synchronously, so the wall time is
 * their CPU time), and the slowest single runs with their first bound value (a search's FTS5 expression).
 */
import Sqlite from 'better-sqlite3';

export interface SqlTimer {
  /** Counts statements only between start() and stop(): a benchmark's warm-up is left out. Each start counts anew. */
  start(): void;
  stop(): void;
  /** The statements by total time, `per` runs (renders, queries) dividing the figures; then the slowest runs. */
  report(per: number, slowest?: number): string;
}

export function timeSql(): SqlTimer {
  const statements = new Map<string, { calls: number; ms: number }>();
  const slow: { ms: number; text: string; first: unknown }[] = [];
  let counting = false;
  const proto = Sqlite.prototype as unknown as { prepare: (sql: string) => Record<string, unknown> };
  const prepare = proto.prepare;
  proto.prepare = function (this: unknown, text: string) {
    const stmt = prepare.call(this, text);
    for (const method of ['all', 'get', 'run', 'iterate'] as const) {
      const original = stmt[method] as ((...a: unknown[]) => unknown) | undefined;
      if (!original) continue;
      stmt[method] = (...a: unknown[]) => {
        if (!counting) return original.apply(stmt, a);
        const t = performance.now();
        try {
          return original.apply(stmt, a);
        } finally {
          const ms = performance.now() - t;
          const entry = statements.get(text) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += ms;
          statements.set(text, entry);
          slow.push({ ms, text, first: Array.isArray(a[0]) ? a[0][0] : a[0] });
          if (slow.length > 2000) slow.sort((x, y) => y.ms - x.ms).splice(200);
        }
      };
    }
    return stmt;
  };
  const oneLine = (text: string, max: number) => text.replace(/\s+/g, ' ').trim().slice(0, max);
  return {
    start: () => {
      statements.clear();
      slow.length = 0;
      counting = true;
    },
    stop: () => {
      counting = false;
    },
    report(per, slowest = 0) {
      const sorted = [...statements].sort((a, b) => b[1].ms - a[1].ms);
      const lines = sorted
        .slice(0, 25)
        .map(([text, { calls, ms }]) => `${(ms / per).toFixed(3).padStart(7)} ms ${(calls / per).toFixed(1).padStart(5)}× ${oneLine(text, 220)}`);
      lines.push(`${(sorted.reduce((sum, [, s]) => sum + s.ms, 0) / per).toFixed(3).padStart(7)} ms in all`);
      if (slowest > 0) {
        lines.push('', 'slowest single runs:');
        for (const s of slow.sort((x, y) => y.ms - x.ms).slice(0, slowest))
          lines.push(`${s.ms.toFixed(1).padStart(7)} ms ${JSON.stringify(s.first)?.slice(0, 160)}  ← ${oneLine(s.text, 90)}`);
      }
      return lines.join('\n');
    },
  };
}
