import { describe, expect, it } from 'vitest';
import { bodyText, MAX_CELL_SPAN, sanitizeBody } from '../../src/domain/articles/html.ts';
import { withScrollingTables } from '../../src/web/public/html.ts';

describe('tables in article bodies', () => {
  it('keeps table, caption, thead, tbody, tr, th and td, without styles, widths, borders or handlers', () => {
    const html =
      '<table style="width:900px" border="1" class="MsoTableGrid" onclick="x()"><caption style="color:red">二〇二六年用水</caption>' +
      '<thead><tr style="height:3px"><th width="100" align="left" scope="col">区</th><th>户数</th></tr></thead>' +
      '<tbody><tr><td valign="top" bgcolor="red"><p>东城</p></td><td data-colwidth="20">1,204</td></tr></tbody></table>';
    expect(sanitizeBody(html)).toBe(
      '<table><caption>二〇二六年用水</caption><thead><tr><th>区</th><th>户数</th></tr></thead>' +
        '<tbody><tr><td><p>东城</p></td><td>1,204</td></tr></tbody></table>',
    );
  });

  it('keeps colspan and rowspan only as whole numbers from 2 to the bound', () => {
    const cell = (attrs: string) => sanitizeBody(`<table><tr><td ${attrs}>x</td></tr></table>`).match(/<td[^>]*>/)![0];
    expect(cell('colspan="2" rowspan="3"')).toBe('<td colspan="2" rowspan="3">');
    expect(cell('colspan="1" rowspan="1"')).toBe('<td>');
    expect(cell(`colspan="99999999" rowspan="${MAX_CELL_SPAN + 1}"`)).toBe(`<td colspan="${MAX_CELL_SPAN}" rowspan="${MAX_CELL_SPAN}">`);
    for (const bad of ['colspan="-3"', 'colspan="2.5"', 'colspan="abc"', 'colspan="0"', 'colspan="1e9"', 'colspan="99999999999999999999"', 'rowspan=""']) {
      expect(cell(bad), bad).toBe('<td>');
    }
  });

  it('refuses what hides in tables: scripts, styles, event handlers and javascript: links', () => {
    const html =
      '<table><tr><td><script>alert(1)</script><style>td{}</style><a href="javascript:alert(1)" onmouseover="x">链</a>' +
      '<img src="x" onerror="alert(1)"></td></tr><colgroup><col width="500"></colgroup></table>';
    const out = sanitizeBody(html);
    expect(out).not.toMatch(/script|style|alert|javascript|onerror|onmouseover|colgroup|<col/);
    expect(out).toContain('<td><a rel="noopener noreferrer nofollow">链</a>');
  });

  it('gives each cell its own line of plain text, for search and summaries', () => {
    expect(bodyText(sanitizeBody('<p>表一</p><table><caption>题</caption><tr><th>区</th><th>户</th></tr><tr><td>东城</td><td>12</td></tr></table>'))).toBe(
      '表一\n题\n区\n户\n东城\n12',
    );
  });

  it('puts each table of a sanitized body in a box that scrolls sideways on the reader page', () => {
    const body = sanitizeBody('<p>前</p><table><tr><td>一</td></tr></table><table><tr><td><table><tr><td>内</td></tr></table></td></tr></table>');
    const out = withScrollingTables(body);
    expect(out.match(/<div class="table-scroll" role="region" aria-label="表格" tabindex="0"><table>/g)).toHaveLength(3);
    expect(out.match(/<\/table><\/div>/g)).toHaveLength(3);
    expect(withScrollingTables('<p>&lt;table&gt;</p>')).toBe('<p>&lt;table&gt;</p>');
  });
});
