import { readFileSync } from 'node:fs';
import { isTag, isText, type ChildNode } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { cleanPastedHtml } from '../../src/admin/editor/paste.ts';
import { isNumberedMarker, listDefinitions } from '../../src/admin/editor/word-lists.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/paste/${name}`, import.meta.url), 'utf8');

/** The structure the editor's schema will read: lists, items, paragraphs, tables and marks, with their text. */
function shape(html: string): string {
  const keep = new Set(['ol', 'ul', 'li', 'p', 'table', 'tr', 'th', 'td', 'strong', 'em', 'b', 'i']);
  const walk = (nodes: ChildNode[]): string =>
    nodes
      .map((n) => {
        if (isText(n))
          return n.data
            .replace(/&nbsp;/g, ' ')
            .replace(/\s+/g, ' ')
            .trim();
        if (!isTag(n)) return '';
        const inner = walk(n.children);
        if (!keep.has(n.name)) return inner;
        const span = n.attribs.colspan ? ` colspan=${n.attribs.colspan}` : '';
        return `<${n.name}${span}>${inner}</${n.name}>`;
      })
      .join('');
  return walk(parseDocument(cleanPastedHtml(html), { decodeEntities: false }).children);
}

describe('pasting from Word', () => {
  it('turns Word for Windows list paragraphs (<![if !supportLists]> markers) into nested numbered and bulleted lists', () => {
    expect(shape(fixture('word-windows-lists.html'))).toBe(
      '<p>市政府常务会议研究了三项工作：</p>' +
        '<ol><li><p>老旧小区改造<b>年内完工</b></p><ol><li><p>东城区42个小区</p></li><li><p>西城区17个小区</p></li></ol></li>' +
        '<li><p>地铁12号线开通</p></li><li><p>防汛准备</p></li></ol>' +
        '<p>会议要求：</p>' +
        '<ul><li><p>压实责任</p><ul><li><p>每周通报进度</p></li></ul></li><li><p>公开&lt;接受监督&gt;</p></li></ul>',
    );
    // Escaped text stays escaped: the converter never turns pasted text into markup.
    expect(cleanPastedHtml(fixture('word-windows-lists.html'))).toContain('&lt;</span><span>接受监督</span><span lang="EN-US">&gt;');
  });

  it('reads the <!--[if !supportLists]--> form too, three levels deep, and asks the list definitions when an item has no marker text', () => {
    // Level 3 has no marker text; its @list definition has no mso-level-number-format, which Word means as decimal.
    expect(shape(fixture('word-mac-lists.html'))).toBe(
      '<ul><li><p>早高峰限行</p><ul><li><p>外地号牌</p><ol><li><p>工作日7时至9时</p></li></ol></li></ul></li><li><p>晚高峰不变</p></li></ul><p>（完）</p>',
    );
  });

  it('keeps no trace of Word: no marker, conditional comment, o:p, VML, class or style', () => {
    for (const name of ['word-windows-lists.html', 'word-mac-lists.html', 'word-table.html', 'google-docs.html']) {
      const out = cleanPastedHtml(fixture(name));
      expect(out).not.toMatch(/mso-|supportLists|<!|o:p|v:shape|imagedata|\sstyle=|data-mso-marker|\uf0d8|●|Times New Roman/);
      // No marker text survives in front of an item.
      expect(out).not.toMatch(/<li><p>\s*(\d+\.|[a-z]\)|·|o\s)/);
    }
  });

  it('does not let a supportLists conditional swallow the content up to a later <![endif]-->', () => {
    const html =
      '<p style="mso-list:l0 level1 lfo1"><!--[if !supportLists]--><span style="mso-list:Ignore">1.</span><!--[endif]-->甲</p>' +
      '<p>中间的段落</p><!--[if gte vml 1]><v:shape></v:shape><![endif]--><p>结尾</p>';
    expect(shape(html)).toBe('<ol><li><p>甲</p></li></ol><p>中间的段落</p><p>结尾</p>');
  });

  it('starts a new list for another Word list, and a sibling list when numbering turns into bullets at the same level', () => {
    const item = (list: string, level: number, marker: string, text: string) =>
      `<p class=MsoListParagraphCxSpMiddle style='mso-list:${list} level${level} lfo1'><![if !supportLists]><span style='mso-list:Ignore'>${marker}<span>&nbsp;</span></span><![endif]>${text}</p>\n`;
    const html = item('l0', 1, '1.', '一') + item('l0', 1, '2.', '二') + item('l1', 1, '1.', '甲') + item('l1', 1, '·', '乙') + item('l1', 3, '(1)', '深');
    expect(shape(html)).toBe('<ol><li><p>一</p></li><li><p>二</p></li></ol><ol><li><p>甲</p></li></ol><ul><li><p>乙</p><ol><li><p>深</p></li></ol></li></ul>');
  });

  it('keeps Word tables as clean tables: cells, spans and text, no widths or styles', () => {
    expect(shape(fixture('word-table.html'))).toBe(
      '<table><tr><td><p><b>区</b></p></td><td><p><b>户数</b></p></td></tr><tr><td><p>东城</p></td><td><p>1,204</p></td></tr>' +
        '<tr><td colspan=2><p>合计另表</p></td></tr></table><p></p>',
    );
    expect(cleanPastedHtml(fixture('word-table.html'))).not.toMatch(/\s(style|width)=/);
  });

  it('tidies Google Docs: no all-bold wrapper, sublists inside their item, bold and italic kept, column widths gone', () => {
    expect(shape(fixture('google-docs.html'))).toBe(
      '<p><strong>通报要点</strong>如下</p><ol><li><p>用水</p><ol><li><p><em>阶梯水价</em></p></li></ol></li><li><p>用电</p></li></ol>' +
        '<table><tr><td><p>月份</p></td><td><p>用量</p></td></tr></table>',
    );
    expect(cleanPastedHtml(fixture('google-docs.html'))).not.toMatch(/docs-internal-guid|colgroup/);
  });

  it('leaves HTML that is not from an office suite as it was, entities included', () => {
    const html = '<p>一段 &amp; <a href="https://example.com/?a=1&amp;b=2">链接</a></p><ul><li>项</li></ul>';
    expect(cleanPastedHtml(html)).toBe(html);
  });

  it('tells numbers from bullets by the marker', () => {
    for (const m of ['1.', '12)', '(3)', '（四）', '一、', 'a.', 'iv.', 'B)', '①', '1.2.', '3．']) expect(isNumberedMarker(m), m).toBe(true);
    for (const m of ['·', 'o', '§', '\uf0d8', '\uf0b7', '●', '■', '-', '', '•']) expect(isNumberedMarker(m), m).toBe(false);
  });

  it('reads the list definitions of the pasted <style>', () => {
    const defs = listDefinitions(fixture('word-windows-lists.html'));
    expect(defs.get('l0:1')).toBe(true);
    expect(defs.get('l0:2')).toBe(true);
    expect(defs.get('l1:1')).toBe(false);
  });

  it('pastes markup nested too deep to convert as it came, instead of failing the paste', () => {
    const html = `${'<div>'.repeat(20_000)}<p>深处</p>${'</div>'.repeat(20_000)}`;
    expect(cleanPastedHtml(html)).toContain('<p>深处</p>');
  });

  it('stays fast on a long Word paste (2,000 list items)', () => {
    const items = Array.from(
      { length: 2000 },
      (_, i) =>
        `<p class=MsoListParagraphCxSpMiddle style='mso-list:l0 level${(i % 3) + 1} lfo1'><![if !supportLists]><span style='mso-list:Ignore'>${i}.<span>&nbsp;</span></span><![endif]>第${i}项<o:p></o:p></p>`,
    ).join('\n');
    const started = performance.now();
    const out = cleanPastedHtml(items);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.match(/<li>/g)).toHaveLength(2000);
  });
});
