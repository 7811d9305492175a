import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Jieba from '@node-rs/jieba';
import type * as OpenCC from 'opencc-js';
import type * as PinyinPro from 'pinyin-pro';

/**
 * The language libraries, loaded on first use: a process that only serves readers (cached pages, live streams) never
 * segments or converts anything, and importing them costs memory before any request. Measured apart (node 22, RSS):
 * jieba's native addon ~11 MB and its dictionaries' buffers 11 MB (jieba/dict.js reads dict.txt and idf.txt at import
 * and keeps both), opencc-js 5.5 MB plus ~9 MB per converter, pinyin-pro ~9 MB. All are CommonJS (or ship a CommonJS
 * build), so `require` loads them synchronously where the first segmenter, converter or reading is made.
 */
const require = createRequire(import.meta.url);

export const jiebaLibrary = (): typeof Jieba => require('@node-rs/jieba') as typeof Jieba;
export const openCC = (): typeof OpenCC => require('opencc-js') as typeof OpenCC;
export const pinyinPro = (): typeof PinyinPro => require('pinyin-pro') as typeof PinyinPro;

/** jieba's bundled dictionary (dict.txt, 5 MB), read for the one who needs it and not kept (jieba copies it). */
export const jiebaDictionary = (): Buffer => readFileSync(require.resolve('@node-rs/jieba/dict.txt'));
/** jieba's IDF table (idf.txt, 6 MB), read for the IDF lookups (nlp/idf.ts keeps these bytes as its table). */
export const jiebaIdf = (): Buffer => readFileSync(require.resolve('@node-rs/jieba/idf.txt'));
