import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArticle, returnArticle, submitArticle } from '../../src/domain/articles/service.ts';
import { SCREENSHOT_DIR, settled, useNewsroom } from './browser.ts';

/** The reporter's dashboard in Chromium marks a returned draft (退回修改, the comment, the editor, the time) until it is resubmitted. */

const PASSWORD = 'returned-e2e-password';
const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { yaowen: '要闻' },
  people: { wangbin: ['王斌', 'editor'], zhouming: ['周明远', 'reporter'] },
});

describe('returned articles on the dashboard in Chromium', { timeout: 60_000 }, () => {
  it('shows 退回修改 with the comment, the editor and the time, until the reporter resubmits', async () => {
    await createArticle(site.ctx, site.people.zhouming, { title: '城南公园改造完工', channel: 'yaowen', body: '<p>草稿。</p>' });
    const metro = await createArticle(site.ctx, site.people.zhouming, { title: '江城地铁12号线开通', channel: 'yaowen', body: '<p>今日开通。</p>' });
    await submitArticle(site.ctx, site.people.zhouming, metro.id);
    await returnArticle(site.ctx, site.people.wangbin, metro.id, '请补充票价和首末班车时间');

    const { page, errors, inFlight } = await site.signIn('zhouming', { width: 1280, height: 800 });
    await page.waitForSelector('[data-section=drafts] .article-list');

    const item = page.locator(`[data-section=drafts] li[data-article-id="${metro.id}"]`);
    expect(await item.locator('.badge-returned').textContent()).toBe('退回修改');
    expect((await item.locator('[data-return-note]').textContent())!.replace(/\s+/g, ' ')).toMatch(
      /^王斌 于 \d{1,2}月\d{1,2}日 \d{2}:\d{2} 退回：请补充票价和首末班车时间$/,
    );
    // The returned draft comes first; the other draft carries no mark.
    expect(await page.locator('[data-section=drafts] li').first().getAttribute('data-article-id')).toBe(String(metro.id));
    expect(await page.locator('[data-section=drafts] li.is-returned').count()).toBe(1);
    await settled(page, inFlight);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'newsroom-dashboard-returned.png'), fullPage: true });

    // The editor shows the note too; after an edit it is still there; resubmitting ends it.
    await item.locator('a.article-link').click();
    await page.waitForSelector('.editor-host [data-return-note], [data-return-note]');
    expect(await page.textContent('.returned[data-return-note]')).toContain('请补充票价和首末班车时间');
    await page.click('.ProseMirror p');
    await page.keyboard.press('End');
    await page.keyboard.type('票价起步2元。');
    await page.waitForSelector('[data-save-state=saved]', { timeout: 15_000 });
    expect(await page.locator('.returned[data-return-note]').count()).toBe(1);
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-action=submit]');
    await page.waitForSelector('.badge-submitted');
    expect(await page.locator('.returned[data-return-note]').count()).toBe(0);
    await page.click('.topbar nav a:has-text("稿件")');
    await page.waitForSelector('[data-section=review] .article-list');
    expect(await page.locator('.badge-returned').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
