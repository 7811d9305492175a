import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Preformatted text (a code listing, a statement laid out by its author) keeps its lines and indentation from the API
 * to the stored body, the reader page and its 繁 mirror, and the feeds; its words are found by search.
 */
const listing = '<pre><code>function 合计(a, b) {\n  if (a &lt; b) {\n    return a + b;\n  }\n}</code></pre>';
const statement = '<pre>声明\n    一、本站稿件均为原创；\n    二、转载请注明出处。</pre>';
const body = `<p>示例代码如下：</p>${listing}${statement}<p>（完）</p>`;

describe.each(STORES)('preformatted text in article bodies on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let id: number;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin.auth);
    id = (await createArticle(t.app, editor, { title: '代码块排版', body })).id;
    await publish(t.app, editor, id);
    await t.settled();
  });
  afterAll(() => t.close());

  it('is stored and sent back by the API as written', async () => {
    const res = await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: editor } });
    expect(res.statusCode).toBe(200);
    expect(json(res).body).toBe(body);
  });

  it('shows on the reader page and its 繁 mirror with its newlines and indentation', async () => {
    const page = await t.app.inject({ url: `/a/${id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(listing);
    expect(page.body).toContain(statement);
    const mirror = await t.app.inject({ url: `/zh-hant/a/${id}` });
    expect(mirror.statusCode).toBe(200);
    // Characters are converted as in any text; the code's ASCII, the line breaks and the spaces are not touched.
    expect(mirror.body).toContain(listing.replace('合计', '合計'));
    expect(mirror.body).toContain('<pre>聲明\n    一、本站稿件均為原創；\n    二、轉載請註明出處。</pre>');
    // 关怀版 (care mode) is the same page in larger type.
    const care = await t.app.inject({ url: `/care/a/${id}` });
    expect(care.statusCode).toBe(200);
    expect(care.body).toContain(listing);
  });

  it('reaches the feeds with its newlines', async () => {
    const rss = (await t.app.inject({ url: '/feed.xml' })).body;
    expect(rss).toContain('&lt;pre&gt;&lt;code&gt;function 合计(a, b) {\n  if (a &amp;lt; b) {\n    return a + b;');
    const feed = json(await t.app.inject({ url: '/feed.json' }));
    expect(feed.items.find((i: { id: string }) => i.id.endsWith(`/a/${id}`))?.content_html).toContain(listing);
  });

  it('is found by search by the words inside it', async () => {
    const res = json(await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent('转载')}` }));
    expect(res.items.map((a: { id: number }) => a.id)).toEqual([id]);
  });
});
