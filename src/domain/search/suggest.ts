import { dict } from '@node-rs/jieba/dict.js';
import type { pinyin as Pinyin } from 'pinyin-pro';
import { segmenter } from '../nlp/segment.ts';

/**
 * 您是不是要找: for a query whose words no article holds together, the same query with one character changed so that
 * it reads as fewer, longer dictionary words (人工只能 → 人工智能). Candidates for a character are the characters that
 * sound the same (pinyin, tones ignored: the commonest typing slip with a pinyin keyboard) and those that make a
 * two-character dictionary word with its neighbour; each variant is segmented again by jieba, and only one that
 * joins characters into longer words counts. The caller checks the best few against the index, so a query with no
 * result costs a few ordinary searches, never a scan. The tables are built from jieba's dictionary on first use.
 */

interface Tables {
  /** Characters by toneless pinyin syllable, commonest first. */
  homophones: Map<string, string[]>;
  /** For a character, the characters that follow it in two-character words, commonest first. */
  next: Map<string, string[]>;
  /** For a character, the characters that precede it in two-character words, commonest first. */
  prev: Map<string, string[]>;
  /** How common a character is: the dictionary frequencies of the words it is in, summed. */
  frequency: Map<string, number>;
}

/** Characters tried per source (homophones, each neighbour) for one position. */
const PER_SOURCE = 30;
/** Longer space-free parts are not corrected: a typo in a long query is rarely why it finds nothing. */
const MAX_CHUNK_CHARS = 12;
/** Variants tried at most, whatever the query. */
const MAX_VARIANTS = 3_000;

const HAN = /^\p{Script=Han}$/u;
const isHanUnit = (code: number) => (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf);
/** Characters rarer than this in the dictionary (summed word frequencies) are not offered as homophones. */
const MIN_HOMOPHONE_FREQUENCY = 100;

let tables: Promise<Tables> | undefined;
let ready = false;

/** Whether the tables are built (a query with results does not wait for them). */
export const suggestionsReady = () => ready;

/** Lets requests run between slices of the table building (a second of work in all). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

async function top(counts: Map<string, Map<string, number>>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let n = 0;
  for (const [k, m] of counts) {
    if (++n % 500 === 0) await breathe();
    out.set(
      k,
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, PER_SOURCE)
        .map(([c]) => c),
    );
  }
  return out;
}

function readLines(text: string, frequency: Map<string, number>, next: Map<string, Map<string, number>>, prev: Map<string, Map<string, number>>): void {
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const space = text.indexOf(' ', start);
    const wordEnd = space >= 0 && space < end ? space : end;
    const freq = Math.max(1, Number.parseInt(text.slice(wordEnd + 1, end), 10) || 1);
    let han = wordEnd > start;
    // CJK Unified Ideographs in the basic plane: the dictionary's words, and what a query's typo is made of.
    for (let i = start; i < wordEnd && han; i++) han = isHanUnit(text.charCodeAt(i));
    if (han) {
      for (let i = start; i < wordEnd; i++) frequency.set(text[i]!, (frequency.get(text[i]!) ?? 0) + freq);
      if (wordEnd - start === 2) {
        add(next, text[start]!, text[start + 1]!, freq);
        add(prev, text[start + 1]!, text[start]!, freq);
      }
    }
    start = end + 1;
  }
}

function add(m: Map<string, Map<string, number>>, a: string, b: string, f: number): void {
  let inner = m.get(a);
  if (!inner) m.set(a, (inner = new Map()));
  inner.set(b, (inner.get(b) ?? 0) + f);
}

/** The tables, built once per process in slices that yield to requests; `warmSuggestions` starts it early. */
function load(): Promise<Tables> {
  tables ??= build().then((t) => {
    ready = true;
    return t;
  });
  return tables;
}

/** Builds the tables in the background (after the server listens), so the first query without results does not wait. */
export async function warmSuggestions(): Promise<void> {
  await load();
}

// pinyin-pro loads with the tables (after the server listens), not at start-up; readings are asked for only once they exist.
let pinyin: typeof Pinyin | undefined;

async function build(): Promise<Tables> {
  pinyin ??= (await import('pinyin-pro')).pinyin;
  const frequency = new Map<string, number>();
  const next = new Map<string, Map<string, number>>();
  const prev = new Map<string, Map<string, number>>();
  // The 5 MB dictionary in pieces of whole lines, each decoded and read between breaths.
  const bytes = Buffer.from(dict.buffer, dict.byteOffset, dict.byteLength);
  for (let from = 0; from < bytes.length; ) {
    const cut = bytes.indexOf(10, Math.min(bytes.length, from + 64 * 1024));
    const to = cut < 0 ? bytes.length : cut + 1;
    readLines(bytes.toString('utf8', from, to), frequency, next, prev);
    from = to;
    await breathe();
  }
  const bySound = new Map<string, Map<string, number>>();
  // Homophones among the characters common enough to be what was meant; a rare one is read only as typed.
  let read = 0;
  for (const [c, f] of frequency) {
    if (f < MIN_HOMOPHONE_FREQUENCY) continue;
    if (++read % 100 === 0) await breathe();
    for (const syllable of readings(c)) add(bySound, syllable, c, f);
  }
  const homophones = new Map<string, string[]>();
  for (const [syllable, m] of bySound)
    homophones.set(
      syllable,
      [...m].sort((a, b) => b[1] - a[1]).map(([c]) => c),
    );
  return { homophones, next: await top(next), prev: await top(prev), frequency };
}

function readings(c: string): string[] {
  return pinyin!(c, { toneType: 'none', multiple: true, type: 'array' }).filter((p) => /^[a-zü]+$/.test(p));
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
  const t = await load();
  const found: { text: string; chunk: string; corrected: string; gain: number; sound: boolean; freq: number }[] = [];
  let tried = 0;
  chunks.forEach((chunk, k) => {
    const chars = Array.from(chunk);
    if (chars.length < 2 || chars.length > MAX_CHUNK_CHARS) return;
    const before = wordCount(chunk);
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!HAN.test(c)) continue;
      const sounds = new Set(readings(c).flatMap((s) => (t.homophones.get(s) ?? []).slice(0, PER_SOURCE)));
      const candidates = new Set([
        ...sounds,
        ...(i > 0 ? (t.next.get(chars[i - 1]!) ?? []) : []),
        ...(i + 1 < chars.length ? (t.prev.get(chars[i + 1]!) ?? []) : []),
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
