import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createArticle, publishArticle } from '../../src/domain/articles/service.ts';
import { SCREENSHOT_DIR, settled, shot, useNewsroom, VIEWPORTS, watchErrors, watchRequests } from './browser.ts';
import { waitState } from './save-state.ts';

/**
 * Pasting from Word, WPS and Google Docs in Chromium: a synthetic paste event carrying the HTML those programs put on
 * the clipboard becomes nested lists and tables in the editor, is saved as such, and the reader page shows the table
 * in a box that scrolls sideways on a phone without widening the page.
 */

const PASSWORD = 'paste-e2e-password';
const CHANNEL = 'yaowen';
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/paste', name), 'utf8');

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { [CHANNEL]: '要闻' },
  people: { zhouming: ['周明远', 'reporter'], wangbin: ['王斌', 'editor'] },
});

const signIn = (username: string, viewport = { width: 1280, height: 1000 }) => site.signIn(username, viewport);

/** What a paste from another program looks like to the page: a paste event whose clipboard holds HTML and text. */
async function paste(page: Page, html: string) {
  await page.evaluate((h) => {
    const data = new DataTransfer();
    data.setData('text/html', h);
    data.setData('text/plain', h.replace(/<[^>]*>/g, ''));
    const body = document.querySelector('.ProseMirror') as HTMLElement;
    body.focus();
    body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, html);
}

const stored = async (id: number) => (await site.ctx.store.articles.findById(id))!.bodyHtml;

describe('pasting from office programs in Chromium', { timeout: 60_000 }, () => {
  it('Word lists and a Word table pasted into a draft are saved as nested lists and a clean table', async () => {
    const { page, errors, inFlight } = await signIn('zhouming');
    /** Pastes into a new paragraph after the lede of a new draft, and answers the body as saved. */
    const pasted = async (name: string) => {
      const a = await createArticle(site.ctx, site.people.zhouming, { title: '市政府常务会议部署三项民生工作', channel: CHANNEL, body: '<p>导语。</p>' });
      await page.goto(`${site.base}/admin/articles/${a.id}`);
      await page.waitForSelector('.ProseMirror');
      await page.click('.ProseMirror p');
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await paste(page, fixture(name));
      await waitState(page, 'saved');
      return stored(a.id);
    };

    expect(await pasted('word-windows-lists.html')).toBe(
      '<p>导语。</p><p>市政府常务会议研究了三项工作：</p>' +
        '<ol><li><p>老旧小区改造<strong>年内完工</strong></p><ol><li><p>东城区42个小区</p></li><li><p>西城区17个小区</p></li></ol></li><li><p>地铁12号线开通</p></li><li><p>防汛准备</p></li></ol>' +
        '<p>会议要求：</p><ul><li><p>压实责任</p><ul><li><p>每周通报进度</p></li></ul></li><li><p>公开&lt;接受监督&gt;</p></li></ul>',
    );
    // The editor shows real lists: the numbers come from the <ol>, not from text typed in front.
    expect(await page.locator('.ProseMirror ol ol li').count()).toBe(2);
    await settled(page, inFlight);
    await shot(page, 'newsroom-paste-word-lists');

    expect(await pasted('word-mac-lists.html')).toBe(
      '<p>导语。</p><ul><li><p>早高峰限行</p><ul><li><p>外地号牌</p><ol><li><p>工作日7时至9时</p></li></ol></li></ul></li><li><p>晚高峰不变</p></li></ul><p>（完）</p>',
    );

    expect(await pasted('word-table.html')).toBe(
      '<p>导语。</p><table><tbody><tr><td><p><strong>区</strong></p></td><td><p><strong>户数</strong></p></td></tr>' +
        '<tr><td><p>东城</p></td><td><p>1,204</p></td></tr><tr><td colspan="2"><p>合计另表</p></td></tr></tbody></table>',
    );
    expect(await page.locator('.ProseMirror table td').count()).toBe(5);
    await settled(page, inFlight);
    await shot(page, 'newsroom-paste-word-table');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('Google Docs lists and tables paste clean, and the toolbar inserts a table and adds a row and a column', async () => {
    const a = await createArticle(site.ctx, site.people.wangbin, { title: '一季度用水用电情况', channel: CHANNEL, body: '<p>据统计：</p>' });
    const { page, errors } = await signIn('wangbin');
    await page.goto(`${site.base}/admin/articles/${a.id}`);
    await page.waitForSelector('.ProseMirror');
    await page.click('.ProseMirror p');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await paste(page, fixture('google-docs.html'));
    await page.keyboard.press('Control+End');

    await page.click('.toolbar button:has-text("插入表格")');
    await page.keyboard.type('项目');
    await page.click('.toolbar button:has-text("下方插行")');
    await page.click('.toolbar button:has-text("右侧插列")');
    await page.click('.workflow button:has-text("保存")');
    await waitState(page, 'saved');

    const body = await stored(a.id);
    // Google's all-bold wrapper is gone: only 通报要点 is bold.
    expect(body).toContain('<p><strong>通报要点</strong>如下</p><ol><li><p>用水</p><ol><li><p><em>阶梯水价</em></p></li></ol></li><li><p>用电</p></li></ol>');
    expect(body).toContain('<table><tbody><tr><td><p>月份</p></td><td><p>用量</p></td></tr></tbody></table>');
    // The inserted table: a header row and two more rows (3 + 1), four columns (3 + 1).
    const inserted = body.slice(body.lastIndexOf('<table>'));
    expect(inserted.match(/<tr>/g)).toHaveLength(4);
    expect(inserted.match(/<th>/g)).toHaveLength(4);
    expect(inserted).toContain('<th><p>项目</p></th>');
    expect(body).not.toMatch(/style=|colgroup|docs-internal/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a wide table scrolls inside its box on a phone; the page itself never scrolls sideways', async () => {
    const cells = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `<${tag}>第${i + 1}季度同比增长百分比</${tag}>`).join('');
    const a = await createArticle(site.ctx, site.people.wangbin, {
      title: '十个区的一季度数据',
      channel: CHANNEL,
      body: `<p>各区数据如下。</p><table><caption>各区一季度主要指标</caption><thead><tr>${cells('th', 10)}</tr></thead><tbody><tr>${cells('td', 10)}</tr></tbody></table><p>（完）</p>`,
    });
    await publishArticle(site.ctx, site.people.wangbin, a.id);
    const context = await site.browser.newContext({ viewport: VIEWPORTS.phone, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const inFlight = watchRequests(page);
    await page.goto(`${site.base}/a/${a.id}`);
    await settled(page, inFlight);
    const sizes = await page.evaluate(() => {
      const box = document.querySelector('.article-body .table-scroll') as HTMLElement;
      return {
        page: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        box: box.clientWidth,
        table: box.scrollWidth,
      };
    });
    expect(sizes.page).toBeLessThanOrEqual(sizes.viewport);
    expect(sizes.box).toBeLessThanOrEqual(sizes.viewport);
    expect(sizes.table).toBeGreaterThan(sizes.box);
    await page.locator('.table-scroll').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'reader-table-phone.png') });
    expect(errors).toEqual([]);
    await context.close();
  });
});
