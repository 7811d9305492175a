import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyText, countReadingUnits, sanitizeBody } from '../../src/domain/articles/html.ts';
import { jsonForHtml } from '../../src/web/public/view.ts';

describe('article HTML allowlist', () => {
  const cases: [string, string, string][] = [
    ['script tags and their text', '<p>a</p><script>alert(1)</script>', '<p>a</p>'],
    ['event handlers', '<p onclick="x()" onmouseover="y()">a</p>', '<p>a</p>'],
    ['javascript: links', '<p><a href="javascript:alert(1)">x</a></p>', '<p><a rel="noopener noreferrer nofollow">x</a></p>'],
    ['JaVaScRiPt: with entities', '<p><a href="jav&#x61;script:alert(1)">x</a></p>', '<p><a rel="noopener noreferrer nofollow">x</a></p>'],
    ['data: images', '<p>a<img src="data:image/svg+xml;base64,PHN2Zz4="></p>', '<p>a</p>'],
    ['protocol-relative images', '<p>a<img src="//evil.example/x.png"></p>', '<p>a</p>'],
    ['iframes', '<iframe src="https://x.example"></iframe><p>a</p>', '<p>a</p>'],
    ['inline SVG', '<svg><circle r="1"/><script>1</script></svg><p>a</p>', '<p>a</p>'],
    ['styles and style attributes', '<style>p{}</style><p style="color:red">a</p>', '<p>a</p>'],
    ['forms', '<form action="/x"><input name="a"><button>b</button></form><p>a</p>', 'b<p>a</p>'],
    ['h1 becomes h2', '<h1>标题</h1>', '<h2>标题</h2>'],
    ['b and i become strong and em', '<p><b>粗</b><i>斜</i></p>', '<p><strong>粗</strong><em>斜</em></p>'],
    [
      'external links get rel',
      '<p><a href="https://example.com" target="_blank">x</a></p>',
      '<p><a href="https://example.com" rel="noopener noreferrer nofollow">x</a></p>',
    ],
    [
      'figures survive',
      '<figure><img src="/media/a.jpg" alt="图"><figcaption>说明</figcaption></figure>',
      '<figure><img src="/media/a.jpg" alt="图" loading="lazy" decoding="async" /><figcaption>说明</figcaption></figure>',
    ],
    ['lists and quotes survive', '<ul><li>一</li></ul><blockquote><p>引</p></blockquote>', '<ul><li>一</li></ul><blockquote><p>引</p></blockquote>'],
  ];
  it.each(cases)('removes or rewrites %s', (_name, input, output) => {
    expect(sanitizeBody(input)).toBe(output);
  });

  it('keeps a paragraph whose only content is an image inside a link or a dropped wrapper', () => {
    expect(sanitizeBody('<p><a href="https://a.example/full.jpg"><img src="https://a.example/small.jpg"></a></p>')).toBe(
      '<p><a href="https://a.example/full.jpg" rel="noopener noreferrer nofollow"><img src="https://a.example/small.jpg" loading="lazy" decoding="async" /></a></p>',
    );
    expect(sanitizeBody('<p><span><img src="https://a.example/b.jpg"></span></p>')).toContain('<img src="https://a.example/b.jpg"');
    // Still noise: a paragraph whose image has no usable source, or with nothing at all.
    expect(sanitizeBody('<p><a href="https://a.example/"><img src="javascript:alert(1)"></a></p><p>&nbsp;</p><p>字</p>')).toBe('<p>字</p>');
  });

  it('keeps preformatted text (a code listing, <pre> alone) with its line breaks, indentation and escapes', () => {
    const listing = '<pre><code>function 合计(a, b) {\n  if (a &lt; b) {\n\treturn a + b;\n  }\n}</code></pre>';
    expect(sanitizeBody(`<p>代码如下：</p>${listing}<p>（完）</p>`)).toBe(`<p>代码如下：</p>${listing}<p>（完）</p>`);
    expect(sanitizeBody('<pre>  第一行\n    第二行\n\n末行</pre>')).toBe('<pre>  第一行\n    第二行\n\n末行</pre>');
    // Only the elements: a language class, styles and handlers go as everywhere else; inline code stays code.
    expect(sanitizeBody('<pre class="wp-block-code" style="tab-size:8"><code class="language-js" onclick="x()">a</code></pre>')).toBe(
      '<pre><code>a</code></pre>',
    );
    expect(sanitizeBody('<p>运行 <code>npm test</code> 即可</p>')).toBe('<p>运行 <code>npm test</code> 即可</p>');
    // Its text is searched like any block's, on lines of its own, apart from the paragraphs around it.
    expect(bodyText(sanitizeBody(`<p>代码如下：</p>${listing}<p>（完）</p>`))).toBe(
      '代码如下：\nfunction 合计(a, b) {\nif (a < b) {\nreturn a + b;\n}\n}\n（完）',
    );
  });

  it('derives plain text with a line per block and entities decoded', () => {
    expect(bodyText('<h2>一、总体</h2><p>甲&amp;乙 &lt;丙&gt;</p><ul><li>第一</li><li>第二</li></ul>')).toBe('一、总体\n甲&乙 <丙>\n第一\n第二');
  });

  it('counts Chinese characters and Latin words for reading time', () => {
    expect(countReadingUnits('北京 AI 大模型 GPT4 发布')).toBe(9);
    // Words end at CJK characters and at any other character; CJK compatibility ideographs count, full-width Latin does not.
    expect(countReadingUnits('5G基站AI-2025年，ＡＩ\u{20000}豈')).toBe(7);
  });

  it('counts as the character classes it was first written with', () => {
    const byRegex = (text: string) =>
      (text.match(/[\u3400-\u9fff\uf900-\ufaff]/g)?.length ?? 0) + (text.replace(/[\u3400-\u9fff\uf900-\ufaff]/g, ' ').match(/[A-Za-z0-9]+/g)?.length ?? 0);
    const unit = fc.constantFrom(...Array.from('北京砚豈AZaz09 _-，。\nＡ\u33ff\ua000\uf8ff\ufb00'), '\u{20000}');
    fc.assert(fc.property(fc.string({ unit, maxLength: 60 }), (text) => countReadingUnits(text) === byRegex(text)));
  });
});

describe('JSON for a page script element', () => {
  it('can neither close the element nor start markup, and reads back the same', () => {
    const value = { headline: '标题</script><script>alert(1)</script><!-- & \u2028\u2029 >', n: 3 };
    const json = jsonForHtml(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
