import { describe, expect, it } from 'vitest';
import { seriousViolations, shot, useNewsroom, VIEWPORTS } from './browser.ts';

const site = useNewsroom();

describe('search page in a browser', () => {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    it(`renders at ${viewport.width}×${viewport.height} without errors, overflow or serious accessibility violations (screenshot saved)`, async () => {
      const { page, errors } = await site.open(`/search?q=${encodeURIComponent('地铁 开通')}`, { viewport });
      await shot(page, `search-${size}`, { fullPage: false });
      expect(await page.locator('.search-result').count()).toBeGreaterThan(0);
      expect(await page.locator('.search-result mark').first().textContent()).toMatch(/地铁|开通/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }

  it('works without JavaScript: the header box, the filters and the page links are plain GET forms and links', async () => {
    const { page } = await site.open('/', { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    await page.getByRole('search').first().getByLabel('搜索新闻').fill('地铁');
    await page.getByRole('search').first().getByRole('button', { name: '搜索' }).click();
    await page.waitForURL(/\/search\?q=/);
    expect(decodeURIComponent(page.url())).toContain('q=地铁');
    const all = await page.locator('.search-result').count();
    expect(all).toBeGreaterThan(0);

    await page.locator('select[name="channel"]').selectOption('keji');
    await page.locator('.search-form button[type="submit"]').click();
    await page.waitForURL(/channel=keji/);
    expect(await page.locator('.search-summary').textContent()).toMatch(/找到|没有找到/);

    await page.goto(`${site.base}/search?q=${encodeURIComponent('的')}`);
    await page.getByRole('link', { name: '下一页' }).click();
    await page.waitForURL(/cursor=/);
    expect(await page.locator('.pager-current').textContent()).toContain('第 2 页');
    await page.context().close();
  });
});
