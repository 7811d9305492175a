import { checkRow, EXPORTED_TABLES } from '../../src/storage/transfer.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oldAddressesOf, oldUrlKey, oldUrlKeysOfRequest } from '../../src/transfer/old-urls.ts';
import { detectFormat, readSource, SourceCheck, type SourceItem } from '../../src/transfer/source.ts';
import { isOldSiteImage, uploadCandidates } from '../../src/transfer/uploads.ts';
import { autop, convertWordPressBody, derivedTitle, plainTitle } from '../../src/transfer/wp-body.ts';
import { sanitizeBody } from '../../src/domain/articles/html.ts';
import { ImportFileError } from '../../src/transfer/xml.ts';

/** The importer's parts that need no database: WordPress bodies, titles, old addresses, image paths, feed reading. */

const write = (name: string, text: string | Buffer) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'inkstone-transfer-')), name);
  writeFileSync(file, text);
  return file;
};

async function items(file: string): Promise<SourceItem[]> {
  const format = await detectFormat(file);
  if (format === 'inkstone') throw new Error('archive');
  const out: SourceItem[] = [];
  for await (const r of readSource(file, format)) if (r.kind === 'item') out.push(r.item);
  return out;
}

describe('WordPress bodies', () => {
  it('makes paragraphs of blank lines and <br> of single newlines, never inside <pre> or between blocks', () => {
    expect(autop('第一段\n第二行\n\n第二段')).toBe('<p>第一段<br>\n第二行</p>\n<p>第二段</p>');
    expect(autop('<pre>a\n\nb</pre>\n\n段落')).toBe('<pre>a\n\nb</pre>\n<p>段落</p>');
    expect(autop('<ul>\n<li>一</li>\n<li>二</li>\n</ul>\n文字')).toBe('<ul>\n<li>一</li>\n<li>二</li>\n</ul>\n<p>文字</p>');
    expect(autop('')).toBe('');
  });

  it('shows a [code] or [sourcecode] listing as preformatted code, brackets and angle brackets as written', () => {
    const c = convertWordPressBody(
      '示例：\n\n[code language="python"]\ndef first(a):\n    if len(a) &lt; 1:\n        return None\n\n    return a[0]\n[/code]\n\n' +
        '[sourcecode lang="html"]<p class="x">[gallery]</p>[/sourcecode]\n后文',
    );
    expect(c.html).toBe(
      '<p>示例：</p>\n<pre><code>def first(a):\n    if len(a) &lt; 1:\n        return None\n\n    return a[0]</code></pre>\n' +
        '<pre><code>&lt;p class="x"&gt;[gallery]&lt;/p&gt;</code></pre>\n<p>后文</p>',
    );
    expect(c.droppedShortcodes.size).toBe(0);
    // The listing reaches readers as text: nothing in it becomes markup.
    expect(sanitizeBody(c.html)).toContain('<pre><code>&lt;p class="x"&gt;[gallery]&lt;/p&gt;</code></pre>');
  });

  it("keeps a classic post's code block as written through the conversion and the article sanitizer", () => {
    const code = '<pre><code>for (let i = 0; i &lt; 3; i++) {\n  console.log(i);\n\n  // 空行之后\n}</code></pre>';
    const { html } = convertWordPressBody(`下面是示例代码：\n${code}\n\n第二段\n第二行`);
    expect(html).toBe(`<p>下面是示例代码：</p>\n${code}\n<p>第二段<br>\n第二行</p>`);
    // What readers get: the listing's newlines and indentation, no <p> or <br> inside it.
    expect(sanitizeBody(html)).toBe(`<p>下面是示例代码：</p>\n${code}\n<p>第二段<br />\n第二行</p>`);
  });

  it('turns [caption] into a figure and [gallery] into its images, drops other shortcodes, keeps bracketed text', () => {
    const attachments = new Map([['5', 'https://old.example.com/wp-content/uploads/2020/01/a.jpg']]);
    const c = convertWordPressBody(
      '[caption id="attachment_9" align="alignnone" width="300"]<a href="x.jpg"><img src="x-300x200.jpg" /></a> 图说[/caption]\n\n' +
        '正文 [注] [1] [embed]https://v.example/1[/embed] [contact-form to="a@b"] [foo bar="1"]里面的字[/foo]\n\n[gallery ids="5,6"]',
      attachments,
    );
    expect(c.html).toContain('<figure><a href="x.jpg"><img src="x-300x200.jpg" /></a>');
    expect(c.html).toContain('<figcaption>图说</figcaption>');
    expect(c.html).toContain('正文 [注] [1]');
    expect(c.html).toContain('里面的字');
    expect(c.html).toContain('<img src="https://old.example.com/wp-content/uploads/2020/01/a.jpg" alt="">');
    expect(c.html).not.toMatch(/\[(embed|contact-form|foo|gallery|caption)/);
    expect(Object.fromEntries(c.droppedShortcodes)).toEqual({ embed: 1, 'contact-form': 1, foo: 1 });
    expect(c.missingGalleryIds).toEqual(['6']);
  });

  it('converts a hostile body in time that grows with its length, not its square (the import runs in the server)', () => {
    // Each of these took 10 s to minutes before (a 480 KB upload held the server's event loop for 31 s); at the 8 M
    // characters a record may have, hours. Linear now: a few milliseconds to a few hundred each.
    const hostile: Record<string, string> = {
      'unclosed block comments': '<!-- wp:'.repeat(60_000),
      'unclosed more markers': '<!--more'.repeat(60_000),
      'unclosed <pre>': '<pre>'.repeat(60_000),
      'unclosed shortcode brackets': '[a '.repeat(40_000),
      'distinct unclosed shortcodes': Array.from({ length: 30_000 }, (_, i) => `[s${i} a=1]文字`).join(''),
      'closing tags with nothing open': `${Array.from({ length: 30_000 }, (_, i) => `[s${i} a=1]`).join('')}${'[/zz]'.repeat(30_000)}`,
      'a paragraph of single lines': '行\n'.repeat(200_000),
      'a run of spaces': `a${' '.repeat(400_000)}\nb`,
    };
    for (const [name, body] of Object.entries(hostile)) {
      const started = performance.now();
      convertWordPressBody(body);
      expect([name, performance.now() - started < 3000]).toEqual([name, true]);
    }
  });

  it('unwinds enclosing shortcodes at any depth: no tag of them reaches a reader', () => {
    const depth = 30;
    const nested = `${Array.from({ length: depth }, (_, i) => `[box${i} class="x"]`).join('')}正文${Array.from({ length: depth }, (_, i) => `[/box${depth - 1 - i}]`).join('')}`;
    const c = convertWordPressBody(nested);
    expect(c.html).toBe('<p>正文</p>');
    expect(c.droppedShortcodes.size).toBe(depth);
    // Crossed pairs and self-closing tags go too; a closing tag with nothing open and bracketed text stay as written.
    expect(convertWordPressBody('[a][b][/a][/b]甲 [foo/] [bar x=1 /] 乙[/note] [注]').html).toBe('<p>甲   乙[/note] [注]</p>');
  });

  it('removes block-editor comments and leaves block bodies their own paragraphs; shortcodes inside <pre> stay', () => {
    const c = convertWordPressBody('<!-- wp:paragraph -->\n<p>块一</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:code --><pre>[gallery]\n\nx</pre><!-- /wp:code -->');
    expect(c.html).not.toContain('wp:');
    expect(c.html).toContain('<p>块一</p>');
    expect(c.html).toContain('<pre>[gallery]\n\nx</pre>');
    expect(c.html).not.toContain('<br>');
  });

  it('gives titles as text and derives one from the body', () => {
    expect(plainTitle('Markup: Title <em>With</em> <b>Mark<sup>up</sup></b> &amp; &#x4e2d;&#25991;')).toBe('Markup: Title With Markup & 中文');
    expect(derivedTitle('江城新区今年完成道路改造。第二句话。')).toBe('江城新区今年完成道路改造。');
    expect(derivedTitle('This post has no title, but it still must link to the single post view. Second.')).toBe('This post has no title, but i…');
    expect(derivedTitle('')).toBe('');
  });
});

describe('old addresses', () => {
  it('meet in one form whatever the spelling: percent-encoding of either case, trailing slash, query form', () => {
    const chinese = oldUrlKey('/2020/01/02/%E4%B8%AD%E6%96%87/');
    expect(chinese).toBe('/2020/01/02/中文');
    expect(oldUrlKey('/2020/01/02/%e4%b8%ad%e6%96%87')).toBe(chinese);
    expect(oldUrlKeysOfRequest('/2020/01/02/中文/?utm_source=wx#top')).toEqual([chinese]);
    expect(oldUrlKeysOfRequest('/?p=123')).toEqual(['?p=123']);
    expect(oldUrlKeysOfRequest('/index.php?p=0123&x=1')[0]).toBe('?p=123');
    expect(oldUrlKeysOfRequest('/')).toEqual([]);
    expect(oldUrlKeysOfRequest('/bad/%E4%B8')).toEqual(oldUrlKeysOfRequest('/bad/%e4%b8'));
    expect(oldUrlKeysOfRequest(`/${'a'.repeat(2000)}`)).toEqual([]);
    // The request's path as sent: dot segments and backslashes read as the stored links were (by the URL parser).
    for (const [link, asked] of [
      ['https://old.example/2020/../news/a/', '/2020/../news/a/'],
      ['https://old.example/2020/%2e%2e/news/a/', '/2020/%2E%2E/news/a/'],
      ['https://old.example/news\\a/', '/news\\a/'],
      ['https://old.example//news//a/', '//news//a/'],
    ] as [string, string][])
      expect(oldUrlKeysOfRequest(asked)).toEqual([oldAddressesOf({ link, guid: '', postId: '' }, 'https://old.example')[0]]);
  });

  it("of a site installed in a folder: ?p=<id> asked in that folder (/blog/?p=123), a ?p= elsewhere still finds the path's post", () => {
    const post = { link: 'https://old.example.com/blog/2010/10/05/a/', guid: 'https://old.example.com/blog/?p=418', postId: '1153' };
    expect(oldAddressesOf(post, 'https://old.example.com/blog')).toEqual(['/blog/2010/10/05/a', '/blog?p=1153', '/blog?p=418']);
    expect(oldAddressesOf(post, 'https://old.example.com/blog/')).toEqual(['/blog/2010/10/05/a', '/blog?p=1153', '/blog?p=418']);
    for (const url of ['/blog/?p=1153', '/blog?p=01153', '/blog/index.php?p=1153&utm_source=x', '/Blog/?p=1153'])
      expect(oldUrlKeysOfRequest(url)[0]).toBe('/blog?p=1153');
    expect(oldUrlKeysOfRequest('/blog/2010/10/05/a/?p=9')).toContain('/blog/2010/10/05/a');
  });

  it('of a post: its link, ?p=<id>, and its guid when that is on the same site', () => {
    const post = { link: 'https://old.example.com/2010/10/05/a/', guid: 'https://old.example.com/?p=418', postId: '1153' };
    expect(oldAddressesOf(post, 'https://old.example.com')).toEqual(['/2010/10/05/a', '?p=1153', '?p=418']);
    expect(oldAddressesOf({ ...post, guid: 'http://elsewhere.example/?p=9' }, 'https://old.example.com')).toEqual(['/2010/10/05/a', '?p=1153']);
  });
});

describe('images of the old site', () => {
  it('name their original in the uploads folder, whatever variant the body used', () => {
    expect(uploadCandidates('https://old.example.com/wp-content/uploads/2020/05/photo-300x200.jpg?w=604')).toEqual([
      '2020/05/photo.jpg',
      '2020/05/photo-300x200.jpg',
    ]);
    expect(uploadCandidates('https://site.files.wordpress.com/2008/06/canola2.jpg?w=604')).toEqual(['2008/06/canola2.jpg']);
    expect(isOldSiteImage('https://old.example.com/wp-content/uploads/a.png', 'https://old.example.com')).toBe(true);
    expect(isOldSiteImage('https://www.old.example.com/wp-content/uploads/a.png', 'https://old.example.com')).toBe(true);
    expect(isOldSiteImage('https://cdn.other.example/a.png', 'https://old.example.com')).toBe(false);
    expect(isOldSiteImage('https://old.example.com/page/', 'https://old.example.com')).toBe(false);
  });
});

describe('reading files', () => {
  it('tells the formats apart by their content, not their names', async () => {
    expect(await detectFormat(write('feed.txt', '<?xml version="1.0"?>\n<!-- c -->\n<rss version="2.0"><channel></channel></rss>'))).toBe('rss');
    expect(await detectFormat(write('x.rss', '<feed xmlns="http://www.w3.org/2005/Atom"></feed>'))).toBe('atom');
    expect(await detectFormat(write('a.xml', '<rss xmlns:wp="http://wordpress.org/export/1.0/"><channel/></rss>'))).toBe('wxr');
    expect(await detectFormat(write('b.xml', Buffer.from([0x1f, 0x8b, 8, 0])))).toBe('inkstone');
    await expect(detectFormat(write('c.xml', ''))).rejects.toThrow(ImportFileError);
    await expect(detectFormat(write('d.xml', 'json: true'))).rejects.toThrow(/not a WordPress export/);
  });

  it('reads RSS 2.0 and Atom items, and GBK files by their declaration', async () => {
    const rss = await items(
      write(
        'feed.xml',
        `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>新闻</title><link>https://n.example</link>
<item><title>标题 &amp; 更多</title><link>https://n.example/a/1</link><guid>n-1</guid><pubDate>Tue, 05 Oct 2010 07:27:25 +0000</pubDate>
<description>摘要</description><content:encoded><![CDATA[<p>正文</p>]]></content:encoded><category>政务</category></item></channel></rss>`,
      ),
    );
    expect(rss).toEqual([
      expect.objectContaining({
        title: '标题 & 更多',
        guid: 'n-1',
        content: '<p>正文</p>',
        excerpt: '摘要',
        date: Date.UTC(2010, 9, 5, 7, 27, 25),
        postType: 'post',
        status: 'publish',
      }),
    ]);
    expect(rss[0]!.terms).toEqual([{ domain: 'post_tag', slug: '', name: '政务' }]);
    const atom = await items(
      write(
        'atom.xml',
        `<feed xmlns="http://www.w3.org/2005/Atom"><title>站</title><id>urn:x</id><entry><title type="html">&lt;b&gt;粗&lt;/b&gt;题</title><id>urn:e1</id>
<link rel="alternate" href="https://n.example/e1"/><published>2024-03-01T10:00:00+08:00</published><content type="text">a &lt; b</content><author><name>王记者</name></author></entry></feed>`,
      ),
    );
    expect(atom).toEqual([
      expect.objectContaining({
        title: '<b>粗</b>题',
        guid: 'urn:e1',
        link: 'https://n.example/e1',
        content: 'a &lt; b',
        creator: '王记者',
        date: Date.UTC(2024, 2, 1, 2),
      }),
    ]);
    const gbk = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="GBK"?><rss version="2.0"><channel><item><title>'),
      Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), // 中文 in GBK
      Buffer.from('</title></item></channel></rss>'),
    ]);
    expect((await items(write('gbk.xml', gbk)))[0]!.title).toBe('中文');
  });

  it('reads a feed date that names no zone as China time, whatever zone the importing machine is in', async () => {
    const dates = ['Sun, 05 Jan 2020 10:00:00', '2020-01-05 10:00:00', '2020-01-05T10:00:00', 'Sun, 05 Jan 2020 02:00:00 GMT', '2020-01-05T10:00:00+08:00'];
    const rss = await items(
      write(
        'zones.xml',
        `<rss version="2.0"><channel><title>站</title><link>https://n.example</link>${dates
          .map((d, i) => `<item><title>${i}</title><guid>z-${i}</guid><pubDate>${d}</pubDate></item>`)
          .join('')}</channel></rss>`,
      ),
    );
    expect(rss.map((i) => i.date)).toEqual(dates.map(() => Date.UTC(2020, 0, 5, 2)));
    const atom = await items(
      write(
        'zones-atom.xml',
        `<feed xmlns="http://www.w3.org/2005/Atom"><title>站</title><id>urn:z</id><entry><title>t</title><id>urn:z1</id><published>2020-01-05T10:00:00</published><updated>2020-01-06</updated></entry></feed>`,
      ),
    );
    expect(atom[0]).toEqual(expect.objectContaining({ date: Date.UTC(2020, 0, 5, 2), modified: Date.UTC(2020, 0, 5, 16) }));
  });

  it('takes a date that names no real day as none, not as another day: the next date of the post is used instead', async () => {
    // PHP's rendering of the zero date, a month and day past their end, Date.parse's two-digit reading of year 0001.
    const broken = ['-0001-11-30 00:00:00', '2020-13-45 10:00:00', '2021-02-29 10:00:00', '2020-01-05 24:30:00', 'Mon, 01 Jan 0001 00:00:00 +0000'];
    const wxr = await items(
      write(
        'broken-dates.xml',
        `<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>站</title><link>https://d.example</link>${broken
          .map(
            (d, i) =>
              `<item><title>${i}</title><wp:post_id>${i + 1}</wp:post_id><wp:post_date_gmt>${d}</wp:post_date_gmt><wp:post_date>2020-01-05 10:00:00</wp:post_date></item>`,
          )
          .join('')}</channel></rss>`,
      ),
    );
    expect(wxr.map((i) => i.date)).toEqual(broken.map(() => Date.UTC(2020, 0, 5, 2)));
    // Real days at the ends of the calendar are kept as written.
    const kept = await items(
      write(
        'far-dates.xml',
        `<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>站</title><link>https://d.example</link><item><title>早</title><wp:post_id>1</wp:post_id><wp:post_date_gmt>0099-03-01 00:00:00</wp:post_date_gmt></item><item><title>晚</title><wp:post_id>2</wp:post_id><wp:post_date_gmt>9999-12-31 23:59:59</wp:post_date_gmt></item><item><title>闰</title><wp:post_id>3</wp:post_id><wp:post_date_gmt>2024-02-29 12:00:00</wp:post_date_gmt></item></channel></rss>`,
      ),
    );
    expect(kept.map((i) => new Date(i.date!).toISOString())).toEqual(['0099-03-01T00:00:00.000Z', '9999-12-31T23:59:59.000Z', '2024-02-29T12:00:00.000Z']);
  });

  it('refuses hostile and broken XML with the line and column, never expanding or fetching entities', async () => {
    const err = (text: string) =>
      items(write('bad.xml', text)).then(
        () => undefined,
        (e: unknown) => e as ImportFileError,
      );
    const laughs = await err(
      `<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "${'a'.repeat(100)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<rss version="2.0"><channel><item><title>&b;</title></item></channel></rss>`,
    );
    expect(laughs).toBeInstanceOf(ImportFileError);
    expect(laughs!.line).toBe(2);
    expect((await err('<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "file:///etc/passwd">\n<rss version="2.0"/>'))!.message).toMatch(/external file/);
    expect((await err('<rss version="2.0"><channel>\n<item><title>&nbsp;</title></item></channel></rss>'))!.message).toMatch(
      /^line 2, column \d+: malformed XML: undefined entity/,
    );
    expect((await err('<rss version="2.0"><channel>\n<item><title>x</title>'))!.message).toMatch(/^line 2, column \d+: malformed XML/);
    const deep = `<rss version="2.0"><channel><item>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</item></channel></rss>`;
    expect((await err(deep))!.message).toMatch(/nest more than 64 deep/);
    expect((await err('<?xml version="1.0" encoding="x-no-such"?><rss/>'))!.message).toMatch(/unsupported encoding/);
  });

  it('refuses the same files the same way when checked as their bytes arrive, in chunks of any size (an upload)', async () => {
    const items = Array.from({ length: 400 }, (_, i) => `<item><title>第${i}篇</title><wp:post_id>${i}</wp:post_id></item>`).join('\n');
    const good = `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>站</title>\n${items}\n</channel></rss>\n`;
    const lines = good.split('\n');
    const at = (line: number, bytes: Buffer) => {
      const before = Buffer.from(`${lines.slice(0, line - 1).join('\n')}\n${lines[line - 1]!.slice(0, 8)}`);
      return Buffer.concat([before, bytes, Buffer.from(`${lines[line - 1]!.slice(8)}\n${lines.slice(line).join('\n')}`)]);
    };
    const files: Record<string, Buffer> = {
      truncated: Buffer.from(good.slice(0, good.length - 40)),
      mismatched: Buffer.from(good.replace('<title>第300篇</title>', '<title>第300篇</titel>')),
      'GBK bytes in UTF-8': at(250, Buffer.from([0xd6, 0xd0, 0xce, 0xc4])),
      'a lone continuation byte': at(120, Buffer.from([0x80])),
      entities: Buffer.from(good.replace('<rss', '<!DOCTYPE rss [<!ENTITY a "x">]>\n<rss')),
      html: Buffer.from('<!DOCTYPE html>\n<html><body><p>登录</p></body></html>'),
      empty: Buffer.alloc(0),
    };
    const fromFile = async (bytes: Buffer) => {
      try {
        const file = write('f.xml', bytes);
        const format = await detectFormat(file);
        if (format === 'inkstone') throw new Error('not XML');
        for await (const _ of readSource(file, format)) {
          // read through
        }
      } catch (e) {
        return e as ImportFileError;
      }
      return undefined;
    };
    const streamed = (bytes: Buffer, size: number) => {
      const check = new SourceCheck();
      try {
        for (let i = 0; i < bytes.length; i += size) check.write(bytes.subarray(i, i + size));
        check.end();
      } catch (e) {
        return e as ImportFileError;
      }
      return undefined;
    };
    for (const [name, bytes] of Object.entries(files)) {
      const expected = await fromFile(bytes);
      expect([name, expected]).toEqual([name, expect.any(ImportFileError)]);
      for (const size of [1, 7, 4096, 1 << 20]) {
        const got = streamed(bytes, size);
        expect([name, size, got?.message]).toEqual([name, size, expected!.message]);
      }
    }
    expect(streamed(Buffer.from(good), 3)).toBeUndefined();
    const check = new SourceCheck();
    check.write(Buffer.from(good));
    expect(check.end()).toBe('wxr');
    expect(streamed(Buffer.from([0x1f, 0x8b, 8, 0]), 1)).toBeUndefined();
  });
});

describe('JSON files', () => {
  const feed = (items: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: '某报', home_page_url: 'https://paper.example.cn/', ...extra, items }, null, 2);
  const refusal = async (text: string | Buffer) => {
    try {
      await items(write('x.json', text));
    } catch (e) {
      return e as ImportFileError;
    }
    return undefined;
  };

  it('tells a JSON Feed from JSON lines by the content (after a BOM and blanks), an RSS file from either, and refuses an array', async () => {
    expect(await detectFormat(write('feed.txt', feed([])))).toBe('json-feed');
    expect(await detectFormat(write('a.jsonl', `\uFEFF \n\n  ${JSON.stringify({ version: 'https://jsonfeed.org/version/1', items: [] })}`))).toBe('json-feed');
    expect(await detectFormat(write('b.json', '\uFEFF\n{"id": "1", "title": "一"}\n{"id": "2"}\n'))).toBe('json-lines');
    // One line longer than the head: JSON lines all the same.
    expect(await detectFormat(write('c.json', `{"id": "1", "content_text": "${'长'.repeat(40_000)}"}\n`))).toBe('json-lines');
    expect(await detectFormat(write('d.json', '<?xml version="1.0"?>\n<rss version="2.0"><channel><item><title>{x}</title></item></channel></rss>'))).toBe(
      'rss',
    );
    const array = await detectFormat(write('e.json', '\n  [{"id": "1"}]')).catch((e: unknown) => e as ImportFileError);
    expect(array).toMatchObject({ line: 2, column: 3, message: expect.stringContaining('不接受 JSON 数组') });
    await expect(detectFormat(write('f.json', '{\n  "id": "1",\n  "title": "一"\n}\n'))).rejects.toThrow(/既不是 JSON Feed/);
    await expect(detectFormat(write('g.json', '{"version": "https://jsonfeed.org/version/2", "items": []}'))).rejects.toThrow(/不支持该 JSON Feed 版本/);
  });

  it('reads the item shape: plain titles escaped, text as paragraphs, addresses made absolute, zoneless dates in China time', async () => {
    const [a, b] = await items(
      write(
        'feed.json',
        feed([
          { id: 7, url: 'news/7.html', title: 'A<b>', content_text: '一段\n\n  二段  ', image: '/c.jpg', date_published: '2024-01-02 03:04:05', tags: ['甲'] },
          { id: 'x', content_html: '<p><img src="/i.png"></p>', channel: '/difang/yaowen/', status: 'draft', author: { name: '记者' }, image: "/a'b.jpg" },
        ]),
      ),
    );
    expect(a).toMatchObject({
      guid: '7',
      link: 'https://paper.example.cn/news/7.html',
      title: 'A&lt;b&gt;',
      content: '<p>一段</p>\n<p>二段</p>',
      cover: 'https://paper.example.cn/c.jpg',
      date: Date.UTC(2024, 0, 1, 19, 4, 5),
      status: 'publish',
      terms: [{ domain: 'post_tag', name: '甲' }],
    });
    expect(b).toMatchObject({
      content: '<p><img src="https://paper.example.cn/i.png"></p>',
      status: 'draft',
      creator: '记者',
      terms: [{ domain: 'category', slug: 'difang/yaowen' }],
    });
    // A cover the newsroom's own check would refuse on a later edit is left out.
    expect(b!.cover).toBeUndefined();
  });

  it('refuses a malformed, hostile or ill-typed file with the line and column, bounding what one record may hold', async () => {
    const good = feed(Array.from({ length: 50 }, (_, i) => ({ id: `n${i}`, title: `第${i}条`, content_text: '正文' })));
    const lines = good.split('\n');
    const at = lines.findIndex((l) => l.includes('"第30条",'));
    const broken = [...lines];
    broken[at] = broken[at]!.replace('",', '"');
    // The next line's key is where a comma was expected.
    const err = await refusal(broken.join('\n'));
    expect(err).toMatchObject({ line: at + 2, column: lines[at + 1]!.indexOf('"') + 1, message: expect.stringContaining("expected ','") });
    expect((await refusal(good.slice(0, good.length - 30)))!.message).toContain('JSON 格式错误');
    expect((await refusal(feed([{ id: 'deep', extra: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) }])))!.message).toMatch(/nest more than 64 deep/);
    expect((await refusal(`{"id": "big", "content_text": "${'字'.repeat(9 * 1024 * 1024)}"}\n`))!.message).toMatch(/more than 8 M characters/);
    expect((await refusal(feed([{ id: 'big', content_text: '字'.repeat(9 * 1024 * 1024) }])))!.message).toMatch(/more than 8 M characters/);
    expect(await refusal(feed([{ title: '没有 id' }]))).toMatchObject({ line: 6, column: 5, message: expect.stringContaining('条目缺少 id') });
    expect((await refusal(feed([{ id: '1', tags: '经济' }])))!.message).toContain('字段 tags 的类型不对');
    expect((await refusal(feed([{ id: '1', tags: ['经济', 7] }])))!.message).toContain('tags 应是字符串数组');
    expect((await refusal(feed([{ id: '1', title: ['标题'] }])))!.message).toContain('字段 title 的类型不对');
    expect((await refusal(feed([{ id: '1', status: 'pending' }])))!.message).toContain('status 只能是');
    expect((await refusal(feed([{ id: '1', date_published: '昨天' }])))!.message).toContain('不是有效日期');
    expect((await refusal('{"version": "https://jsonfeed.org/version/1.1", "items": {"id": "1"}}'))!.message).toContain('items 应是数组');
    expect((await refusal('{\n  "title": "无版本",\n  "items": []\n}'))!.message).toContain('缺少 JSON Feed 的 version');
    expect(await refusal('{"id": "1"}\n["x"]\n')).toMatchObject({ line: 2, message: expect.stringContaining('每行应是一个 JSON 对象') });
    expect(await refusal('{"id": "1"}\n{"id": "2",\n"title": "x"}\n')).toMatchObject({
      line: 2,
      message: expect.stringContaining('每行应是一个完整的 JSON 对象'),
    });
    const gbk = Buffer.concat([Buffer.from('{"id": "1"}\n{"id": "2", "title": "'), Buffer.from([0xd6, 0xd0]), Buffer.from('"}\n')]);
    expect(await refusal(gbk)).toMatchObject({ line: 2, column: 23, message: expect.stringContaining('UTF-8') });
    // A `__proto__` key stays data.
    const [p] = await items(write('p.jsonl', '{"id": "1", "__proto__": {"title": "x"}, "content_text": "正文"}\n'));
    expect(p!.title).toBe('');
  });

  it('refuses the same files the same way when checked as their bytes arrive, in chunks of any size (an upload)', async () => {
    const good = Buffer.from(feed(Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, title: `第${i}篇`, content_text: '正文' }))));
    const jsonl = Buffer.from(Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `n${i}`, title: `第${i}篇` })).join('\n'));
    const files: Record<string, Buffer> = {
      truncated: good.subarray(0, good.length - 40),
      'missing comma': Buffer.from(good.toString().replace('"第250篇",', '"第250篇"')),
      'bad line': Buffer.from(jsonl.toString().replace('"第200篇"}', '"第200篇",}')),
      'GBK bytes': Buffer.concat([jsonl.subarray(0, 5000), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), jsonl.subarray(5000)]),
      array: Buffer.from('[1, 2]'),
    };
    const streamed = (bytes: Buffer, size: number) => {
      const check = new SourceCheck();
      try {
        for (let i = 0; i < bytes.length; i += size) check.write(bytes.subarray(i, i + size));
        check.end();
      } catch (e) {
        return e as ImportFileError;
      }
      return undefined;
    };
    for (const [name, bytes] of Object.entries(files)) {
      const expected = await refusal(bytes);
      expect([name, expected]).toEqual([name, expect.any(ImportFileError)]);
      for (const size of [1, 7, 4096, 1 << 20]) expect([name, size, streamed(bytes, size)?.message]).toEqual([name, size, expected!.message]);
    }
    for (const size of [3, 1 << 20]) {
      expect(streamed(good, size)).toBeUndefined();
      expect(streamed(jsonl, size)).toBeUndefined();
    }
    const check = new SourceCheck();
    check.write(jsonl);
    expect(check.end()).toBe('json-lines');
  });
});

describe('archive rows from an older Inkstone', () => {
  it('gives a column added since its default, and still refuses a row missing any other column', () => {
    const spec = EXPORTED_TABLES.find((s) => s.table === 'import_sources')!;
    const old = { source_key: 'wxr:site:1', article_id: 3, revision: 2, imported_at: 5 };
    expect(checkRow(spec, old)).toEqual({ ...old, source_status: null });
    expect(checkRow(spec, { ...old, source_status: 'publish' })).toMatchObject({ source_status: 'publish' });
    const { revision: _, ...missing } = old;
    expect(() => checkRow(spec, missing)).toThrow(/import_sources/);
    expect(() => checkRow(spec, { ...old, extra: 1 })).toThrow(/import_sources/);
  });
});
