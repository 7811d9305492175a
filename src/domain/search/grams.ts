/**
 * The exact-match side of search: normalized text as character bigrams, so any contiguous string is found
 * even when jieba has no word for it (a new brand name split into single characters, a word cut differently
 * in context). Latin letters and digits stay whole words; only other characters are cut into bigrams.
 *
 * A run of n ≥ 2 characters gives its n−1 bigrams and then its last character alone; a run of one gives that
 * character. The lone last character lets a one-character string at the end of a query match as a prefix, and
 * keeps a run next to a Latin word adjacent to it in positions.
 */

/** One piece of a space-free chunk: a Latin/digit word, or a run of other characters (Chinese…). */
interface Segment {
  text: string;
  latin: boolean;
}

const LATIN = /[a-z0-9]/;

/** Longer tokens (a pasted hash, a run of digits) are cut to this many characters, the same way on both sides. */
export const MAX_TOKEN_CHARS = 60;

export function clampToken(token: string): string {
  if (token.length <= MAX_TOKEN_CHARS) return token;
  return Array.from(token).slice(0, MAX_TOKEN_CHARS).join('');
}

/** Splits normalized text into segments; ASCII characters other than letters and digits separate them. */
function segments(text: string): Segment[][] {
  const chunks: Segment[][] = [];
  let chunk: Segment[] = [];
  let current: Segment | undefined;
  const close = () => {
    if (current) chunk.push(current);
    current = undefined;
  };
  const endChunk = () => {
    close();
    if (chunk.length) chunks.push(chunk);
    chunk = [];
  };
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80 && !LATIN.test(ch)) {
      endChunk();
      continue;
    }
    const latin = code < 0x80;
    if (current && current.latin !== latin) close();
    if (!current) current = { text: '', latin };
    current.text += ch;
  }
  endChunk();
  return chunks;
}

function runGrams(run: string, withLast: boolean): string[] {
  const chars = Array.from(run);
  if (chars.length === 1) return [chars[0]!];
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  if (withLast) out.push(chars[chars.length - 1]!);
  return out;
}

/** The gram tokens of normalized text, in order, for the index. */
export function gramTokens(normalized: string): string[] {
  const out: string[] = [];
  for (const chunk of segments(normalized)) {
    for (const s of chunk) {
      if (s.latin) out.push(clampToken(s.text));
      else out.push(...runGrams(s.text, true));
    }
  }
  return out;
}

/** A contiguous string as a phrase of gram tokens; `prefix` marks the last token as a prefix. */
export interface GramPhrase {
  grams: string[];
  prefix: boolean;
}

/**
 * The phrase that finds a normalized, space-free string anywhere in indexed text. The index cuts each run
 * into bigrams plus its last character, so inside the query a run ending the string gives bigrams only (the
 * text may continue), a run followed by a Latin word keeps its lone last character (the index has it there),
 * and a single character ending the string is a prefix (it starts some bigram, or is a run's last character).
 */
export function gramPhrase(normalized: string): GramPhrase | undefined {
  const chunks = segments(normalized);
  if (chunks.length !== 1) return undefined;
  const chunk = chunks[0]!;
  const grams: string[] = [];
  let prefix = false;
  chunk.forEach((s, i) => {
    const last = i === chunk.length - 1;
    if (s.latin) {
      grams.push(clampToken(s.text));
      return;
    }
    grams.push(...runGrams(s.text, !last));
    if (last && Array.from(s.text).length === 1) prefix = true;
  });
  return { grams, prefix };
}
