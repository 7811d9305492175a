import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { normalizeText, segmenter } from '../../src/domain/nlp/segment.ts';
import { packSearchFields, preciseWords, prepareSearchFields, searchDocument, unknownRunGrams, unpackSearchFields } from '../../src/domain/search/document.ts';
import { gramPhrase, gramTokens, type GramPhrase } from '../../src/domain/search/grams.ts';
import { MAX_QUERY_CHARS, parseQuery, wordOrText } from '../../src/domain/search/query.ts';
import type { Term } from '../../src/domain/search/search-index.ts';
import { highlight, snippet } from '../../src/domain/search/snippet.ts';
import { corrections } from '../../src/domain/search/suggest.ts';
import { ftsExpression } from '../../src/storage/search/sqlite.ts';
import { documentVectors, recentMonths, tsqueryLiterals, tsvectorLiteral } from '../../src/storage/search/postgres.ts';

/** Does the phrase occur in the token list, as FTS5 and tsquery `<->` would find it? */
function phraseMatches(tokens: string[], { grams, prefix }: GramPhrase): boolean {
  for (let i = 0; i + grams.length <= tokens.length; i++) {
    const ok = grams.every((g, k) => {
      const t = tokens[i + k]!;
      return prefix && k === grams.length - 1 ? t.startsWith(g) : t === g;
    });
    if (ok) return true;
  }
  return false;
}

const show = (terms: Term[]): string[] => terms.map((t) => (t.kind === 'word' ? t.token : t.kind === 'text' ? `"${t.text}"` : `(${show(t.of).join('|')})`));

describe('search query parsing', () => {
  it('keeps whole words and drops the parts jieba adds in search mode', () => {
    expect(show(parseQuery('抗抑郁药物').terms)).toEqual(['抗抑郁', '药物']);
    expect(show(parseQuery('中关村 人工智能').terms)).toEqual(['中关村', '人工智能']);
  });

  it('turns adjacent single characters (a name jieba does not know) into one exact string', () => {
    expect(show(parseQuery('砚岚芯').terms)).toEqual(['"砚岚芯"']);
    expect(show(parseQuery('砚岚芯发布').terms)).toEqual(['"砚岚芯"', '发布']);
    expect(show(parseQuery('新冠疫苗').terms)).toEqual(['"新冠"', '疫苗']);
  });

  it('asks only for the subject of a question: question words, 有 and relative times are not required', () => {
    expect(show(parseQuery('上海今年有哪些地铁线路开通了').terms)).toEqual(['上海', '地铁', '线路', '开通']);
    expect(show(parseQuery('为什么房价上涨').terms)).toEqual(['房价', '上涨']);
    expect(show(parseQuery('新能源车有没有补贴').terms)).toEqual(['新能源', '车', '补贴']);
    // A question of nothing but question words still asks for them, rather than for nothing.
    expect(show(parseQuery('为什么').terms)).toEqual(['为什么']);
  });

  it('keeps function characters off the ends of a run of single characters (a name jieba does not know)', () => {
    expect(show(parseQuery('长江江豚数量回升了吗').terms)).toEqual(['长江', '江豚', '数量', '回升']);
    expect(show(parseQuery('砚岚芯的新手机').terms)).toEqual(['"砚岚芯"', '新手机']);
  });

  it('makes a word of the newsroom synonyms match any of its group, only where it is a whole word', () => {
    const groups = new Map([
      ['北大', ['北大', '北京大学']],
      ['北京大学', ['北京大学', '北大']],
      ['发改委', ['发改委', '国家发展和改革委员会']],
      ['国家发展和改革委员会', ['国家发展和改革委员会', '发改委']],
    ]);
    const synonyms = { groupOf: (w: string) => groups.get(w), longest: 10 };
    expect(show(parseQuery('北大 塑料', synonyms).terms)).toEqual(['(北大|北京大学)', '塑料']);
    expect(show(parseQuery('北京大学研发的塑料', synonyms).terms)).toEqual(['(北京大学|北大)', '研发', '塑料']);
    // A phrase that is not one word is matched as exact text.
    expect(show(parseQuery('發改委', synonyms).terms)).toEqual(['(发改委|"国家发展和改革委员会")']);
    // 北大 inside 东北大学 is not Peking University.
    expect(show(parseQuery('东北大学', synonyms).terms)).toEqual(['东北大学']);
    expect(parseQuery('北大', synonyms).highlights).toEqual(['北京大学', '北大']);
  });

  it('drops function characters when the query has other words, and keeps them when it has nothing else', () => {
    expect(show(parseQuery('中关村的人工智能').terms)).toEqual(['中关村', '人工智能']);
    expect(show(parseQuery('的').terms)).toEqual(['的']);
  });

  it('normalizes traditional, full-width and upper-case input like the index does', () => {
    expect(show(parseQuery('國際油價').terms)).toEqual(['国际', '油价']);
    expect(show(parseQuery('５Ｇ基站').terms)).toEqual(['5g', '基站']);
  });

  it('offers the whole parts as exact text when they differ from the words', () => {
    const q = parseQuery('研究生命');
    expect(q.fallback?.map((t) => t.kind === 'text' && t.text)).toEqual(['研究生命']);
    expect(parseQuery('砚岚芯').fallback).toBeUndefined();
  });

  it('makes query syntax plain words: operators, quotes and SQL never reach the stores as syntax', () => {
    for (const raw of ['NEAR(a b)', '"', '*', '-地铁', 'a OR b', "'; drop table articles; --", 'title:地铁', '{t}: x', '^地铁']) {
      const q = parseQuery(raw);
      for (const t of q.terms) {
        const token = t.kind === 'word' ? t.token : t.kind === 'text' ? t.phrase.grams.join('') : '-';
        expect(token).toMatch(/^[a-z0-9\u0080-\u{10ffff}]+$/u);
      }
    }
    expect(show(parseQuery('-"NEAR(" OR *').terms)).toEqual(['near', 'or']);
  });

  it('refuses queries over the length limit and survives lone surrogates and controls', () => {
    expect(() => parseQuery('地'.repeat(MAX_QUERY_CHARS + 1))).toThrow(DomainError);
    expect(parseQuery('地'.repeat(MAX_QUERY_CHARS)).terms.length).toBeGreaterThan(0);
    expect(parseQuery('\udfff\ud800\u0000').terms).toEqual([]);
    expect(show(parseQuery('地铁\ud800').terms)).toEqual(['地铁']);
  });
});

describe('did-you-mean corrections', () => {
  it('changes one character so that the query reads as fewer, longer words, same-sounding characters first', async () => {
    expect((await corrections('人工只能'))[0]).toEqual({ text: '人工智能', chunk: '人工只能', corrected: '人工智能' });
    expect((await corrections('流感疫描'))[0]?.text).toBe('流感疫苗');
    expect((await corrections('江城 地贴'))[0]).toEqual({ text: '江城 地铁', chunk: '地贴', corrected: '地铁' });
    expect(await corrections('量子引力')).toEqual([]);
    // Long parts and Latin words are left alone; the work is bounded whatever is typed.
    expect(await corrections('人'.repeat(40))).toEqual([]);
    expect(await corrections('abc xyz')).toEqual([]);
  });
});

describe('exact matching through grams', () => {
  const text = fc.string({ unit: fc.constantFrom(...Array.from('砚岚芯片国际江城地铁的a b5g')), maxLength: 30 });

  it('finds every contiguous substring of indexed text', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (s, i, j) => {
        const norm = normalizeText(s).replace(/ /g, '');
        const a = Math.min(i, j) % (norm.length + 1);
        const b = Math.min(norm.length, a + 1 + (Math.max(i, j) % 6));
        const sub = norm.slice(a, b);
        const phrase = gramPhrase(sub);
        if (!phrase || sub === '' || /^[a-z0-9]+$/.test(sub)) return true;
        // Latin words are whole tokens: a substring cutting one is not exact text.
        if (/[a-z0-9]/.test(norm[a - 1] ?? '') && /^[a-z0-9]/.test(sub)) return true;
        if (/[a-z0-9]/.test(norm[b] ?? '') && /[a-z0-9]$/.test(sub)) return true;
        expect(phraseMatches(gramTokens(norm), phrase)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('finds nothing that is not contiguous in the text', () => {
    fc.assert(
      fc.property(text, text, (s, t) => {
        const norm = normalizeText(s).replace(/ /g, '');
        const sub = normalizeText(t).replace(/ /g, '');
        const phrase = gramPhrase(sub);
        if (!phrase || phrase.grams.length === 0) return true;
        if (phraseMatches(gramTokens(norm), phrase)) expect(norm).toContain(sub.replace(/[a-z0-9]+$/, ''));
      }),
      { numRuns: 500 },
    );
  });

  it('cuts runs into bigrams and a last character, Latin words whole', () => {
    expect(gramTokens('砚岚芯 5g手机')).toEqual(['砚岚', '岚芯', '芯', '5g', '手机', '机']);
    expect(gramPhrase('芯')).toEqual({ grams: ['芯'], prefix: true });
    expect(gramPhrase('5g手机')).toEqual({ grams: ['5g', '手机'], prefix: false });
    expect(gramPhrase('手机5g')).toEqual({ grams: ['手机', '机', '5g'], prefix: false });
  });
});

describe('search documents', () => {
  it('indexes words and grams per field, and only the first part of a very long body', () => {
    const d = searchDocument({
      id: 1,
      title: '國際油價',
      subtitle: '',
      summary: '摘要',
      bodyText: '开头' + '长'.repeat(60_000) + '结尾',
      tags: ['能源'],
      channelId: 1,
      publishedAt: 5,
      updatedAt: 9,
    });
    expect(d.fields.title.words).toEqual(['国际', '油价']);
    expect(d.fields.tags.words).toEqual(['能源']);
    expect(d.fields.body.words).toContain('开头');
    expect(d.fields.body.words).not.toContain('结尾');
    expect(d.fields.body.grams.length).toBeLessThan(14_000);
    expect(d.publishedAt).toBe(5);
  });

  it("keeps a body's grams only where jieba knows no word, widened by a character, no phrase spanning two runs", () => {
    // 砚岚芯 and 岚汐 are cut one character at a time; 研发团队, 芯片 and 大桥 are words.
    const grams = unknownRunGrams(normalizeText('研发团队负责人砚岚芯表示，新一代芯片将量产。记者看到岚汐大桥合龙'));
    expect(grams).toEqual(['人砚', '砚岚', '岚芯', '芯表', '表', '到岚', '岚汐', '汐大', '大']);
    // No phrase runs from one run into the next (each ends with its last character alone): 表到 and 芯表到岚 are
    // in no text, while each run's own strings are found.
    for (const absent of ['表到', '芯表到岚', '表到岚汐', '表到岚汐大']) expect(phraseMatches(grams, gramPhrase(normalizeText(absent))!), absent).toBe(false);
    for (const present of ['砚岚芯表', '表', '到岚汐大', '岚汐', '大']) expect(phraseMatches(grams, gramPhrase(normalizeText(present))!), present).toBe(true);
    expect(unknownRunGrams(normalizeText('光伏电站并网发电'))).toEqual([]);
  });

  it('uses fields and a head worked out ahead (joined, as from a worker) only for the texts they were made of', () => {
    const article = {
      id: 1,
      title: '國際油價',
      subtitle: '',
      summary: '摘要',
      bodyText: '砚岚芯表示油价上涨',
      tags: ['能源 价格'],
      channelId: 1,
      publishedAt: 5,
      updatedAt: 9,
    };
    const fresh = searchDocument(article);
    const prepared = unpackSearchFields(packSearchFields(prepareSearchFields(article)));
    const reused = searchDocument(article, prepared);
    expect(reused.fields.body.wordText).toBe(fresh.fields.body.words.join(' '));
    expect(reused.fields.body.grams).toEqual(fresh.fields.body.grams);
    expect(reused.head).toBe(fresh.head);
    // The same tag text cut into other tags: the fields fit, the head (one tag per line) is made again.
    const retagged = { ...article, tags: ['能源', '价格'] };
    expect(searchDocument(retagged, prepared).head).toBe(searchDocument(retagged).head);
    expect(searchDocument(retagged).head).not.toBe(fresh.head);
    // Another title: neither is used.
    const retitled = { ...article, title: '油价' };
    expect(searchDocument(retitled, prepared).fields.title.words).toEqual(['油价']);
    expect(searchDocument(retitled, prepared).head).toBe(searchDocument(retitled).head);
  });

  it("reads jieba's precise words off its search-mode output, the same as segmenting again", () => {
    for (const text of [
      '北京大学的研究团队在中华人民共和国国家发展和改革委员会的支持下',
      '北京北京大学 abc123 砚岚芯表示，江城地铁9号线开通',
      '我们中出了一个叛徒',
      '',
    ]) {
      const normalized = normalizeText(text);
      const search = normalized === '' ? [] : segmenter().cutForSearch(normalized, false);
      expect(preciseWords(normalized, search), text).toEqual(normalized === '' ? [] : segmenter().cut(normalized, false));
      expect(unknownRunGrams(normalized, search)).toEqual(unknownRunGrams(normalized));
    }
    // Tokens that do not spell the text are no reading of it: the caller segments again.
    expect(preciseWords('北京大学', ['北京', '上海'])).toBeUndefined();
  });
});

describe('store query languages', () => {
  const terms: Term[] = [
    { kind: 'word', token: 'a"b' },
    { kind: 'text', text: "x'y", phrase: { grams: ["x'", "'y"], prefix: true } },
  ];

  it('quotes every FTS5 token, so nothing a reader types is FTS5 syntax', () => {
    expect(ftsExpression(terms)).toBe(`{t k s b} : "a""b" AND {gt gk gs gb} : "x' 'y" *`);
    expect(ftsExpression(terms.slice(0, 1), [3, 12])).toBe(`{t k s b} : "a""b" AND c : ("c3" OR "c12")`);
  });

  it('writes a synonym group as one OR of its words and exact texts, on both stores', () => {
    const any: Term = {
      kind: 'any',
      of: [
        { kind: 'word', token: '发改委' },
        { kind: 'text', text: '国家发展', phrase: gramPhrase('国家发展')! },
      ],
    };
    expect(ftsExpression([any, { kind: 'word', token: '保供' }])).toBe('({t k s b} : "发改委" OR {gt gk gs gb} : "国家 家发 发展") AND {t k s b} : "保供"');
    expect(tsqueryLiterals([any, { kind: 'word', token: '保供' }])).toEqual({
      words: `'保供'`,
      wordsLoose: `'保供'`,
      grams: undefined,
      gramsLoose: undefined,
      mixed: [{ words: `'发改委'`, wordsLoose: `'发改委'`, grams: `('国家' <-> '家发' <-> '发展')`, gramsLoose: `('国家' & '家发' & '发展')` }],
      ordered: true,
    });
    const words: Term = {
      kind: 'any',
      of: [
        { kind: 'word', token: '北大' },
        { kind: 'word', token: '北京大学' },
      ],
    };
    expect(tsqueryLiterals([words])).toMatchObject({ words: `('北大' | '北京大学')`, mixed: [], ordered: false });
  });

  it('finds exact text of dictionary words also as those words at their index distances (bodies keep no grams there)', () => {
    const term = wordOrText('国家发展和改革委员会')!;
    expect(term).toMatchObject({
      kind: 'text',
      words: [{ token: '国家' }, { token: '发展' }, { token: '和' }, { token: '改革' }, { token: '委员会', gap: 2 }],
    });
    expect(ftsExpression([term])).toBe(
      '({gt gk gs gb} : "国家 家发 发展 展和 和改 改革 革委 委员 员会" OR {t k s b} : NEAR("国家" "发展" "和" "改革" "委员会", 4))',
    );
    expect(tsqueryLiterals([term]).mixed).toEqual([
      {
        words: `('国家' <1> '发展' <1> '和' <1> '改革' <2> '委员会')`,
        wordsLoose: `('国家' & '发展' & '和' & '改革' & '委员会')`,
        grams: `('国家' <-> '家发' <-> '发展' <-> '展和' <-> '和改' <-> '改革' <-> '革委' <-> '委员' <-> '员会')`,
        gramsLoose: `('国家' & '家发' & '发展' & '展和' & '和改' & '改革' & '革委' & '委员' & '员会')`,
      },
    ]);
    // A name jieba does not know has no words to fall back on: grams only.
    expect(wordOrText('砚岚芯')).toEqual({ kind: 'text', text: '砚岚芯', phrase: gramPhrase('砚岚芯') });
  });

  it('quotes every tsquery and tsvector lexeme, and keeps positions within PostgreSQL limits', () => {
    expect(tsqueryLiterals(terms)).toEqual({
      words: `'a"b'`,
      wordsLoose: `'a"b'`,
      grams: `('x''' <-> '''y':*)`,
      gramsLoose: `('x''' & '''y':*)`,
      mixed: [],
      ordered: true,
    });
    expect(tsqueryLiterals(terms.slice(1), [3, 12])).toMatchObject({ words: `('c:3' | 'c:12')`, wordsLoose: `('c:3' | 'c:12')` });
    const many = Array.from({ length: 20_000 }, () => '词');
    const literal = tsvectorLiteral([['标题'], many]);
    expect(literal.startsWith(`'标题':1A '词':4B,5B`)).toBe(true);
    expect(literal.split(',').length).toBe(256);
    expect(tsvectorLiteral([['\\']])).toBe(`'\\\\':1A`);
    const doc = searchDocument({
      id: 7,
      title: '砚岚芯',
      subtitle: '',
      summary: '',
      bodyText: '芯片砚岚，光伏电站',
      tags: [],
      channelId: 4,
      publishedAt: 1,
      updatedAt: 1,
    });
    // A title keeps every gram; a body only those of the run jieba has no word for (砚岚, widened by 片), not 光伏电站's.
    expect(documentVectors(doc)).toEqual({
      words: `'砚':1A,11D '岚':2A,12D '芯':3A '芯片':10D '光伏':13D '电站':14D 'c:4' 'm:1970-01'`,
      grams: `'砚岚':1A,11D '岚芯':2A '芯':3A '片砚':10D '岚':12D`,
    });
    // Month lexemes let the newest matches of a common word come from its last months only.
    expect(recentMonths(Date.UTC(2026, 0, 15), 1)).toBe(`('m:2026-02' | 'm:2026-01' | 'm:2025-12')`);
  });
});

describe('snippets and highlighting', () => {
  it('escapes text and marks matches, also in traditional characters and full-width letters', () => {
    expect(highlight('國際油價<b>', ['国际'])).toBe('<mark>國際</mark>油價&lt;b&gt;');
    expect(highlight('全省ＡＩ算力', ['ai'])).toBe('全省<mark>ＡＩ</mark>算力');
  });

  it('marks Latin words only whole', () => {
    expect(highlight('ai said ai', ['ai'])).toBe('<mark>ai</mark> said <mark>ai</mark>');
  });

  it('picks the window with the most different matches and shows where text was cut', () => {
    const text = '甲'.repeat(300) + '地铁开通' + '乙'.repeat(50) + '暴雨地铁' + '丙'.repeat(300);
    const s = snippet(text, ['暴雨', '地铁'], 80)!;
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(s).toContain('<mark>暴雨</mark><mark>地铁</mark>');
    expect(snippet('没有关键词', ['地铁'])).toBeUndefined();
  });

  it('adds a shorter second passage for a mark that occurs only far away', () => {
    const text = '开通' + '甲'.repeat(500) + '地铁' + '乙'.repeat(500);
    const s = snippet(text, ['地铁', '开通'], 120)!;
    expect(s.startsWith('<mark>开通</mark>')).toBe(true);
    expect(s).toMatch(/^<mark>开通<\/mark>甲+…甲+<mark>地铁<\/mark>乙+…$/);
    expect(Array.from(s.replace(/<\/?mark>/g, '')).length).toBeLessThanOrEqual(120 + 60 + 2);
  });

  it('maps marks back to the characters as written: astral characters, lone surrogates, runs of spaces, expanding forms', () => {
    // 𠀀 is two UTF-16 units, one character; a lone surrogate shows as U+FFFD; white space runs as one space.
    expect(highlight('𠀀地铁\u3000\t 开通\ud800站', ['地铁', '开通'])).toBe('𠀀<mark>地铁</mark> <mark>开通</mark>\uFFFD站');
    // ㎏ normalizes to two letters (kg), ① to one digit: the mark covers the one character it came from.
    expect(highlight('单位：㎏，①号', ['kg'])).toBe('单位：<mark>㎏</mark>，①号');
    expect(highlight('①号线', ['1号线'])).toBe('<mark>①号线</mark>');
    // A window counts characters, not units: the astral characters before the mark are cut like any others.
    const s = snippet('𠀀'.repeat(100) + '地铁' + '𠀀'.repeat(100), ['地铁'], 20)!;
    expect(s).toMatch(/^…(𠀀)+<mark>地铁<\/mark>(𠀀)+…$/u);
    expect(Array.from(s.replace(/<\/?mark>|…/g, '')).length).toBe(20);
  });

  it('never lets markup through, whatever the text holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 5 }), (text, mark) => {
        const html = snippet(text + mark, [normalizeText(mark).replace(/ /g, '')]) ?? '';
        expect(html.replace(/<\/?mark>/g, '')).not.toMatch(/[<>"']/);
      }),
      { numRuns: 300 },
    );
  });
});
