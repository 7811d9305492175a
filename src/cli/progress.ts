/** What a long command shows while it works: a bar on a terminal, a plain line now and then otherwise (logs, CI). */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const group = (n: number) => n.toLocaleString('en-US');

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 90) return `${Math.ceil(seconds)} s left`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} min left`;
  return `${(seconds / 3600).toFixed(1)} h left`;
}

export function progress(label: string, total: number, out: NodeJS.WriteStream = process.stdout, now: () => number = Date.now): Progress {
  const started = now();
  let last = 0;
  let shown = false;
  const line = (done: number) => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const left = rate > 0 ? eta((total - done) / rate) : '';
    return { share, text: `${group(done)}/${group(total)} ${(share * 100).toFixed(0)}% · ${group(Math.round(rate))}/s${left ? ` · ${left}` : ''}` };
  };
  return {
    update(done) {
      const t = now();
      if (out.isTTY) {
        if (t - last < 200) return;
        last = t;
        const { share, text } = line(done);
        const width = 24;
        const filled = Math.round(share * width);
        out.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\u001b[K`);
        shown = true;
      } else {
        if (t - last < 10_000) return;
        last = t;
        out.write(`${label}: ${line(done).text}\n`);
      }
    },
    finish() {
      if (shown) out.write('\r\u001b[K');
    },
  };
}
