import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../bench/search-corpus.ts';
import { bodyText } from '../../src/domain/articles/html.ts';
import { analyseArticle, ANALYSED_CHARS } from '../../src/domain/articles/related.ts';
import { jiebaDictionary } from '../../src/domain/nlp/libraries.ts';
import { normalizeText, segmenter, userDictionaryLines } from '../../src/domain/nlp/segment.ts';
import { contentWordCounts, dictionaryTag, isContentWord, NOUN_TAGS } from '../../src/domain/nlp/tfidf.ts';
import { prepareSearchFields, segmentBody } from '../../src/domain/search/document.ts';

/*
 * An import's workers cut a body once (jieba's search mode, for the index) and tag its words from jieba's dictionary
 * for related reading instead of asking jieba's tagger again. These tests hold that to jieba's own answers.
 */

const demo = (file: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../src/demo/${file}`, import.meta.url), 'utf8')) as { title: string; summary: string; tags: string[]; body: string }[]
  ).map((a) => ({ title: a.title, subtitle: '', summary: a.summary, tags: a.tags, bodyText: bodyText(a.body) }));

/** Texts that test the edges: Latin words and numbers, traditional characters, repeats, symbols, other scripts. */
const EDGES = [
  'iPhone 15 Pro发布会今天在cupertino举行，售价7999元起，A17芯片性能提升20%。',
  '臺灣的軟體工程師在網路上發表了關於資訊安全的文章。',
  '哈哈哈哈哈哈哈，北京北京大学大学生，中华人民共和国国务院总理。',
  'COVID-19疫苗接种率达到95.5%，第3针加强针C++ c# .net 5G 4k ai gpt-4o。',
  '東京の天気は晴れです。서울 날씨 맑음. Привет мир. 😀👍 ①②③ ㊣',
  '江城滨海新区管委会 地铁9号线 城市轨道交通 长江大桥 南京市长江大桥',
  '  \n\t 空白　全角　ＡＢＣ１２３ ',
  '',
];

function articlesOfCorpus(count: number) {
  const out = [];
  for (const a of corpus(count, { seed: 7 }).articles)
    out.push({ title: a.title, subtitle: '', summary: a.summary, tags: a.tags, bodyText: a.bodyParagraphs.join('\n') });
  return out;
}

describe("jieba's tags from its dictionary", () => {
  it("gives every dictionary word the tag jieba's tagger gives it when the word stands alone", () => {
    const jieba = segmenter();
    const words = new Set<string>();
    for (const line of [...jiebaDictionary().toString('utf8').split('\n'), ...userDictionaryLines()]) {
      const word = line.trim().split(/\s+/)[0];
      if (word) words.add(word);
    }
    let compared = 0;
    const wrong: string[] = [];
    for (const word of words) {
      const tagged = jieba.tag(word, false);
      if (tagged.length !== 1 || tagged[0]!.word !== word || !isContentWord(word)) continue;
      compared++;
      if (dictionaryTag(word) !== tagged[0]!.tag) wrong.push(`${word}: ${dictionaryTag(word)} ≠ ${tagged[0]!.tag}`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(300_000);
  });

  it("tags a body's content words as jieba's tagger does", () => {
    const jieba = segmenter();
    const texts = [...demo('articles-a.json'), ...demo('articles-b.json'), ...articlesOfCorpus(300)].map((a) => a.bodyText).concat(EDGES);
    let words = 0;
    for (const text of texts) {
      const normalized = normalizeText(text);
      const tagged = jieba.tag(normalized, false).map((t) => ({ word: t.word.trim(), tag: t.tag }));
      const content = tagged.filter((t) => t.word !== '' && isContentWord(t.word));
      const body = segmentBody(text);
      expect(body.words, text.slice(0, 40)).toEqual(jieba.cut(normalized, false));
      const ours = body.words!.map((w) => w.trim()).filter((w) => w !== '' && isContentWord(w));
      expect(
        ours.map((w) => `${w}/${dictionaryTag(w)}`),
        text.slice(0, 40),
      ).toEqual(content.map((t) => `${t.word}/${t.tag}`));
      const nouns = content.filter((t) => NOUN_TAGS.has(t.tag)).map((t) => t.word);
      const counts = new Map<string, number>();
      for (const w of nouns) counts.set(w, (counts.get(w) ?? 0) + 1);
      expect(contentWordCounts(body.words!, NOUN_TAGS), text.slice(0, 40)).toEqual(counts);
      words += nouns.length;
    }
    expect(words).toBeGreaterThan(20_000);
  });

  it('leaves to jieba a word it cannot tag from the dictionary, and guesses Latin words and numbers as jieba does', () => {
    expect(dictionaryTag('砚岚芯')).toBeUndefined();
    expect(contentWordCounts(['北京', '砚岚芯'], NOUN_TAGS)).toBeUndefined();
    expect(contentWordCounts(['北京', ' ', '砚岚芯', '北京', '的'], undefined)).toEqual(
      new Map([
        ['北京', 2],
        ['砚岚芯', 1],
      ]),
    );
    expect(dictionaryTag('inkstone')).toBe('eng');
    expect(dictionaryTag('2026')).toBe('m');
    expect(dictionaryTag('5g')).toBe(segmenter().tag('5g', false)[0]!.tag);
  });
});

describe('an import body cut once', () => {
  it('gives the same related-reading analysis and search fields as cutting it for each', () => {
    const articles = [...demo('articles-a.json'), ...demo('articles-b.json'), ...articlesOfCorpus(100)];
    articles.push(...EDGES.map((bodyText, i) => ({ title: `边界${i}`, subtitle: '', summary: '', tags: ['测试'], bodyText })));
    // A body past what related reading analyses: its analysis reads only the opening, so nothing is reused.
    articles.push({
      title: '长文',
      subtitle: '',
      summary: '',
      tags: [],
      bodyText: articles[0]!.bodyText.repeat(Math.ceil((ANALYSED_CHARS * 1.5) / articles[0]!.bodyText.length)),
    });
    // A lone surrogate: the search index reads the body made well-formed, related reading as it is.
    articles.push({ title: '代理', subtitle: '', summary: '', tags: [], bodyText: `江城地铁\ud800开通运营，滨海新区管委会宣布` });
    for (const a of articles) {
      const cut = segmentBody(a.bodyText);
      expect(analyseArticle(a, cut), a.title).toEqual(analyseArticle(a));
      expect(prepareSearchFields(a, cut), a.title).toEqual(prepareSearchFields(a));
    }
  });
});
