import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createArticle, publishArticle, unpublishArticle } from '../../src/domain/articles/service.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { SCREENSHOT_DIR, useNewsroom } from './browser.ts';

/** 重新发布 after 撤稿 in Chromium: the editor chooses to keep the first publication time, use now, or a past time. */

const PASSWORD = 'republish-e2e-password';
const clock = new ManualClock(Date.now());
const site = useNewsroom({ demo: false, adminPassword: PASSWORD, clock, channels: { yaowen: '要闻' }, people: { wangbin: ['王斌', 'editor'] } });

/** An article published two days ago and taken down since. */
async function takenDown(title: string): Promise<number> {
  const a = await createArticle(site.ctx, site.people.wangbin, { title, channel: 'yaowen', body: '<p>正文。</p>' });
  clock.advance(60 * 60_000);
  await publishArticle(site.ctx, site.people.wangbin, a.id);
  clock.advance(2 * 24 * 3600_000);
  await unpublishArticle(site.ctx, site.people.wangbin, a.id);
  return a.id;
}

async function republish(page: Page, id: number, choose: (page: Page) => Promise<void>) {
  await page.goto(`${site.base}/admin/articles/${id}`);
  await page.waitForSelector('.ProseMirror');
  await page.click('[data-action=publish]');
  await page.waitForSelector('dialog[open] .publish-time');
  await choose(page);
  await page.click('dialog[open] button[type=submit]');
}

describe('republishing in Chromium', { timeout: 60_000 }, () => {
  it('keeps the first time by default, uses now when asked, and refuses a future chosen time in Chinese', async () => {
    // Taken down before signing in: the manual clock moves days, which would outlive the session.
    const kept = await takenDown('更正：江城地铁票价');
    const now = await takenDown('防汛应急响应升级');
    const future = await takenDown('明日天气');
    const { page, errors } = await site.signIn('wangbin', { width: 1280, height: 900 });

    const first = (await site.ctx.store.articles.findById(kept))!.publishedAt;
    await republish(page, kept, async (p) => {
      expect(await p.textContent('[data-action=publish]')).toBe('重新发布');
      expect(await p.isChecked('dialog[open] input[value=keep]')).toBe(true);
      await p.screenshot({ path: path.join(SCREENSHOT_DIR, 'newsroom-republish.png') });
    });
    await page.waitForSelector('.editor-head .badge-published');
    expect((await site.ctx.store.articles.findById(kept))!.publishedAt).toBe(first);

    await republish(page, now, (p) => p.check('dialog[open] input[value=now]'));
    await page.waitForSelector('.editor-head .badge-published');
    const republished = (await site.ctx.store.articles.findById(now))!.publishedAt!;
    expect(republished).toBeGreaterThan(clock.now() - 60_000);

    // A chosen time in the (browser's) future is a schedule: the dialog says so and nothing is sent.
    await republish(page, future, async (p) => {
      await p.check('dialog[open] input[value=chosen]');
      await p.fill('dialog[open] input[name=publishedAt]', '2099-01-01T08:00');
    });
    expect(await page.textContent('dialog[open] .notice')).toContain('要在将来发布，请用定时发布');
    expect((await site.ctx.store.articles.findById(future))!.status).toBe('unpublished');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
