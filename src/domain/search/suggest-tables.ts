import { jiebaDictionary, pinyinPro } from '../nlp/libraries.ts';

/**
 * Did-you-mean's tables (see suggest.ts), made from jieba's dictionary. Building them is about a second of work, done
 * in a worker thread (suggest-worker.ts) so the event loop never waits for it; the worker hands them back packed in a
 * few strings and one transferred Float64Array, which the main thread unpacks in a few milliseconds.
 */
export interface Tables {
  /** Characters by toneless pinyin syllable, commonest first. */
  homophones: Map<string, string[]>;
  /** For a character, the characters that follow it in two-character words, commonest first. */
  next: Map<string, string[]>;
  /** For a character, the characters that precede it in two-character words, commonest first. */
  prev: Map<string, string[]>;
  /** How common a character is: the dictionary frequencies of the words it is in, summed. */
  frequency: Map<string, number>;
  /**
   * The toneless pinyin readings of every character of the dictionary, worked out in the worker too: pinyin-pro's
   * first call sets up its own tables (~25 ms), which the event loop never pays.
   */
  readings: Map<string, string[]>;
}

/** Characters tried per source (homophones, each neighbour) for one position. */
export const PER_SOURCE = 30;
/** Characters rarer than this in the dictionary (summed word frequencies) are not offered as homophones. */
const MIN_HOMOPHONE_FREQUENCY = 100;

const isHanUnit = (code: number) => (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf);

function readings(c: string): string[] {
  return pinyinPro()
    .pinyin(c, { toneType: 'none', multiple: true, type: 'array' })
    .filter((p) => /^[a-zü]+$/.test(p));
}

function add(m: Map<string, Map<string, number>>, a: string, b: string, f: number): void {
  let inner = m.get(a);
  if (!inner) m.set(a, (inner = new Map()));
  inner.set(b, (inner.get(b) ?? 0) + f);
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

const commonestFirst = (m: Map<string, number>, max = Infinity) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([c]) => c);

/** Builds the tables in one go (about a second of CPU): meant for a worker thread, never the event loop. */
export function buildTables(): Tables {
  const frequency = new Map<string, number>();
  const next = new Map<string, Map<string, number>>();
  const prev = new Map<string, Map<string, number>>();
  readLines(jiebaDictionary().toString('utf8'), frequency, next, prev);
  const bySound = new Map<string, Map<string, number>>();
  const readingsOf = new Map<string, string[]>();
  for (const [c, f] of frequency) {
    const syllables = readings(c);
    if (syllables.length > 0) readingsOf.set(c, syllables);
    // Homophones among the characters common enough to be what was meant; a rare one is read only as typed.
    if (f < MIN_HOMOPHONE_FREQUENCY) continue;
    for (const syllable of syllables) add(bySound, syllable, c, f);
  }
  const top = (counts: Map<string, Map<string, number>>, max: number) => new Map([...counts].map(([k, m]) => [k, commonestFirst(m, max)] as const));
  return { homophones: top(bySound, Infinity), next: top(next, PER_SOURCE), prev: top(prev, PER_SOURCE), frequency, readings: readingsOf };
}

/**
 * The tables as a worker posts them: each list map as its keys and its values, joined (keys and values never hold
 * the separators: they are Han characters and pinyin letters), and the frequencies as numbers in a transferable array.
 */
export interface PackedTables {
  lists: Record<'homophones' | 'next' | 'prev', { keys: string; values: string }>;
  /** Each character's readings joined by spaces. */
  readings: { keys: string; values: string };
  frequencyKeys: string;
  frequencies: Float64Array<ArrayBuffer>;
}

const KEY_SEP = '\n';
const VALUE_SEP = '\n';

export function packTables(t: Tables): PackedTables {
  const list = (m: Map<string, string[]>) => ({ keys: [...m.keys()].join(KEY_SEP), values: [...m.values()].map((v) => v.join('')).join(VALUE_SEP) });
  return {
    lists: { homophones: list(t.homophones), next: list(t.next), prev: list(t.prev) },
    readings: { keys: [...t.readings.keys()].join(KEY_SEP), values: [...t.readings.values()].map((v) => v.join(' ')).join(VALUE_SEP) },
    frequencyKeys: [...t.frequency.keys()].join(KEY_SEP),
    frequencies: Float64Array.from(t.frequency.values()),
  };
}

/**
 * The tables as the main thread keeps them: lists stay joined strings (split per query, a few at a time), so unpacking
 * allocates one string per key rather than one per character.
 */
export interface LookupTables {
  /** Characters by toneless pinyin syllable, commonest first, joined. */
  homophones: Map<string, string>;
  /** For a character, the characters that follow it in two-character words, commonest first, joined. */
  next: Map<string, string>;
  /** For a character, the characters that precede it in two-character words, commonest first, joined. */
  prev: Map<string, string>;
  frequency: Map<string, number>;
  /** A character's toneless readings, joined by spaces. */
  readings: Map<string, string>;
}

/** Every listed character is in the basic plane (isHanUnit), so a joined list splits by code unit into characters. */
export const characters = (joined: string | undefined): string[] => (joined ? joined.split('') : []);

/** Entries a map takes between two turns of the event loop: about a millisecond of work each. */
const SLICE = 2_000;

/** A map from its keys and values, filled SLICE entries at a time with `breathe` between. */
async function sliced<V>(keys: string[], value: (i: number) => V, breathe: () => Promise<void>): Promise<Map<string, V>> {
  const map = new Map<string, V>();
  for (let i = 0; i < keys.length; i++) {
    map.set(keys[i]!, value(i));
    if ((i + 1) % SLICE === 0) await breathe();
  }
  return map;
}

async function lookup({ keys, values }: { keys: string; values: string }, breathe: () => Promise<void>): Promise<Map<string, string>> {
  const k = keys === '' ? [] : keys.split(KEY_SEP);
  const v = values.split(VALUE_SEP);
  await breathe();
  return sliced(k, (i) => v[i]!, breathe);
}

/**
 * The tables again from what a worker posted, a few thousand entries at a time with `breathe` between them, so no
 * stretch of the event loop is long (a whole map at once held it for 10-40 ms on the 2-core test machine).
 */
export async function unpackTables(p: PackedTables, breathe: () => Promise<void>): Promise<LookupTables> {
  const homophones = await lookup(p.lists.homophones, breathe);
  const next = await lookup(p.lists.next, breathe);
  const prev = await lookup(p.lists.prev, breathe);
  const readings = await lookup(p.readings, breathe);
  const keys = p.frequencyKeys === '' ? [] : p.frequencyKeys.split(KEY_SEP);
  await breathe();
  const frequency = await sliced(keys, (i) => p.frequencies[i]!, breathe);
  return { homophones, next, prev, frequency, readings };
}
