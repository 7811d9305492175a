import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BUNDLED, packageFile } from '../../package-files.ts';
import { segmenter } from '../nlp/segment.ts';
import { characters, PER_SOURCE, unpackTables, type LookupTables, type PackedTables } from './suggest-tables.ts';

/**
 * 您是不是要找: for a query whose words no article holds together, the same query with one character changed so that
 * it reads as fewer, longer dictionary words (人工只能 → 人工智能). Candidates for a character are the characters that
 * sound the same (pinyin, tones ignored: the commonest typing slip with a pinyin keyboard) and those that make a
 * two-character dictionary word with its neighbour; each variant is segmented again by jieba, and only one that
 * joins characters into longer words counts. The caller checks the best few against the index, so a query with no
 * result costs a few ordinary searches, never a scan. The tables (suggest-tables.ts) are built from jieba's dictionary
 * in a worker thread on first use, so the event loop never pauses for them.
 */

/** Longer space-free parts are not corrected: a typo in a long query is rarely why it finds nothing. */
const MAX_CHUNK_CHARS = 12;
/** Variants tried at most, whatever the query. */
const MAX_VARIANTS = 3_000;

const HAN = /^\p{Script=Han}$/u;

let tables: Promise<LookupTables> | undefined;
let ready = false;

/** Whether the tables are built (a query with results does not wait for them). */
export const suggestionsReady = () => ready;

/**
 * The worker's entry: one line of JavaScript that imports suggest-worker. From TypeScript sources (as the app runs: tsx),
 * it first registers tsx's hooks in the worker, since `--import tsx` in a worker's execArgv does not reach its modules.
 */
function workerCode(): string {
  // Its priority is lowered first, before tsx and esbuild (a child process, which inherits it) compile anything.
  const nice = `if (process.platform === 'linux') { try { require('node:os').setPriority(19); } catch {} }`;
  // The production build has the worker's own bundle (dist/suggest-worker.js, scripts/build.js): no loader needed.
  if (BUNDLED) return `${nice}\nimport(${JSON.stringify(pathToFileURL(packageFile('dist/suggest-worker.js')).href)})`;
  const entry = new URL('./suggest-worker.ts', import.meta.url).href;
  // tsx's ESM register API, found through its package's exports (its CommonJS build cannot register them from a worker).
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const api = (require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = new URL(api, pathToFileURL(manifest)).href;
  return `${nice}\nimport(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

/**
 * Builds the tables in a worker thread, which posts them packed and ends; only the unpacking (milliseconds) is ours.
 * Each call builds them anew (load() keeps the first): exported for the test that measures the event loop meanwhile.
 */
export function buildInWorker(): Promise<LookupTables> {
  return new Promise<LookupTables>((resolve, reject) => {
    const worker = new Worker(workerCode(), { eval: true });
    // A process that has nothing else to do does not stay up for the tables.
    worker.unref();
    let done = false;
    worker.once('message', (packed: PackedTables) => {
      done = true;
      resolve(unpackTables(packed, () => new Promise<void>((next) => setImmediate(next))));
    });
    worker.once('error', (err) => {
      done = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`did-you-mean's table worker exited with code ${code}`));
    });
  });
}

/** The tables, built once per process on first need. A failed build is tried again on next use. */
function load(): Promise<LookupTables> {
  tables ??= buildInWorker().then(
    (t) => {
      ready = true;
      return t;
    },
    (err: unknown) => {
      tables = undefined;
      throw err;
    },
  );
  return tables;
}

/**
 * Starts building the tables (a search with results does, in the background, so a later one without results need
 * not wait). Not at start-up: a process that serves only readers never builds them (their worker's peak is ~90 MB
 * of RSS). Rejects when the worker failed.
 */
export async function warmSuggestions(): Promise<void> {
  await load();
}

const wordCount = (text: string) => segmenter().cut(text, false).length;

export interface Correction {
  /** The whole query, corrected. */
  text: string;
  /** The part that was changed, as typed (a space-free chunk of the normalized query). */
  chunk: string;
  /** That part, corrected. */
  corrected: string;
}

/**
 * Corrections of a normalized query, best first: one character changed in one space-free part so that jieba reads
 * it as fewer words; sounding the same ranks first, then the commoner character.
 */
export async function corrections(normalized: string, max = 3): Promise<Correction[]> {
  const chunks = normalized.split(' ').filter((c) => c !== '');
  if (!chunks.some((c) => c.length >= 2 && Array.from(c).length <= MAX_CHUNK_CHARS)) return [];
  // Without the tables (their worker failed; the next query tries again) there is no suggestion, and search goes on.
  const t = await load().catch(() => undefined);
  if (!t) return [];
  const found: { text: string; chunk: string; corrected: string; gain: number; sound: boolean; freq: number }[] = [];
  let tried = 0;
  chunks.forEach((chunk, k) => {
    const chars = Array.from(chunk);
    if (chars.length < 2 || chars.length > MAX_CHUNK_CHARS) return;
    const before = wordCount(chunk);
    // One word already: no variant reads as fewer (most queries, and ~100 segmentations each saved).
    if (before <= 1) return;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!HAN.test(c)) continue;
      const syllables = t.readings.get(c)?.split(' ') ?? [];
      const sounds = new Set(syllables.flatMap((s) => characters(t.homophones.get(s)).slice(0, PER_SOURCE)));
      const candidates = new Set([
        ...sounds,
        ...(i > 0 ? characters(t.next.get(chars[i - 1]!)) : []),
        ...(i + 1 < chars.length ? characters(t.prev.get(chars[i + 1]!)) : []),
      ]);
      for (const d of candidates) {
        if (d === c || tried >= MAX_VARIANTS) continue;
        tried++;
        const variant = [...chars.slice(0, i), d, ...chars.slice(i + 1)].join('');
        const gain = before - wordCount(variant);
        if (gain <= 0) continue;
        const text = chunks.map((other, j) => (j === k ? variant : other)).join(' ');
        found.push({ text, chunk, corrected: variant, gain, sound: sounds.has(d), freq: t.frequency.get(d) ?? 0 });
      }
    }
  });
  found.sort((a, b) => b.gain - a.gain || Number(b.sound) - Number(a.sound) || b.freq - a.freq);
  const seen = new Set<string>();
  return found
    .filter((f) => !seen.has(f.text) && seen.add(f.text))
    .slice(0, max)
    .map(({ text, chunk, corrected }) => ({ text, chunk, corrected }));
}
