import { describe, expect, it } from 'vitest';
import { createArticle, publishArticle } from '../../src/domain/articles/service.ts';
import { waitFor } from '../support/wait.ts';
import { settled, typeAtEndOf, useNewsroom, VIEWPORTS, watchErrors, watchRequests } from './browser.ts';

/**
 * Preformatted text in Chromium: on a phone a code listing keeps its lines and indentation and scrolls sideways in
 * its own box without widening the page; in the newsroom an article with one opens with nothing unsaved and is saved
 * back with the listing as it was.
 */

const PASSWORD = 'pre-e2e-password';
const CHANNEL = 'keji';
const LISTING =
  '<pre><code>export function 合计(values: number[]): number {\n  let total = 0;\n  for (const v of values) total += v; // 一行很长的注释，让这一行比手机屏幕宽得多得多得多\n  return total;\n}</code></pre>';

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { [CHANNEL]: '科技' },
  people: { linxiao: ['林晓', 'reporter'], zhaogang: ['赵刚', 'editor'] },
});

describe('preformatted text in Chromium', { timeout: 90_000 }, () => {
  it('keeps its lines on a phone and scrolls inside its own box; the page never scrolls sideways', async () => {
    const a = await createArticle(site.ctx, site.people.zhaogang, {
      title: '一段示例代码',
      channel: CHANNEL,
      body: `<p>示例如下。</p>${LISTING}<p>（完）</p>`,
    });
    await publishArticle(site.ctx, site.people.zhaogang, a.id);
    const context = await site.browser.newContext({ viewport: VIEWPORTS.phone, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const inFlight = watchRequests(page);
    await page.goto(`${site.base}/a/${a.id}`);
    await settled(page, inFlight);
    const seen = await page.evaluate(() => {
      const pre = document.querySelector('.article-body pre') as HTMLElement;
      return {
        page: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        box: pre.clientWidth,
        content: pre.scrollWidth,
        // biome-ignore lint/performance/useDomNodeTextContent: the text as laid out is the point (white-space: normal would join the lines)
        text: pre.innerText,
      };
    });
    expect(seen.text.split('\n')).toEqual([
      'export function 合计(values: number[]): number {',
      '  let total = 0;',
      '  for (const v of values) total += v; // 一行很长的注释，让这一行比手机屏幕宽得多得多得多',
      '  return total;',
      '}',
    ]);
    expect(seen.page).toBeLessThanOrEqual(seen.viewport);
    expect(seen.box).toBeLessThanOrEqual(seen.viewport);
    expect(seen.content).toBeGreaterThan(seen.box);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens in the editor with nothing unsaved and is saved back as it was', async () => {
    const { id } = await createArticle(site.ctx, site.people.linxiao, { title: '代码草稿', channel: CHANNEL, body: `<p>示例如下。</p>${LISTING}<p>说明</p>` });
    const { page, errors } = await site.signIn('linxiao');
    await page.goto(`${site.base}/admin/articles/${id}`);
    await page.waitForSelector('.ProseMirror pre');
    expect(await page.$eval('.ProseMirror pre', (el) => el.textContent)).toBe(
      'export function 合计(values: number[]): number {\n  let total = 0;\n  for (const v of values) total += v; // 一行很长的注释，让这一行比手机屏幕宽得多得多得多\n  return total;\n}',
    );
    expect(await page.getAttribute('[data-save-state]', 'data-save-state')).not.toBe('dirty');
    await typeAtEndOf(page, '.ProseMirror > p:last-of-type', '：求和');
    await waitFor(async () => (await site.ctx.store.articles.findById(id))!.bodyHtml.includes('说明：求和'), { timeout: 20_000, message: 'the autosave' });
    expect((await site.ctx.store.articles.findById(id))!.bodyHtml).toContain(LISTING);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
