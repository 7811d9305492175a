import { describe, expect, it } from 'vitest';
import { wrapLines } from '../../src/web/public/poster.ts';

describe('poster text wrapping', () => {
  it('fits Chinese text to the width, Latin at half width', () => {
    expect(wrapLines('一二三四五六七八九十', 4, 9)).toEqual(['一二三四', '五六七八', '九十']);
    expect(wrapLines('ABCDEFGH一二', 4, 9)).toEqual(['ABCDEFG', 'H一二']);
  });

  it('never starts a line with closing punctuation or ends one with an opening quote', () => {
    expect(wrapLines('一二三四，五六', 4, 9)).toEqual(['一二三四，', '五六']);
    expect(wrapLines('一二三“四五”六', 4, 9)).toEqual(['一二三', '“四五”', '六']);
  });

  it('ends with an ellipsis when the text is cut', () => {
    expect(wrapLines('一二三四五六七八九十', 4, 2)).toEqual(['一二三四', '五六七…']);
  });
});
