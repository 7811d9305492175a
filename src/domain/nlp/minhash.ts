import { normalizeText } from './segment.ts';

/**
 * MinHash over character shingles, for near-duplicate copies (a syndicated story with a new headline, a changed
 * dateline, a few edited sentences). Locality-sensitive bands find candidates without comparing every article.
 */
export const MINHASH = {
  /** Characters per shingle: three keeps common two-character words from making unrelated Chinese texts look alike. */
  shingle: 3,
  bands: 20,
  rows: 3,
};
export const SIGNATURE_LENGTH = MINHASH.bands * MINHASH.rows;

export interface Fingerprint {
  signature: Uint32Array;
  /** Distinct shingles in the text. */
  shingles: number;
}

/** A strong 32-bit mixer (murmur3's finalizer): each seed gives an independent-looking hash function. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const SEEDS = Uint32Array.from({ length: SIGNATURE_LENGTH }, (_, i) => mix(0x9e3779b9 + i * 0x7f4a7c15));

/** Shingle hashes of the text after normalization (simplified, half-width, no punctuation or spaces). */
export function shingles(text: string, { normalized = false } = {}): Set<number> {
  return new Set(distinctShingles(normalized ? text : normalizeText(text)));
}

let points = new Int32Array(4096);
let hashes = new Uint32Array(4096);

/**
 * The distinct shingle hashes of normalized text, in ascending order: FNV-1a over each run of MINHASH.shingle code
 * points (a lone surrogate counts as one) once white space is taken out. A view of a buffer reused by the next call.
 */
function distinctShingles(spaced: string): Uint32Array {
  const text = spaced.replace(/\s+/g, '');
  if (points.length < text.length) points = new Int32Array(text.length * 2);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = (c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    points[n++] = c;
  }
  const k = Math.min(MINHASH.shingle, n);
  const count = k > 0 ? n - k + 1 : 0;
  if (hashes.length < count) hashes = new Uint32Array(count * 2);
  for (let i = 0; i < count; i++) {
    let h = 0x811c9dc5;
    for (let j = i; j < i + k; j++) h = Math.imul(h ^ points[j]!, 0x01000193);
    hashes[i] = h >>> 0;
  }
  const sorted = hashes.subarray(0, count).sort();
  let distinct = 0;
  for (let i = 0; i < count; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[distinct++] = sorted[i]!;
  return sorted.subarray(0, distinct);
}

export function fingerprint(text: string, { normalized = false }: { normalized?: boolean } = {}): Fingerprint {
  const set = distinctShingles(normalized ? text : normalizeText(text));
  const signature = new Uint32Array(SIGNATURE_LENGTH).fill(0xffffffff);
  for (let s = 0; s < set.length; s++) {
    const h = set[s]!;
    for (let i = 0; i < SIGNATURE_LENGTH; i++) {
      const v = mix(h ^ SEEDS[i]!);
      if (v < signature[i]!) signature[i] = v;
    }
  }
  return { signature, shingles: set.length };
}

/** Estimated Jaccard similarity of the two shingle sets: the share of positions where the signatures agree. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < SIGNATURE_LENGTH; i++) if (a[i] === b[i]) same++;
  return same / SIGNATURE_LENGTH;
}

/** One key per band: two texts sharing any key are candidates (≈93 % of pairs at similarity 0.5, almost none below 0.1). */
export function bandKeys(signature: Uint32Array): string[] {
  const keys: string[] = [];
  for (let b = 0; b < MINHASH.bands; b++) {
    const part = signature.subarray(b * MINHASH.rows, (b + 1) * MINHASH.rows);
    keys.push(`${b}:${[...part].map((v) => v.toString(36)).join('.')}`);
  }
  return keys;
}

export function encodeSignature(signature: Uint32Array): string {
  const bytes = Buffer.alloc(signature.length * 4);
  signature.forEach((v, i) => {
    bytes.writeUInt32LE(v, i * 4);
  });
  return bytes.toString('base64');
}

export function decodeSignature(encoded: string): Uint32Array {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== SIGNATURE_LENGTH * 4) return new Uint32Array(SIGNATURE_LENGTH);
  const out = new Uint32Array(SIGNATURE_LENGTH);
  for (let i = 0; i < SIGNATURE_LENGTH; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}
