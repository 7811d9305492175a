import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import * as OpenCC from 'opencc-js';

/** The newsroom's user dictionary, versioned in the repo (dict/newsroom.txt). */
export const USER_DICT_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dict/newsroom.txt');

let jieba: Jieba | undefined;

function loadUserDict(): Buffer {
  const lines = readFileSync(USER_DICT_PATH, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return Buffer.from(lines.join('\n') + '\n');
}

/** jieba with its bundled dictionary plus ours, built once per process. */
export function segmenter(): Jieba {
  if (!jieba) {
    jieba = Jieba.withDict(dict);
    jieba.loadDict(loadUserDict());
  }
  return jieba;
}

/**
 * Traditional characters and Taiwan vocabulary to mainland usage (OpenCC's twp: 軟體 → 软件, 網路 → 网络, 資訊 →
 * 信息), so a reader in Taipei finds the mainland story and a Taiwan-worded article is found by mainland words.
 */
const toSimplified = OpenCC.Converter({ from: 'twp', to: 'cn' });

/**
 * One form for indexing and querying: traditional → simplified (with Taiwan vocabulary), full-width → half-width,
 * lower case, punctuation and symbols → spaces. Both sides of a search go through this, so 國際 finds 国际, 網路 finds
 * 网络 and ＡＩ finds ai. (Changing it changes the index: `inkstone reindex` after an upgrade that does.)
 */
export function normalizeText(text: string): string {
  const halfWidth = text.normalize('NFKC');
  return toSimplified(halfWidth)
    .toLowerCase()
    .replace(/[\p{P}\p{S}\s]+/gu, ' ')
    .trim();
}

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
