import { readFileSync } from 'node:fs';
import type { Jieba } from '@node-rs/jieba';
import { packageFile } from '../../package-files.ts';
import { jiebaDictionary, jiebaLibrary } from './libraries.ts';
import { fastConverter } from './opencc.ts';

/** The newsroom's user dictionary, versioned in the repo (dict/newsroom.txt). */
export const USER_DICT_PATH = packageFile('dict/newsroom.txt');

/** Hong Kong words and their mainland equivalents (dict/hk-phrases.json; documented there). */
export const HK_PHRASES_PATH = packageFile('dict/hk-phrases.json');

let jieba: Jieba | undefined;

/** The lines of our user dictionary that jieba loads after its own (comments and blank lines left out). */
export function userDictionaryLines(): string[] {
  return readFileSync(USER_DICT_PATH, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function loadUserDict(): Buffer {
  return Buffer.from(userDictionaryLines().join('\n') + '\n');
}

/** jieba with its bundled dictionary plus ours, built once per process. */
export function segmenter(): Jieba {
  if (!jieba) {
    jieba = jiebaLibrary().Jieba.withDict(jiebaDictionary());
    jieba.loadDict(loadUserDict());
  }
  return jieba;
}

/**
 * Traditional characters and Taiwan vocabulary to mainland usage (OpenCC's twp: 軟體 → 软件, 網路 → 网络, 資訊 →
 * 信息), so a reader in Taipei finds the mainland story and a Taiwan-worded article is found by mainland words.
 */
let converter: ((text: string) => string) | undefined;
// Built on first use (the first search or index), not when a process that may never search loads this module. OpenCC's
// own conversion, through a faster walk of its tries (opencc.ts).
const toSimplified = (text: string): string => (converter ??= fastConverter('twp', 'cn'))(text);

let hkPhrases: { pattern: RegExp; to: Map<string, string> } | undefined;

function loadHkPhrases(): { pattern: RegExp; to: Map<string, string> } {
  if (!hkPhrases) {
    const table = (JSON.parse(readFileSync(HK_PHRASES_PATH, 'utf8')) as { phrases: Record<string, string> }).phrases;
    const keys = Object.keys(table).sort((a, b) => b.length - a.length);
    hkPhrases = { pattern: new RegExp(keys.join('|'), 'gu'), to: new Map(Object.entries(table)) };
  }
  return hkPhrases;
}

/** Characters of context either side of a match that jieba reads to decide whether the match is a word there. */
const CONTEXT_CHARS = 4;

/**
 * Whether text[start, end) is whole words in its context: no word jieba cuts from the text around it crosses
 * either end (坐的士上班: 的士 is a word; 他的士兵: 士兵 crosses its end, so it is not).
 */
export function isWholeWords(text: string, start: number, end: number): boolean {
  const from = Math.max(0, start - CONTEXT_CHARS);
  const window = text.slice(from, Math.min(text.length, end + CONTEXT_CHARS));
  let at = from;
  for (const word of segmenter().cut(window, false)) {
    const next = at + word.length;
    if ((at < start && next > start) || (at < end && next > end)) return false;
    at = next;
  }
  return true;
}

/** Hong Kong vocabulary to mainland words (的士 → 出租车), where the Hong Kong word is a word in its context. */
function mainlandWords(text: string): string {
  const { pattern, to } = loadHkPhrases();
  pattern.lastIndex = 0;
  if (!pattern.test(text)) return text;
  pattern.lastIndex = 0;
  return text.replace(pattern, (match: string, offset: number) => (isWholeWords(text, offset, offset + match.length) ? to.get(match)! : match));
}

/**
 * One form for indexing and querying: traditional → simplified (with Taiwan vocabulary, and Hong Kong vocabulary from
 * dict/hk-phrases.json), full-width → half-width, lower case, punctuation and symbols → spaces. Both sides of a search
 * go through this, so 國際 finds 国际, 網路 finds 网络, 的士 finds 出租车 and ＡＩ finds ai. (Changing it changes the
 * index: `inkstone reindex` after an upgrade that does.)
 */
export function normalizeText(text: string): string {
  // The same text is often normalized twice in a row by different analyses of one article (search fields and related
  // reading both read its body and title): the last few answers are kept. Strings compare by identity first.
  for (let i = 0; i < RECENT; i++) if (recentIn[i] === text) return recentOut[i]!;
  const halfWidth = text.normalize('NFKC');
  const out = mainlandWords(
    toSimplified(halfWidth)
      .toLowerCase()
      .replace(/[\p{P}\p{S}\s]+/gu, ' ')
      .trim(),
  );
  recentIn[recentAt] = text;
  recentOut[recentAt] = out;
  recentAt = (recentAt + 1) % RECENT;
  return out;
}

const RECENT = 4;
const recentIn: (string | undefined)[] = new Array(RECENT);
const recentOut: (string | undefined)[] = new Array(RECENT);
let recentAt = 0;

/** Words for search, as jieba's search mode gives them (long words and their parts), HMM off; no spaces. */
export function searchTokens(text: string): string[] {
  const normalized = normalizeText(text);
  if (normalized === '') return [];
  return segmenter()
    .cutForSearch(normalized, false)
    .map((w) => w.trim())
    .filter((w) => w !== '');
}

/** Words as a reader would split them (precise mode, HMM off), for keywords and similarity. */
export function words(text: string): string[] {
  const normalized = normalizeText(text);
  if (normalized === '') return [];
  return segmenter()
    .cut(normalized, false)
    .map((w) => w.trim())
    .filter((w) => w !== '');
}
