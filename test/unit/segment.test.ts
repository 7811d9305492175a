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
});
