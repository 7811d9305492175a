import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldedArticle, seriousViolations, settled, shot, useNewsroom, VIEWPORTS, WECHAT_UA } from './browser.ts';

const site = useNewsroom();
let longArticle: number;

beforeAll(async () => {
  longArticle = await foldedArticle(site.ctx);
});

const feedIds = (page: Page) => page.$$eval('[data-feed-list] .feed-item', (items) => items.map((i) => i.getAttribute('data-id')));

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  describe(`reader site at ${viewport.width}×${viewport.height}`, () => {
    const pages: [string, () => string][] = [
      ['home', () => '/'],
      ['channel', () => '/c/difang'],
      ['article', () => `/a/${longArticle}`],
    ];

    it.each(pages)('%s page: renders without console errors or serious accessibility violations (screenshot saved)', async (name, url) => {
      const { page, errors, inFlight } = await site.open(url(), { viewport });
      await settled(page, inFlight);
      await shot(page, `${name}-${size}`, { fullPage: false });
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('load more appends the next items with no duplicates', async () => {
      const { page, errors } = await site.open('/', { viewport });
      const before = await feedIds(page);
      await page.click('[data-load-more]');
      await page.waitForFunction((n) => document.querySelectorAll('[data-feed-list] .feed-item').length > n, before.length);
      const after = await feedIds(page);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(new Set(after).size).toBe(after.length);
      expect(after.length).toBeGreaterThan(before.length);
      expect(page.url()).toBe(`${site.base}/`);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('the fold opens in place', async () => {
      const { page } = await site.open(`/a/${longArticle}`, { viewport });
      const body = page.locator('#article-body');
      const folded = (await body.boundingBox())!.height;
      await page.click('[data-fold-more]');
      await expect.poll(async () => (await body.boundingBox())!.height).toBeGreaterThan(folded + 200);
      expect(await page.locator('[data-fold-more]').count()).toBe(0);
      expect(page.url()).toBe(`${site.base}/a/${longArticle}`);
      await page.context().close();
    });
  });
}

describe('reader site on a phone', () => {
  it('shows the WeChat share guide inside WeChat', async () => {
    const { page, errors } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone, userAgent: WECHAT_UA });
    await page.click('[data-share-button]');
    await expect.poll(() => page.isVisible('[data-wechat-guide]')).toBe(true);
    await shot(page, 'article-wechat-share', { fullPage: false });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('[data-wechat-guide]')).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows the 正在阅读 bar once the title scrolls away', async () => {
    const { page } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone });
    expect(await page.isVisible('[data-reading-bar]')).toBe(false);
    await page.mouse.wheel(0, 1200);
    await expect.poll(() => page.isVisible('[data-reading-bar]')).toBe(true);
    await page.context().close();
  });

  it('a mood vote updates the count and survives a reload', async () => {
    const { page, errors } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone });
    const like = page.locator('[data-mood="like"]');
    await expect.poll(() => like.getAttribute('aria-pressed')).toBe('false');
    const before = Number(await like.locator('[data-mood-count]').textContent());
    await like.click();
    await expect.poll(async () => Number(await like.locator('[data-mood-count]').textContent())).toBe(before + 1);
    await expect.poll(() => like.getAttribute('aria-pressed')).toBe('true');
    await page.reload({ waitUntil: 'load' });
    await expect.poll(() => page.locator('[data-mood="like"]').getAttribute('aria-pressed')).toBe('true');
    expect(Number(await page.locator('[data-mood="like"] [data-mood-count]').textContent())).toBe(before + 1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('remembers the font size on this device', async () => {
    const { page } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone });
    const size = () => page.$eval('#article-body', (el) => parseFloat(getComputedStyle(el).fontSize));
    const normal = await size();
    await page.click('[data-font-toggle]');
    expect(await size()).toBeGreaterThan(normal);
    await page.reload({ waitUntil: 'load' });
    await expect.poll(size).toBeGreaterThan(normal);
    await page.context().close();
  });
});

describe('reader site without JavaScript', () => {
  it('shows the whole article and pages the feed with plain links', async () => {
    const { page } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    expect(await page.isVisible('[data-fold-more]')).toBe(false);
    const body = await page.$eval('#article-body', (el) => ({ shown: el.getBoundingClientRect().height, full: el.scrollHeight }));
    expect(body.shown).toBeGreaterThanOrEqual(body.full);
    const before = await feedIds(page);
    await page.click('[data-load-more]');
    await page.waitForURL(/cursor=/);
    const next = await feedIds(page);
    expect(next.length).toBeGreaterThan(0);
    expect(next.filter((id) => before.includes(id))).toEqual([]);
    await page.context().close();
  });

  it('shows the carousel as a list of linked slides', async () => {
    const { page } = await site.open('/', { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    expect(await page.locator('.carousel-slide a').count()).toBeGreaterThan(1);
    expect(await page.isVisible('[data-carousel-controls]')).toBe(false);
    await page.context().close();
  });
});
