/**
 * What this machine's cores give together: the import's per-post preparation (bench/import.ts's worker job —
 * sanitizing, segmenting for search, analysing for related reading) timed in one process alone, then in two processes
 * at once, and beside it a loop of integer arithmetic that touches no memory. Two free cores would do each job in
 * the same time two at once as alone; where they share a cache or memory bandwidth, the memory-heavy job slows
 * down and the arithmetic does not. The figure says how much of "2 cores" an import's work can use here, which
 * CPU-per-post figures alone do not (a thread's CPU time grows when it waits for memory a neighbour evicted).
 * Never part of `npm test`.
 *
 *   npx tsx bench/cores.ts [--posts 2000] [--rounds 3]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { preparePosts, type PrepareJob } from '../src/domain/imports/prepare-work.ts';
import { corpus } from './search-corpus.ts';

const { values: args } = parseArgs({
  options: {
    posts: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

const WARM = 200;
const SPIN = 400_000_000;

/** The posts, the same in every process: generated text with paragraphs, as bench/import.ts writes them. */
function jobs(count: number): PrepareJob[] {
  const out: PrepareJob[] = [];
  for (const a of corpus(count, { seed: 7 }).articles) {
    out.push({ html: a.bodyParagraphs.map((p) => `<p>${p}</p>`).join('\n'), title: a.title, summary: a.summary, tags: a.tags, related: true });
    if (out.length === count) break;
  }
  return out;
}

/** A child: readies its work, says so, and on `go` does it and answers its milliseconds per unit. */
async function child(kind: string): Promise<void> {
  const send = (m: unknown) => process.send!(m);
  let work: () => number;
  if (kind === 'prepare') {
    const all = jobs(Number(args.posts) + WARM);
    // Dictionaries, the tagger's table and the sanitizer loaded, as a warmed import worker has them.
    preparePosts(all.slice(0, WARM), true);
    const timed = all.slice(WARM);
    work = () => {
      const t0 = performance.now();
      preparePosts(timed, true);
      return (performance.now() - t0) / timed.length;
    };
  } else {
    work = () => {
      const t0 = performance.now();
      let x = 0;
      for (let i = 0; i < SPIN; i++) x = (x * 1103515245 + 12345) | 0;
      if (x === 42) console.log(x);
      return (performance.now() - t0) / (SPIN / 1e6);
    };
  }
  process.on('message', () => {
    send({ ms: work() });
    process.exit(0);
  });
  send({ ready: true });
}

/** `n` children of `kind` started together once all are ready; their milliseconds per unit. */
async function together(kind: string, n: number): Promise<number[]> {
  const script = fileURLToPath(import.meta.url);
  const children = Array.from({ length: n }, () => fork(script, ['--child', kind, '--posts', args.posts!], { execArgv: ['--import', 'tsx'] }));
  // A child's next message, or its exit before it (a failed child ends the benchmark instead of leaving it waiting).
  const next = (c: ChildProcess) =>
    new Promise<{ ms?: number }>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`a ${kind} child exited (${code}) before it answered`));
      c.once('exit', exited);
      c.once('message', (m: { ms?: number }) => {
        c.off('exit', exited);
        resolve(m);
      });
    });
  try {
    await Promise.all(children.map(next));
    const answers = children.map(next);
    for (const c of children) c.send('go');
    return (await Promise.all(answers)).map((m) => m.ms!);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
}

if (args.child) await child(args.child);
else {
  const rounds = Number(args.rounds);
  for (const [kind, unit] of [
    ['prepare', 'ms a post'],
    ['spin', 'ms per million steps'],
  ] as const) {
    const alone: number[] = [];
    const two: number[] = [];
    for (let r = 0; r < rounds; r++) {
      alone.push(...(await together(kind, 1)));
      two.push(...(await together(kind, 2)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const a = median(alone);
    const b = median(two);
    console.log(
      `${kind}: alone ${a.toFixed(3)} ${unit}; two at once ${b.toFixed(3)} each (${((b / a - 1) * 100).toFixed(0)} % slower) — two processes do ${((2 * a) / b).toFixed(2)}× the work of one`,
    );
  }
}
