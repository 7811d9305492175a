import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createArticle } from '../../src/domain/articles/service.ts';
import { waitFor } from '../support/wait.ts';
import { settled, shot, useNewsroom } from './browser.ts';

/**
 * 图片库 in Chromium against a real server: uploading into the library, describing an image (caption and alt text
 * apart), searching, inserting a library image into an article and choosing the cover from it, editing an image's
 * alt text in the editor, and a delete refused while an article uses the image, with that article as a link.
 */

const PASSWORD = 'media-e2e-password';
const site = useNewsroom({ demo: false, adminPassword: PASSWORD, channels: { yaowen: '要闻' }, people: { zhouming: ['周明远', 'reporter'] } });

const photo = (r: number, g: number, b: number) =>
  sharp({ create: { width: 1200, height: 800, channels: 3, background: { r, g, b } } })
    .jpeg()
    .toBuffer();

describe('picture library in the newsroom', () => {
  it('uploads, describes, searches, inserts from the library, edits alt text and refuses to delete an image in use', async () => {
    const { page, errors, inFlight } = await site.signIn('zhouming');
    page.on('dialog', (d) => void d.accept());

    // 图片库 in the top bar, after the article entries.
    await page.click('.topbar nav a:has-text("图片库")');
    await page.waitForSelector('.media-page h1:has-text("图片库")');
    await page.setInputFiles('[data-library-upload]', [
      { name: '站台.jpg', mimeType: 'image/jpeg', buffer: await photo(40, 90, 140) },
      { name: 'harbour.jpg', mimeType: 'image/jpeg', buffer: await photo(160, 120, 60) },
    ]);
    await page.waitForSelector('.notice-ok:has-text("已上传")');
    await waitFor(async () => (await page.$$('.media-card')).length === 2, { message: 'two cards' });

    // Describe the first upload: caption and alt text apart.
    await page.click('.media-card:has-text("站台.jpg") button');
    await page.waitForSelector('dialog[open] .media-dialog');
    await page.fill('dialog[open] textarea[name=caption]', '江城地铁3号线站台');
    await page.fill('dialog[open] input[name=alt]', '乘客在站台候车');
    await page.fill('dialog[open] input[name=credit]', '周明远 摄');
    await page.click('dialog[open] button[type=submit]');
    await page.waitForSelector('.notice-ok:has-text("已保存图片信息")');
    await page.click('dialog[open] button:has-text("关闭")');
    await page.waitForSelector('.media-card:has-text("江城地铁3号线站台")');
    await settled(page, inFlight);
    await shot(page, 'media-library');

    // Search.
    await page.fill('.media-filters input[type=search]', '候车');
    await page.click('.media-filters button[type=submit]');
    await waitFor(async () => (await page.$$('.media-card')).length === 1, { message: 'one match' });
    expect(await page.textContent('.media-card')).toContain('江城地铁3号线站台');
    await settled(page, inFlight);
    await shot(page, 'media-library-search');

    // Insert it into an article from the editor's 图片库, and take the other image as the cover.
    const article = await createArticle(site.ctx, site.people.zhouming, {
      title: '地铁3号线开通',
      channel: 'yaowen',
      body: '<p>本报讯 地铁3号线今日开通。</p>',
    });
    await page.goto(`${site.base}/admin/articles/${article.id}`);
    await page.waitForSelector('.ProseMirror');
    await page.click('.ProseMirror p');
    await page.click('.toolbar button:has-text("图片库")');
    await page.waitForSelector('dialog[open] .media-picker .media-card');
    await settled(page, inFlight);
    await shot(page, 'media-picker');
    await page.click('dialog[open] .media-card:has-text("江城地铁3号线站台") button:has-text("插入")');
    await page.waitForSelector('.ProseMirror figure figcaption:has-text("江城地铁3号线站台")');
    await page.click('[data-cover-library]');
    await page.click('dialog[open] .media-card:has-text("harbour.jpg") button:has-text("设为封面")');
    await page.waitForSelector('.cover-thumb');
    await page.waitForSelector('[data-save-state=saved]', { timeout: 10_000 });
    let stored = (await site.ctx.store.articles.findById(article.id))!;
    expect(stored.bodyHtml).toMatch(/<figure><img src="\/media\/[^"]+" alt="乘客在站台候车"[^>]*\/?><figcaption>江城地铁3号线站台<\/figcaption><\/figure>/);
    expect(stored.cover).toMatch(/^\/media\//);

    // 图片属性: alt text changed in the article only, the caption left as it was.
    await page.click('.ProseMirror figure figcaption');
    await page.click('.toolbar button:has-text("图片属性")');
    await page.waitForSelector('dialog[open] input[name=alt]');
    expect(await page.inputValue('dialog[open] input[name=alt]')).toBe('乘客在站台候车');
    await page.fill('dialog[open] input[name=alt]', '早高峰的站台');
    await settled(page, inFlight);
    await shot(page, 'media-image-dialog');
    await page.click('dialog[open] button:has-text("确定")');
    await waitFor(async () => (await site.ctx.store.articles.findById(article.id))!.bodyHtml.includes('alt="早高峰的站台"'), {
      timeout: 10_000,
      message: 'the alt text saved',
    });
    stored = (await site.ctx.store.articles.findById(article.id))!;
    expect(stored.bodyHtml).toContain('<figcaption>江城地铁3号线站台</figcaption>');

    // Deleting the image in use is refused, with the article as a link.
    await page.click('.topbar nav a:has-text("图片库")');
    await page.waitForSelector('.media-card:has-text("江城地铁3号线站台")');
    await page.click('.media-card:has-text("江城地铁3号线站台") button');
    await page.waitForSelector('dialog[open] [data-used-by] a');
    await page.click('dialog[open] button:has-text("删除")');
    await page.waitForSelector('dialog[open] .notice-error:has-text("图片正被稿件、直播消息或专题封面使用")');
    const link = await page.getAttribute('dialog[open] [data-used-by] a:has-text("地铁3号线开通")', 'href');
    expect(link).toBe(`/admin/articles/${article.id}`);
    await settled(page, inFlight);
    await shot(page, 'media-delete-refused');
    expect(await site.ctx.store.media.count()).toBe(2);
    // The refused delete's 409 is the only failed request the browser reports.
    expect(errors.filter((e) => !e.includes('status of 409'))).toEqual([]);
    await page.context().close();
  }, 120_000);
});
