import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conflictCount, joinBlocks, mergeBlocks, mergeContent, resolveMerge, splitBlocks, type Content } from '../../src/admin/merge.ts';

const p = (text: string) => `<p>${text}</p>`;
const html = (...texts: string[]) => texts.map((t) => (t.startsWith('<') ? t : p(t))).join('');

const FIELDS = { title: '江城地铁6号线二期开通', summary: '全长21公里', tags: '江城，地铁' };
const content = (body: string, fields: Partial<typeof FIELDS> = {}): Content<keyof typeof FIELDS> => ({ fields: { ...FIELDS, ...fields }, body });

/** Merges bodies only; returns the merged HTML (mine where a conflict is left) and the number of conflicts. */
function merge(base: string, mine: string, theirs: string) {
  const m = mergeContent(content(base), content(mine), content(theirs));
  return { body: resolveMerge(m).body, conflicts: conflictCount(m), merge: m };
}

describe('splitting a body into blocks', () => {
  it('cuts top-level elements, and lists and quotes into their tags and children', () => {
    const body =
      '<h2>标题</h2>\n<p>第一段<strong>加粗</strong>。</p>' +
      '<figure><img src="/media/a.jpg" alt="a>b" loading="lazy"><figcaption>图注</figcaption></figure>' +
      '<ul><li><p>甲</p></li><li><p>乙</p><ul><li><p>乙一</p></li></ul></li></ul>' +
      '<ol start="3"><li><p>丙</p></li></ol>' +
      '<blockquote><p>引文一</p><p>引文二</p></blockquote>';
    expect(splitBlocks(body)).toEqual([
      '<h2>标题</h2>',
      '<p>第一段<strong>加粗</strong>。</p>',
      '<figure><img src="/media/a.jpg" alt="a>b" loading="lazy"><figcaption>图注</figcaption></figure>',
      '<ul>',
      '<li><p>甲</p></li>',
      '<li><p>乙</p><ul><li><p>乙一</p></li></ul></li>',
      '</ul>',
      '<ol start="3">',
      '<li><p>丙</p></li>',
      '</ol>',
      '<blockquote>',
      '<p>引文一</p>',
      '<p>引文二</p>',
      '</blockquote>',
    ]);
  });

  it('round-trips: joining the blocks gives the body back (without whitespace between blocks)', () => {
    const body = '<p>一</p><ul><li><p>甲</p></li></ul><blockquote><p>引</p></blockquote><p>二<br>行</p>';
    expect(joinBlocks(splitBlocks(body))).toBe(body);
    expect(splitBlocks('')).toEqual([]);
    expect(splitBlocks('散字<p>段</p>')).toEqual(['散字', '<p>段</p>']);
  });

  it('repairs what a merge may leave: stray items get a list, empty lists go, unclosed ones close', () => {
    expect(joinBlocks(['<li><p>甲</p></li>', '<p>段</p>'])).toBe('<ul><li><p>甲</p></li></ul><p>段</p>');
    expect(joinBlocks(['<ul>', '</ul>', '<p>段</p>'])).toBe('<p>段</p>');
    expect(joinBlocks(['<ol>', '<li><p>甲</p></li>'])).toBe('<ol><li><p>甲</p></li></ol>');
    expect(joinBlocks(['</ul>', '<p>段</p>'])).toBe('<p>段</p>');
    expect(joinBlocks(['<ul>', '<li><p>甲</p></li>', '<p>段</p>', '</ul>'])).toBe('<ul><li><p>甲</p></li></ul><p>段</p>');
  });
});

describe('three-way merge of an article', () => {
  const base = html('第一段。', '第二段。', '第三段。', '第四段。');

  it('merges edits of different paragraphs', () => {
    const r = merge(base, html('第一段，王编辑改。', '第二段。', '第三段。', '第四段。'), html('第一段。', '第二段。', '第三段，李编辑改。', '第四段。'));
    expect(r.conflicts).toBe(0);
    expect(r.body).toBe(html('第一段，王编辑改。', '第二段。', '第三段，李编辑改。', '第四段。'));
  });

  it('merges edits of neighbouring paragraphs', () => {
    const r = merge(base, html('第一段。', '第二段改。', '第三段。', '第四段。'), html('第一段。', '第二段。', '第三段改。', '第四段。'));
    expect(r.conflicts).toBe(0);
    expect(r.body).toBe(html('第一段。', '第二段改。', '第三段改。', '第四段。'));
  });

  it('takes the same edit made on both sides once, without a conflict', () => {
    const same = html('第一段。', '第二段，两人改得一样。', '第三段。', '第四段。');
    const r = merge(base, same, same);
    expect(r.conflicts).toBe(0);
    expect(r.body).toBe(same);
    // …also when one side changed more besides.
    const more = merge(base, same, html('第一段。', '第二段，两人改得一样。', '第三段。', '第四段，又改。'));
    expect(more.conflicts).toBe(0);
    expect(more.body).toBe(html('第一段。', '第二段，两人改得一样。', '第三段。', '第四段，又改。'));
  });

  it('merges insertions and deletions of blocks at different places', () => {
    const mine = html('新导语。', '第一段。', '第二段。', '第三段。', '第四段。', '<figure><img src="/media/x.jpg" alt=""></figure>');
    const theirs = html('第一段。', '第三段。', '插入的段落。', '第四段。');
    const r = merge(base, mine, theirs);
    expect(r.conflicts).toBe(0);
    expect(r.body).toBe(html('新导语。', '第一段。', '第三段。', '插入的段落。', '第四段。', '<figure><img src="/media/x.jpg" alt=""></figure>'));
  });

  it('puts an insertion next to a paragraph the other side edited', () => {
    const r = merge(base, html('第一段。', '第二段。', '新段落。', '第三段。', '第四段。'), html('第一段。', '第二段。', '第三段改。', '第四段。'));
    expect(r.conflicts).toBe(0);
    expect(r.body).toBe(html('第一段。', '第二段。', '新段落。', '第三段改。', '第四段。'));
  });

  it('deletes a block both sides deleted, and overlapping deletions, without a conflict', () => {
    const both = merge(base, html('第一段。', '第三段。', '第四段。'), html('第一段。', '第三段。', '第四段改。'));
    expect(both.conflicts).toBe(0);
    expect(both.body).toBe(html('第一段。', '第三段。', '第四段改。'));
    const overlapping = merge(base, html('第一段。', '第四段。'), html('第一段。', '第二段。', '第四段。'));
    expect(overlapping.conflicts).toBe(0);
    expect(overlapping.body).toBe(html('第一段。', '第四段。'));
  });

  it('reports the same paragraph changed differently as a conflict, keeping everything else merged', () => {
    const mine = html('第一段。', '第二段，我的改法。', '第三段。', '第四段，我也改了。');
    const theirs = html('第零段。', '第一段。', '第二段，对方的改法。', '第三段。', '第四段。');
    const r = merge(base, mine, theirs);
    expect(r.conflicts).toBe(1);
    expect(r.merge.bodyConflicts).toEqual([{ key: 'body:0', base: [p('第二段。')], mine: [p('第二段，我的改法。')], theirs: [p('第二段，对方的改法。')] }]);
    expect(resolveMerge(r.merge, { 'body:0': 'mine' }).body).toBe(html('第零段。', '第一段。', '第二段，我的改法。', '第三段。', '第四段，我也改了。'));
    expect(resolveMerge(r.merge, { 'body:0': 'theirs' }).body).toBe(html('第零段。', '第一段。', '第二段，对方的改法。', '第三段。', '第四段，我也改了。'));
  });

  it('reports an edit of a paragraph the other side deleted, and two insertions at one place, as conflicts', () => {
    const deleted = merge(base, html('第一段。', '第三段。', '第四段。'), html('第一段。', '第二段改。', '第三段。', '第四段。'));
    expect(deleted.merge.bodyConflicts).toEqual([{ key: 'body:0', base: [p('第二段。')], mine: [], theirs: [p('第二段改。')] }]);
    const inserted = merge(
      base,
      html('第一段。', '我加的。', '第二段。', '第三段。', '第四段。'),
      html('第一段。', '他加的。', '第二段。', '第三段。', '第四段。'),
    );
    expect(inserted.merge.bodyConflicts).toEqual([{ key: 'body:0', base: [], mine: [p('我加的。')], theirs: [p('他加的。')] }]);
    expect(resolveMerge(inserted.merge, { 'body:0': 'both' }).body).toBe(html('第一段。', '我加的。', '他加的。', '第二段。', '第三段。', '第四段。'));
  });

  it('merges different items of one list, and keeps the list whole when one side removes an item', () => {
    const list = (...items: string[]) => `<ul>${items.map((i) => `<li><p>${i}</p></li>`).join('')}</ul>`;
    const b = html('导语。', list('甲', '乙', '丙'));
    const r = merge(b, html('导语。', list('甲改', '乙', '丙')), html('导语。', list('甲', '乙', '丙改', '丁')));
    expect(r.conflicts).toBe(0);
    expect(r.body).toBe(html('导语。', list('甲改', '乙', '丙改', '丁')));
    const emptied = merge(b, html('导语。', list('乙', '丙')), html('导语。', list('甲', '乙')));
    expect(emptied.body).toBe(html('导语。', list('乙')));
  });

  it('merges fields one by one: each side’s own changes, the same change once, different changes as conflicts', () => {
    const same = (f: string, a: string, b: string) => (f === 'tags' ? a.split(/[,，]/).join() === b.split(/[,，]/).join() : a === b);
    const m = mergeContent(
      content(base),
      content(base, { title: '我改的标题', summary: '两人一样的摘要', tags: '江城,地铁' }),
      content(base, { title: '对方改的标题', summary: '两人一样的摘要' }),
      same,
    );
    expect(m.fieldConflicts).toEqual([{ key: 'field:title', field: 'title', base: FIELDS.title, mine: '我改的标题', theirs: '对方改的标题' }]);
    expect(m.fields.summary).toBe('两人一样的摘要');
    // Tags typed with another comma are the same tags: mine are kept as typed.
    expect(m.fields.tags).toBe('江城,地铁');
    expect(resolveMerge(m, { 'field:title': 'theirs' }).fields.title).toBe('对方改的标题');
    const theirsOnly = mergeContent(content(base), content(base), content(base, { summary: '对方的摘要' }));
    expect(conflictCount(theirsOnly)).toBe(0);
    expect(resolveMerge(theirsOnly).fields.summary).toBe('对方的摘要');
  });

  it('never loses a side’s change without a conflict, and is theirs when mine is unchanged (property)', () => {
    const para = fc.constantFrom('甲', '乙', '丙', '丁', '戊', '己').map(p);
    const edit = (xs: string[]) =>
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('keep', 'del', 'edit', 'ins')), { maxLength: 4 }).map((ops) => {
        const out = [...xs];
        for (const [n, op] of ops) {
          const i = out.length ? n % out.length : 0;
          if (op === 'del' && out.length) out.splice(i, 1);
          else if (op === 'edit' && out.length) out[i] = out[i]!.replace('</p>', `改${n % 7}</p>`);
          else if (op === 'ins') out.splice(i, 0, p(`新${n % 7}`));
        }
        return out;
      });
    fc.assert(
      fc.property(
        fc.array(para, { maxLength: 6 }).chain((b) => fc.tuple(fc.constant(b), edit(b), edit(b))),
        ([b, mine, theirs]) => {
          const [B, M, T] = [b.join(''), mine.join(''), theirs.join('')];
          expect(merge(B, B, T).body).toBe(T);
          expect(merge(B, M, B).body).toBe(M);
          expect(merge(B, M, M).body).toBe(M);
          const r = merge(B, M, T);
          if (r.conflicts > 0) return;
          // Without conflicts every block either side added is in the result.
          for (const block of [...mine, ...theirs].filter((x) => !b.includes(x))) expect(r.body).toContain(block);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('merge blocks directly', () => {
  it('handles empty bases and sides', () => {
    expect(mergeBlocks([], ['<p>甲</p>'], [])).toEqual([{ blocks: ['<p>甲</p>'] }]);
    expect(mergeBlocks(['<p>甲</p>'], [], [])).toEqual([]);
  });
});
