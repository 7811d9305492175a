import { describe, expect, it } from 'vitest';
import { normalizeText, searchTokens, words } from '../../src/domain/nlp/segment.ts';

describe('Chinese segmentation', () => {
  it('keeps newsroom terms from the user dictionary whole', () => {
    expect(searchTokens('怀柔科学城的大科学装置')).toEqual(expect.arrayContaining(['怀柔科学城', '大科学装置']));
    expect(words('专精特新企业登陆科创板')).toEqual(expect.arrayContaining(['专精特新', '科创板']));
  });

  it('gives the parts of long words in search mode', () => {
    expect(searchTokens('抗抑郁药物')).toEqual(expect.arrayContaining(['抑郁', '抗抑郁']));
    expect(searchTokens('中关村')).toEqual(expect.arrayContaining(['中关村']));
  });

  it('normalizes traditional characters, full-width forms, case and punctuation', () => {
    expect(normalizeText('國際科技創新中心')).toBe('国际科技创新中心');
    expect(normalizeText('ＡＩ大模型！GPT')).toBe('ai大模型 gpt');
    expect(searchTokens('臺灣')).toEqual(searchTokens('台湾'));
  });

  it('turns Hong Kong vocabulary into mainland words, only where it is a word in context', () => {
    expect(normalizeText('坐的士上班')).toBe('坐出租车上班');
    expect(normalizeText('電單車 短訊 手提電話 冷氣機')).toBe('摩托车 短信 手机 空调');
    expect(normalizeText('資訊科技')).toBe('信息技术');
    expect(normalizeText('資訊科技')).toBe(normalizeText('资讯科技'));
    expect(normalizeText('軟件')).toBe('软件');
    // 的士 inside 的士兵 (a soldier of…) is no taxi.
    expect(normalizeText('他的士兵')).toBe('他的士兵');
    expect(searchTokens('香港的士加價')).toEqual(expect.arrayContaining(['出租车']));
  });
});
