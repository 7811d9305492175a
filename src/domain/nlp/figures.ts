import { length } from '../text.ts';
import { segmenter } from './segment.ts';
import { NOUN_TAGS, type TaggedWord } from './tfidf.ts';

/** A key figure for a fact box: the number with its unit as written, and what it measures. */
export interface KeyFigure {
  value: string;
  label: string;
}

export const FIGURES_MAX = 8;

const DIGITS = String.raw`\d+(?:,\d{3})*(?:\.\d+)?`;
const HAN_DIGITS = '零〇一二两三四五六七八九';
const HAN_NUMBER = `[${HAN_DIGITS}十百千]+(?:点[${HAN_DIGITS}]+)?`;
/** Magnitudes after the number: 12.5万, 3亿, 1.2万亿. */
const MAGNITUDE = '(?:万亿|千亿|百亿|千万|百万|十万|万|亿)?';

/** Units and measure words, longest first so 平方公里 wins over 公里 and 亿元 is read whole. */
const UNITS = [
  '个百分点',
  '百分点',
  '%',
  '‰',
  '倍',
  '成',
  '美元',
  '欧元',
  '港元',
  '元',
  '平方公里',
  '平方千米',
  '平方米',
  '立方米',
  '公顷',
  '千米',
  '公里',
  '厘米',
  '毫米',
  '米',
  '亩',
  '千瓦时',
  '千瓦',
  '兆瓦',
  '吉瓦',
  '度',
  '吨',
  '千克',
  '公斤',
  '克',
  '升',
  '标准箱',
  '人次',
  '架次',
  '车次',
  '辆',
  '台',
  '套',
  '家',
  '个',
  '项',
  '座',
  '所',
  '人',
  '名',
  '位',
  '户',
  '条',
  '件',
  '部',
  '艘',
  '架',
  '次',
  '场',
  '款',
  '种',
  '张',
  '间',
  '栋',
  '处',
  '只',
  '头',
  '株',
  '棵',
  '本',
  '册',
  '篇',
  '份',
  '批',
  '支',
  '根',
  // 2小时9分 reads as one duration.
  '小时(?:\\d+分钟?)?',
  '分钟',
  '秒钟',
  '天',
  '周',
  '岁',
];

/** Nothing that continues a number, a Latin token or an ordinal may stand right before a figure: 第35个, G20, H7N9. */
const NOT_BEFORE = `(?<![\\dA-Za-z.第${HAN_DIGITS}十百千万亿])`;
const FIGURE = new RegExp(`${NOT_BEFORE}(?:(百分之[${HAN_DIGITS}十点]+)|(${DIGITS}|${HAN_NUMBER})(${MAGNITUDE})(多|余)?(${UNITS.join('|')}))`, 'gu');

/** Units after which a Chinese-numeral value of one character is still a figure (三成, 两倍); 一个 or 三家 is not. */
const RATIO_UNITS = new Set(['成', '倍', '个百分点', '百分点']);

/** Measure words that news copy uses so often after numbers that the counting reading wins: 3个人, 150多人参加. */
const CLASSIFIERS = new Set([
  '个',
  '家',
  '项',
  '座',
  '辆',
  '台',
  '套',
  '人',
  '名',
  '位',
  '户',
  '条',
  '件',
  '次',
  '天',
  '倍',
  '成',
  '元',
  '吨',
  '亩',
  '艘',
  '架',
]);

/** Words between a measured thing and its number that are no part of the label: 产量达到12万辆 → 产量. */
const LINKING = new Set([
  '达到',
  '达',
  '为',
  '是',
  '已有',
  '拥有',
  '约',
  '约为',
  '超过',
  '超',
  '突破',
  '逾',
  '近',
  '将近',
  '接近',
  '共',
  '共计',
  '合计',
  '总计',
  '累计',
  '已',
  '已经',
  '将',
  '有',
  '仅',
  '只有',
  '占',
  '至',
  '到',
  '高达',
  '多达',
  '不少于',
  '至少',
]);

/** Words that say how the number moved; they belong in the label: 总收入同比增长8%. */
const CHANGE = new Set([
  '同比',
  '环比',
  '比上年',
  '较上年',
  '比去年',
  '较去年',
  '年均',
  '平均',
  '增长',
  '下降',
  '提高',
  '提升',
  '增加',
  '减少',
  '降低',
  '上涨',
  '下跌',
  '扩大',
  '缩小',
  '缩短',
  '延长',
  '回升',
  '回落',
  '上升',
  '高出',
  '高于',
  '低于',
  '超出',
  '分别',
]);

/** Measured things that jieba tags as verbs in news copy (收入/v, 增速/v); for labels they are nouns. */
const MEASURE_NOUNS = new Set(['收入', '增速', '增幅', '降幅', '就业', '投资', '出口', '进口', '消费', '营收', '销售', '产出', '增量', '存量', '降水']);

const MAX_LABEL_NOUNS = 2;
const MAX_LABEL_CHARS = 16;

function nounish(w: TaggedWord): boolean {
  if (/^\d/.test(w.word) || CHANGE.has(w.word)) return false;
  // j: abbreviations such as 通勤 or 人均 name things in news copy.
  return NOUN_TAGS.has(w.tag) || w.tag === 'j' || MEASURE_NOUNS.has(w.word);
}

/** Statistical terms jieba cuts apart (可/支配/收入); joined again, they label a figure whole. */
const COMPOUNDS = ['人均可支配收入', '可支配收入', '地区生产总值', '社会消费品零售总额', '固定资产投资', '进出口总额', '规模以上'];

function tag(text: string): TaggedWord[] {
  if (text.trim() === '') return [];
  const words = segmenter()
    .tag(text, false)
    .map(({ word, tag }) => ({ word: word.trim(), tag }))
    .filter((w) => w.word !== '');
  const out: TaggedWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const merged = mergeCompound(words, i);
    if (merged) {
      out.push({ word: merged.word, tag: 'n' });
      i = merged.end;
    } else out.push(words[i]!);
  }
  return out;
}

function mergeCompound(words: TaggedWord[], start: number): { word: string; end: number } | undefined {
  for (const compound of COMPOUNDS) {
    let joined = '';
    for (let j = start; j < words.length && joined.length < compound.length; j++) {
      joined += words[j]!.word;
      if (joined === compound && j > start) return { word: compound, end: j };
    }
  }
  return undefined;
}

/** 每平方公里 or 每万人 just before the number: the figure is a rate, and the label must say per what. */
function ratePrefix(before: TaggedWord[]): string {
  const at = before.map((w) => w.word).lastIndexOf('每');
  if (at < 0) return '';
  const unit: string[] = [];
  for (const w of before.slice(at + 1)) {
    if (w.tag.startsWith('v') || LINKING.has(w.word)) break;
    unit.push(w.word);
  }
  return unit.length > 0 && unit.length <= 2 ? '每' + unit.join('') : '';
}

/** The noun right after the value (37个科技设施平台, 886亿元产值), skipping a 的; empty when a verbal noun or nothing follows. */
function labelAfter(after: TaggedWord[]): string {
  let i = 0;
  if (after[0]?.word === '的') i = 1;
  const first = after[i];
  // 投资120亿元建设… — a verbal noun right after is the next action, not the measured thing.
  if (!first || !nounish(first) || first.tag === 'vn') return '';
  const nouns: string[] = [];
  for (; i < after.length && nounish(after[i]!) && nouns.length < 3; i++) nouns.push(after[i]!.word);
  return nouns.join('');
}

/** The nearest noun phrase before the value, with the change words that follow it (总收入同比增长). */
function labelBefore(before: TaggedWord[]): string {
  let i = before.length - 1;
  const change: string[] = [];
  // Adverbs, prepositions and time words between (比上年同期, 已) are skipped; change words are kept.
  while (i >= 0) {
    const w = before[i]!;
    if (CHANGE.has(w.word)) change.unshift(w.word);
    else if (!(LINKING.has(w.word) || ['d', 'p', 't', 'b'].includes(w.tag))) break;
    i--;
  }
  let nouns = nounPhraseEndingAt(before, i);
  // 能耗比传统工艺降低三成: the nouns after 比 are what it is compared with; the measured thing comes before 比.
  let j = i - nouns.words;
  while (j >= 0 && j > i - nouns.words - 3 && (['a', 'b', 'r', 'm'].includes(before[j]!.tag) || nounish(before[j]!))) j--;
  if (nouns.words > 0 && j >= 0 && ['比', '较', '相比'].includes(before[j]!.word)) nouns = nounPhraseEndingAt(before, j - 1);
  if (nouns.words === 0) return '';
  return nouns.text + change.join('');
}

/** Up to two nouns ending at index `end`, a one-character distinguishing word kept with its noun (总投资). */
function nounPhraseEndingAt(words: TaggedWord[], end: number): { text: string; words: number } {
  const parts: string[] = [];
  let i = end;
  while (i >= 0 && parts.length < MAX_LABEL_NOUNS && nounish(words[i]!)) {
    let phrase = words[i--]!.word;
    if (i >= 0 && words[i]!.tag === 'b' && length(words[i]!.word) === 1) phrase = words[i--]!.word + phrase;
    parts.unshift(phrase);
  }
  return { text: parts.join(''), words: end - i };
}

/**
 * Key figures by rule: a number (digits or Chinese numerals, with 万/亿) followed by a unit or measure word, labelled
 * with the nearest noun phrase of its clause. Dates, ordinals (第3), line numbers (9号线) and bare numbers are skipped.
 */
export function extractFigures(text: string, max = FIGURES_MAX): KeyFigure[] {
  const figures: KeyFigure[] = [];
  const seen = new Set<string>();
  const halfWidth = text.replace(/[０-９．％]/g, (c) => c.normalize('NFKC'));
  for (const clause of halfWidth.split(/[，。；！？：;!?\n（）()、“”"]+|,(?!\d{3})|:(?!\d)/u)) {
    for (const m of clause.matchAll(FIGURE)) {
      const [whole, inWords, number = '', magnitude = '', , unit = ''] = m;
      if (!inWords) {
        const isHan = !/\d/.test(number);
        if (isHan && !/[一二两三四五六七八九]/.test(number)) continue;
        if (isHan && length(number) === 1 && !magnitude && !RATIO_UNITS.has(unit)) continue;
      }
      const start = m.index;
      const rest = clause.slice(start + whole.length);
      // A one-character unit that opens a longer word is no unit: 3度过, 5克服, 2升级.
      if (length(unit) === 1 && !CLASSIFIERS.has(unit) && /^\p{Script=Han}/u.test(rest) && length(tag(unit + rest)[0]?.word ?? '') > 1) continue;
      const afterWords = tag(rest);
      const beforeWords = tag(clause.slice(0, start));
      let label = labelAfter(afterWords);
      if (label !== '') label = ratePrefix(beforeWords) + label;
      else label = labelBefore(beforeWords);
      if (label === '' || length(label) > MAX_LABEL_CHARS) continue;
      const key = `${whole}|${label}`;
      if (seen.has(key)) continue;
      seen.add(key);
      figures.push({ value: whole, label });
      if (figures.length >= max) return figures;
    }
  }
  return figures;
}
