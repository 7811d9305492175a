/**
 * jieba's IDF table (idf.txt: one `word idf` line each, 270,131 lines, 6 MB) kept as the file's bytes and an
 * open-addressing hash of line offsets, built in one pass over the bytes: 7 MB of RSS, 144-176 ms to build on the
 * 2-core VM. jieba's native TF-IDF extractor, which we used for the same lookups, took 32 MB and 185-270 ms.
 */
export class IdfTable {
  /** Line start + 1 of the word hashed to each slot (0: empty); linear probing. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The median IDF, which jieba gives words it has no IDF for. */
  readonly median: number;

  constructor(private readonly bytes: Uint8Array) {
    const n = bytes.length;
    let lines = 1;
    for (let i = 0; i < n; i++) if (bytes[i] === NEWLINE) lines++;
    let size = 1;
    while (size < lines * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    const values = new Float64Array(lines);
    let count = 0;
    let start = 0;
    let space = -1;
    let h = FNV_OFFSET;
    for (let i = 0; i <= n; i++) {
      const b = i < n ? bytes[i]! : NEWLINE;
      if (b === NEWLINE) {
        const value = space > start ? decimal(bytes, space + 1, i) : Number.NaN;
        if (!Number.isNaN(value)) {
          values[count++] = value;
          this.insert(start, space, h >>> 0);
        }
        start = i + 1;
        space = -1;
        h = FNV_OFFSET;
      } else if (space < 0) {
        if (b === SPACE) space = i;
        else h = Math.imul(h ^ b, FNV_PRIME);
      }
    }
    const sorted = values.subarray(0, count).sort();
    this.median = count === 0 ? 0 : sorted[count >> 1]!;
  }

  /** The IDF of a word, or undefined when the table does not have it. */
  get(word: string): number | undefined {
    const key = Buffer.from(word, 'utf8');
    let h = FNV_OFFSET;
    for (const b of key) h = Math.imul(h ^ b, FNV_PRIME);
    for (let slot = (h >>> 0) & this.mask; ; slot = (slot + 1) & this.mask) {
      const line = this.slots[slot]! - 1;
      if (line < 0) return undefined;
      if (this.wordAt(line, key, 0, key.length)) {
        let end = line + key.length + 1;
        while (end < this.bytes.length && this.bytes[end] !== NEWLINE) end++;
        return decimal(this.bytes, line + key.length + 1, end);
      }
    }
  }

  /** Whether the line at `line` holds the word src[from, to), followed by its space. */
  private wordAt(line: number, src: Uint8Array, from: number, to: number): boolean {
    const length = to - from;
    if (this.bytes[line + length] !== SPACE) return false;
    for (let i = 0; i < length; i++) if (this.bytes[line + i] !== src[from + i]) return false;
    return true;
  }

  /** A later line for the same word replaces the earlier one, as a map built line by line would. */
  private insert(start: number, space: number, h: number): void {
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const line = this.slots[slot]! - 1;
      if (line < 0 || this.wordAt(line, this.bytes, start, space)) {
        this.slots[slot] = start + 1;
        return;
      }
    }
  }
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * A number from bytes (spaces and a carriage return around it ignored), as Number() reads it. A plain decimal is read
 * here: its digits as one integer divided by a power of ten is correctly rounded while both are exact (under 2^53 and
 * 10^22); any other text goes through Number() (NaN when it is no number).
 */
function decimal(bytes: Uint8Array, from: number, to: number): number {
  while (from < to && bytes[from] === SPACE) from++;
  while (to > from && (bytes[to - 1] === SPACE || bytes[to - 1] === 0x0d)) to--;
  if (from === to) return Number.NaN;
  let digits = 0;
  let scale = 1;
  let point = false;
  let seen = 0;
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b === 0x2e && !point) {
      point = true;
    } else if (b >= 0x30 && b <= 0x39) {
      digits = digits * 10 + (b - 0x30);
      if (point) scale *= 10;
      seen++;
    } else {
      return written(bytes, from, to);
    }
  }
  if (seen === 0 || digits > Number.MAX_SAFE_INTEGER || scale > 1e22) return written(bytes, from, to);
  return digits / scale;
}

/** Any other number's text (an exponent, say), read by Number(); not a number: NaN. */
function written(bytes: Uint8Array, from: number, to: number): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1'));
}
