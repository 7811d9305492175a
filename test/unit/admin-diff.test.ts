import { describe, expect, it } from 'vitest';
import { diffParagraphs, diffTokens, tokens } from '../../src/admin/diff.ts';
import { cleanPastedHtml } from '../../src/admin/editor/paste.ts';

const render = (pieces: { op: string; text: string }[]) =>
  pieces.map((p) => (p.op === 'eq' ? p.text : p.op === 'del' ? `[-${p.text}-]` : `{+${p.text}+}`)).join('');

describe('revision diff', () => {
  it('marks inserted and deleted characters in Chinese text', () => {
    expect(render(diffTokens(tokens('江城地铁今日开通'), tokens('江城地铁3号线今日正式开通')))).toBe('江城地铁{+3号线+}今日{+正式+}开通');
    expect(render(diffTokens(tokens('今年产值886亿元'), tokens('今年产值912亿元')))).toBe('今年产值[-886-]{+912+}亿元');
  });

  it('keeps Latin words and numbers whole', () => {
    expect(tokens('AI医生2026年')).toEqual(['AI', '医', '生', '2026', '年']);
  });

  it('returns the same text when nothing changed, and handles empty sides', () => {
    expect(diffTokens(tokens('不变'), tokens('不变'))).toEqual([{ op: 'eq', text: '不变' }]);
    expect(render(diffTokens([], tokens('新增')))).toBe('{+新增+}');
    expect(render(diffTokens(tokens('删除'), []))).toBe('[-删除-]');
  });

  it('pairs a replaced paragraph into one changed line; whole new or removed paragraphs stay whole', () => {
    const lines = diffParagraphs(['第一段。', '第二段原文。', '第三段。'], ['第一段。', '第二段改后。', '第三段。', '第四段。']);
    expect(lines.map((l) => [l.op, render(l.pieces)])).toEqual([
      ['eq', '第一段。'],
      ['change', '第二段[-原文-]{+改后+}。'],
      ['eq', '第三段。'],
      ['ins', '{+第四段。+}'],
    ]);
  });

  it('always rebuilds both sides from its pieces', () => {
    const a = tokens('砚台新闻报道：江城湿地公园开园，候鸟栖息地扩大一倍。');
    const b = tokens('砚台日报消息：江城湿地公园正式开园，候鸟栖息地面积扩大了一倍！');
    const pieces = diffTokens(a, b);
    expect(
      pieces
        .filter((p) => p.op !== 'ins')
        .map((p) => p.text)
        .join(''),
    ).toBe(a.join(''));
    expect(
      pieces
        .filter((p) => p.op !== 'del')
        .map((p) => p.text)
        .join(''),
    ).toBe(b.join(''));
  });
});

describe('pasted HTML clean-up', () => {
  it("drops Word's conditional comments, styles, o:p and list bullets", () => {
    const word =
      '<html><head><meta charset="utf-8"><style>p.MsoNormal{margin:0}</style><!--[if gte mso 9]><xml><w:WordDocument/></xml><![endif]--></head>' +
      '<body><p class="MsoListParagraph" style="mso-list:l0 level1 lfo1"><span style="mso-list:Ignore">1.<span style="font:7.0pt">&nbsp;</span></span>第一条<o:p></o:p></p></body></html>';
    const out = cleanPastedHtml(word);
    expect(out).not.toMatch(/mso 9|<style|<xml|<o:p|<meta|1\./);
    expect(out).toContain('第一条');
  });

  it('gives WeChat lazy images their real source', () => {
    const wechat =
      '<section><img class="rich_pages" data-ratio="0.66" src="data:image/gif;base64,AAAA" data-src="https://mmbiz.qpic.cn/abc/640?wx_fmt=jpeg" data-type="jpeg"></section>';
    expect(cleanPastedHtml(wechat)).toMatch(/<img src="https:\/\/mmbiz\.qpic\.cn\/abc\/640\?wx_fmt=jpeg"/);
    expect(cleanPastedHtml(wechat)).not.toContain('data:image');
  });

  it('drops inline styles and event handlers before the browser parses them', () => {
    const out = cleanPastedHtml(`<p style="color:red" class=x onclick="steal()">正文</p><img src="https://a.example/p.jpg" onerror='x()' STYLE=width:1px>`);
    // The list pass writes attributes quoted: the same markup.
    expect(out).toBe('<p class="x">正文</p><img src="https://a.example/p.jpg">');
  });

  it('maps headings the editor does not have onto the ones it has', () => {
    expect(cleanPastedHtml('<h1>大标题</h1><h5>小</h5><h6>更小</h6>')).toBe('<h2>大标题</h2><h4>小</h4><h4>更小</h4>');
  });
});
