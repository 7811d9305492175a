import { describe, expect, it } from 'vitest';
import { bodyText, sanitizeBody } from '../../src/domain/articles/html.ts';
import { extractFigures } from '../../src/domain/nlp/figures.ts';
import { suggestKeywords } from '../../src/domain/nlp/keywords.ts';
import { extractSummary, sentences } from '../../src/domain/nlp/summary.ts';
import { length } from '../../src/domain/text.ts';
import { batteries, birds, scienceCityReport } from '../support/newsroom-texts.ts';

const text = (html: string) => bodyText(sanitizeBody(html));
const report = text(scienceCityReport.body);

describe('extractive summary', () => {
  it('picks whole sentences, lede first, within 120 characters, without the dateline', () => {
    expect(extractSummary(scienceCityReport.title, report)).toBe(
      '记者从砚湖科学城管委会获悉，科学城已成为全市创新密度最高的区域，平均每平方公里创造312亿元产值。' +
        '与此同时，科学城加快引育创新主体，新增国家级专精特新企业37家，技术合同成交额达到86亿元。',
    );
  });

  it('never cuts a sentence: every part of every summary is a sentence of the body, in body order', () => {
    for (const story of [birds.arrival, birds.tracking, birds.exhibition, batteries.plant, batteries.lab]) {
      const body = text(story.body);
      const all = sentences(body).map((s) => s.text);
      const summary = extractSummary(story.title, body);
      expect(length(summary)).toBeLessThanOrEqual(120);
      expect(summary).not.toBe('');
      const parts = summary.match(/[^。！？]+[。！？]+[”’」』）)"]*/gu)!;
      expect(parts.join('')).toBe(summary);
      const positions = parts.map((p) => all.indexOf(p));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    }
  });

  it('skips a sentence too long to fit instead of cutting it, and gives nothing when no sentence fits', () => {
    const long = `${'科学城的大科学装置集群建设全面提速，'.repeat(8)}成为创新策源地。`;
    expect(extractSummary('科学城', `${long}\n今年新增装置三台。`)).toBe('今年新增装置三台。');
    expect(extractSummary('科学城', long)).toBe('');
    // A heading or caption without end punctuation is no sentence.
    expect(sentences('第一部分\n图为灰鹤群\n湿地迎来候鸟。')).toEqual([{ text: '湿地迎来候鸟。', paragraph: 2, index: 0 }]);
  });

  it('keeps closing quotes with their sentence', () => {
    expect(sentences('市民说：“以后上班能省半小时。”记者随后走访了车站。').map((s) => s.text)).toEqual([
      '市民说：“以后上班能省半小时。”',
      '记者随后走访了车站。',
    ]);
  });
});

describe('keyword suggestions', () => {
  it('gives 5–10 nouns by TF-IDF, the title’s subject first', () => {
    const keywords = suggestKeywords(scienceCityReport.title, report);
    expect(keywords.length).toBeGreaterThanOrEqual(5);
    expect(keywords.length).toBeLessThanOrEqual(10);
    expect(keywords.slice(0, 2)).toEqual(['砚湖科学城', '科学城']);
    expect(keywords).toEqual(expect.arrayContaining(['专精特新', '人工智能']));
  });

  it('never suggests numbers, single characters, verbs or newsroom boilerplate', () => {
    for (const story of [scienceCityReport, birds.arrival, batteries.plant]) {
      const keywords = suggestKeywords(story.title, text(story.body));
      for (const k of keywords) {
        expect(length(k), k).toBeGreaterThanOrEqual(2);
        expect(k).not.toMatch(/^[\d.%]+$/);
      }
      expect(keywords).not.toEqual(expect.arrayContaining(['记者', '本报讯', '全市', '增长', '投入']));
    }
    expect(suggestKeywords('电池', text(batteries.plant.body))).toEqual(expect.arrayContaining(['动力电池', '产业园']));
  });

  it('writes Latin words as the text does', () => {
    expect(suggestKeywords('AI诊室', '社区医院启用AI诊室，AI助手帮助医生整理病历。')).toContain('AI');
  });
});

describe('key figures', () => {
  it('reads every figure of a report with its unit and what it measures', () => {
    expect(extractFigures(report)).toEqual([
      { value: '312亿元', label: '每平方公里产值' },
      { value: '26个', label: '科技设施平台' },
      { value: '21个', label: '设施平台' },
      { value: '1800多个', label: '科研团队' },
      { value: '11.5%', label: '企业总收入同比增长' },
      { value: '4.2个百分点', label: '增速高出' },
      { value: '37家', label: '专精特新企业' },
      { value: '86亿元', label: '成交额' },
    ]);
  });

  it('labels with the noun after the number, or the nearest noun phrase and its change before it', () => {
    const cases: [string, { value: string; label: string }[]][] = [
      ['新区平均每平方公里创造520亿元产值。', [{ value: '520亿元', label: '每平方公里产值' }]],
      ['园区已布局的19个科技设施平台全部开放。', [{ value: '19个', label: '科技设施平台' }]],
      ['全市规模以上企业总收入同比增长6%。', [{ value: '6%', label: '企业总收入同比增长' }]],
      ['1至10月，全市新能源汽车产量达到12.5万辆。', [{ value: '12.5万辆', label: '新能源汽车产量' }]],
      [
        '项目总投资约120亿元，通勤时间缩短20分钟。',
        [
          { value: '120亿元', label: '项目总投资' },
          { value: '20分钟', label: '通勤时间缩短' },
        ],
      ],
      ['居民人均可支配收入达5.2万元。', [{ value: '5.2万元', label: '居民人均可支配收入' }]],
      ['新工艺的能耗比传统湿法冶金降低三成。', [{ value: '三成', label: '能耗降低' }]],
      ['男子组冠军以2小时9分的成绩打破赛会纪录。', [{ value: '2小时9分', label: '成绩' }]],
      ['今年新开1,200家书店。', [{ value: '1,200家', label: '书店' }]],
      ['增速比上年同期提高1.2个百分点。', [{ value: '1.2个百分点', label: '增速提高' }]],
      ['全市森林覆盖率达到百分之四十五。', [{ value: '百分之四十五', label: '森林覆盖率' }]],
    ];
    for (const [sentence, expected] of cases) expect(extractFigures(sentence), sentence).toEqual(expected);
  });

  it('skips dates, ordinals, line numbers, product names and counts without a measured thing', () => {
    for (const sentence of [
      '2026年5月3日上午9时，地铁9号线开通。',
      '第35届读书节开幕，第3天迎来高峰。',
      '5G基站和G20峰会同期启用。',
      '他一个人完成了这项工作，三家单位表示支持。',
      '千万不要在湿地燃放鞭炮。',
      '纪念活动迎来70周年。',
    ]) {
      expect(extractFigures(sentence), sentence).toEqual([]);
    }
  });

  it('reads full-width digits and keeps at most eight figures', () => {
    expect(extractFigures('全年接待游客１２万人次。')).toEqual([{ value: '12万人次', label: '游客' }]);
    const many = Array.from({ length: 12 }, (_, i) => `第${i + 1}片区新建${i + 2}座公园。`).join('');
    expect(extractFigures(many)).toHaveLength(8);
  });
});
