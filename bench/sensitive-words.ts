/**
 * The sensitive-word list's matching speed (#15): 10,000 words (2–6 characters, half of them sharing prefixes, a
 * tenth Latin) against a 1,000-character comment, scanned with normalization (NFKC, 繁→简, separators skipped) and
 * mapped back to the original text. The target is < 1 ms per match. Prints the compile time and p50/p95/p99 of
 * 2,000 scans of each of three comments: ordinary text, text with twenty planted words split by separators, and
 * traditional full-width text.
 *
 *   npx tsx bench/sensitive-words.ts [words=10000] [chars=1000]
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { WordMatcher, maskHits } from '../src/domain/moderation/matcher.ts';
import { foldWord } from '../src/domain/moderation/normalize.ts';
import type { WordAction } from '../src/domain/moderation/word.ts';

const WORDS = Number(process.argv[2] ?? 10_000);
const CHARS = Number(process.argv[3] ?? 1_000);
const SCANS = 2_000;

// A fixed pseudo-random sequence, so runs compare.
let seed = 42;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

// The 2,500 most common characters of news text are drawn from this range of common CJK.
const common = Array.from({ length: 2_500 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000)));
const latin = 'abcdefghijklmnopqrstuvwxyz';
const actions: WordAction[] = ['block', 'mask', 'review'];

const list: { word: string; key: string; action: WordAction }[] = [];
const seen = new Set<string>();
while (list.length < WORDS) {
  let word: string;
  if (rand() < 0.1) word = Array.from({ length: 3 + Math.floor(rand() * 6) }, () => pick([...latin])).join('');
  else if (rand() < 0.5 && list.length > 0)
    word = pick(list).word.slice(0, 2) + Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(common)).join('');
  else word = Array.from({ length: 2 + Math.floor(rand() * 5) }, () => pick(common)).join('');
  const key = foldWord(word);
  if (seen.has(key)) continue;
  seen.add(key);
  list.push({ word, key, action: pick(actions) });
}

const t0 = performance.now();
const matcher = new WordMatcher(list);
const compileMs = performance.now() - t0;

const ordinary = Array.from({ length: CHARS }, (_, i) => (i % 23 === 22 ? '，' : pick(common))).join('');
let planted = ordinary;
for (let i = 0; i < 20; i++) {
  const w = pick(list).word;
  const at = Math.floor(rand() * (CHARS - 20));
  planted = planted.slice(0, at) + [...w].join(pick(['＊', ' ', '-', '·'])) + planted.slice(at + w.length * 2);
}
planted = [...planted].slice(0, CHARS).join('');
const fullWidth = [...ordinary].map((c, i) => (i % 5 === 0 ? String.fromCodePoint(0xff21 + (i % 26)) : c)).join('');

function measure(name: string, text: string): void {
  for (let i = 0; i < 200; i++) matcher.screen(text);
  const times: number[] = [];
  let hits = 0;
  // CPU time as well as wall time: on a shared machine the wall-clock tail is mostly time spent waiting for a core.
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < SCANS; i++) {
    const start = performance.now();
    const s = matcher.screen(text);
    maskHits(text, s.hits);
    times.push(performance.now() - start);
    hits = s.hits.length;
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(3);
  const cpuMs = ((cpu.user + cpu.system) / 1000 / SCANS).toFixed(3);
  console.log(`${name.padEnd(28)} ${[...text].length} chars, ${hits} hits: p50 ${q(0.5)} ms  p95 ${q(0.95)} ms  p99 ${q(0.99)} ms  (CPU ${cpuMs} ms a scan)`);
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
console.log(`${list.length} words compiled in ${compileMs.toFixed(1)} ms (${JSON.stringify(matcher.stats)})`);
measure('ordinary text', ordinary);
measure('20 words split by separators', planted);
measure('full-width letters mixed in', fullWidth);
