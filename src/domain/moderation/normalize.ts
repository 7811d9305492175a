import { openCC } from '../nlp/libraries.ts';

/**
 * Text as the sensitive-word list is matched against it, with a map back to the original: each character folded on
 * its own (NFKC: full-width → half-width, compatibility forms; traditional → simplified; lower case), and
 * separators dropped (spaces, punctuation, symbols, format and combining characters), so 敏＊感, 敏 感, 敏-感, Ｓ
 * Ｅ Ｘ and 敏感 all read as the same run. Character by character (never OpenCC's phrase conversion), so every
 * folded unit comes from exactly one original character and a match maps back to an original range for masking.
 */
export interface FoldedText {
  /** The folded text the matcher scans. */
  text: string;
  /** For each UTF-16 unit of `text`: where its original character starts in the input. */
  starts: Int32Array;
  /** …and where it ends (exclusive). */
  ends: Int32Array;
}

/** Characters a writer can put between the characters of a word without changing how it reads. */
const SEPARATOR = /^[\p{P}\p{S}\p{Z}\p{C}\p{M}\s]+$/u;

let converter: ((text: string) => string) | undefined;
// Made by the first comment screened, not when a process that never sees one loads this module.
const toSimplified = (text: string): string => (converter ??= openCC().Converter({ from: 't', to: 'cn' }))(text);

// One entry per distinct character seen: a comment has a few hundred distinct characters, the whole language some
// tens of thousands, so the table stays small and each character is converted once per process.
const folds = new Map<string, string>();
const MAX_FOLDS = 100_000;

/** One character folded; '' when it is a separator. */
export function foldChar(ch: string): string {
  let folded = folds.get(ch);
  if (folded === undefined) {
    folded = '';
    for (const c of toSimplified(ch.normalize('NFKC')).toLowerCase()) if (!SEPARATOR.test(c)) folded += c;
    if (folds.size >= MAX_FOLDS) folds.clear();
    folds.set(ch, folded);
  }
  return folded;
}

export function foldText(input: string): FoldedText {
  const starts = new Int32Array(input.length * 2 + 4);
  const ends = new Int32Array(input.length * 2 + 4);
  let text = '';
  let at = 0;
  let n = 0;
  for (const ch of input) {
    const folded = foldChar(ch);
    const end = at + ch.length;
    for (let i = 0; i < folded.length; i++) {
      // A character folding to more units than the arrays hold (a ligature of three letters) is rare: grow once.
      if (n >= starts.length) return foldTextGrowing(input);
      starts[n] = at;
      ends[n] = end;
      n++;
    }
    text += folded;
    at = end;
  }
  return { text, starts: starts.subarray(0, n), ends: ends.subarray(0, n) };
}

function foldTextGrowing(input: string): FoldedText {
  const starts: number[] = [];
  const ends: number[] = [];
  let text = '';
  let at = 0;
  for (const ch of input) {
    const folded = foldChar(ch);
    for (let i = 0; i < folded.length; i++) {
      starts.push(at);
      ends.push(at + ch.length);
    }
    text += folded;
    at += ch.length;
  }
  return { text, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

/** A word of the list as the matcher holds it: folded the same way as the text, separators gone. */
export const foldWord = (word: string): string => foldText(word).text;

/** Whether a character is a separator (kept as it is when the characters around it are masked). */
export const isSeparator = (ch: string): boolean => foldChar(ch) === '';
