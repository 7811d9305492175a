import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import { addWords } from '../../src/domain/moderation/service.ts';
import { seriousViolations, settled, shot, useNewsroom, VIEWPORTS } from './browser.ts';

const PASSWORD = 'comments-e2e-password';

const site = useNewsroom({ adminPassword: PASSWORD });
let articleId: number;

beforeAll(async () => {
  articleId = (await site.ctx.store.articles.listPublished({ limit: 1 }))[0]!.id;
  const admin = (await site.ctx.store.accounts.list()).find((a) => a.username === 'admin')!;
  await addWords(site.ctx, toActor(admin), { text: '违禁词 屏蔽\n敏感 打码', action: 'block' });
});

/** The screenshot of what the window shows, as comments-`name`.png. */
const snap = (page: Page, name: string) => shot(page, `comments-${name}`, { fullPage: false });

async function fill(page: Page, nickname: string, body: string) {
  await page.fill('#comments input[name="nickname"]', nickname);
  await page.fill('#comments textarea[name="body"]', body);
}

describe('comments (留言) in a browser', () => {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    it(`posts without JavaScript at ${size} size: the form, then a page saying 留言已提交，审核后显示`, async () => {
      const { page, errors } = await site.open(`/a/${articleId}#comments`, { viewport, javaScriptEnabled: false });
      await page.locator('#comments').scrollIntoViewIfNeeded();
      await fill(page, `无脚本读者${size}`, `没有脚本也能留言（${size}）`);
      await snap(page, `form-nojs-${size}`);
      await Promise.all([page.waitForNavigation(), page.click('#comments button.comment-submit')]);
      expect(await page.textContent('h1')).toBe('留言已提交，审核后显示');
      await snap(page, `submitted-nojs-${size}`);
      expect(errors).toEqual([]);
      // A blocked word: a page saying why, and nothing kept.
      await page.goto(`${site.base}/a/${articleId}#comments`);
      await fill(page, '', '这里有违禁词');
      await Promise.all([page.waitForNavigation(), page.click('#comments button.comment-submit')]);
      expect(await page.textContent('h1')).toBe('留言未能提交');
      expect(await page.textContent('main, body')).toContain('留言含有不允许发布的内容');
      // The refusal is a 400 page, which the browser notes in its console, and nothing else went wrong.
      expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    });

    it(`posts in place with JavaScript at ${size} size`, async () => {
      const { page, errors, inFlight } = await site.open(`/a/${articleId}`, { viewport });
      await settled(page, inFlight);
      await page.locator('#comments').scrollIntoViewIfNeeded();
      await fill(page, `脚本读者${size}`, '这个话题有点敏感');
      await page.click('#comments button.comment-submit');
      await page.waitForFunction(() => document.querySelector('[data-comment-status]')?.textContent === '留言已提交，审核后显示');
      expect(page.url()).toBe(`${site.base}/a/${articleId}`);
      expect(await page.inputValue('#comments textarea[name="body"]')).toBe('');
      await snap(page, `submitted-js-${size}`);
      expect(errors).toEqual([]);
      await fill(page, '', '违 禁 词');
      await page.click('#comments button.comment-submit');
      await page.waitForFunction(() => document.querySelector('[data-comment-status]')?.textContent?.includes('不允许发布'));
      await settled(page, inFlight);
      expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    });
  }

  it('lets an editor approve and answer in 留言审核; the article then shows the comment, masked, with the reply and likes', async () => {
    const editor = await site.signIn('admin');
    const { page } = editor;
    await page.click('nav a[href="/admin/comments"]');
    await page.waitForSelector('.comment-card');
    const card = page.locator('.comment-card', { hasText: '这个话题有点＊＊' }).first();
    await snap(page, 'moderation-queue');
    await card.locator('button', { hasText: '官方回复' }).click();
    await card.locator('textarea').fill('感谢关注，编辑部会继续跟进。');
    await card.locator('button', { hasText: '发送回复' }).click();
    await page.waitForSelector('.notice-ok');
    await page.locator('.comment-card', { hasText: '这个话题有点＊＊' }).first().locator('button', { hasText: '通过' }).click();
    await page.waitForFunction(() => document.querySelector('.notice-ok')?.textContent?.includes('已通过'));
    const noScript = page.locator('.comment-card', { hasText: '没有脚本也能留言（phone）' }).first();
    await noScript.locator('button', { hasText: '通过' }).click();
    await page.waitForFunction(() => !document.body.textContent?.includes('没有脚本也能留言（phone）'));
    await page.goto(`${site.base}/admin/words`);
    await page.waitForSelector('.words-table tbody tr');
    await snap(page, 'sensitive-words');
    expect(editor.errors).toEqual([]);

    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      const { page: reader, errors, inFlight } = await site.open(`/a/${articleId}`, { viewport });
      await settled(reader, inFlight);
      const item = reader.locator('.comment', { hasText: '这个话题有点＊＊' });
      expect(await item.locator('.comment-reply').textContent()).toContain('感谢关注，编辑部会继续跟进。');
      await item.locator('button.comment-like').click();
      await reader.waitForFunction(() => [...document.querySelectorAll('.comment-like[aria-pressed="true"]')].length === 1);
      await item.scrollIntoViewIfNeeded();
      await snap(reader, `article-js-${size}`);
      expect(await seriousViolations(reader, { include: '#comments' })).toEqual([]);
      expect(errors).toEqual([]);

      // Without JavaScript the like is a form that lands back on the comment.
      const { page: plain } = await site.open(`/a/${articleId}`, { viewport, javaScriptEnabled: false });
      const plainItem = plain.locator('.comment', { hasText: '没有脚本也能留言（phone）' });
      await Promise.all([plain.waitForNavigation(), plainItem.locator('button.comment-like').click()]);
      expect(new URL(plain.url()).hash).toMatch(/^#c\d+$/);
      await plain.locator('.comment', { hasText: '没有脚本也能留言（phone）' }).scrollIntoViewIfNeeded();
      await snap(plain, `article-nojs-${size}`);
    }
    const likes = await site.ctx.store.comments.approved(articleId, 10);
    expect(likes.find((c) => c.body === '这个话题有点＊＊')!.likes).toBe(2);
    expect(likes.find((c) => c.body === '没有脚本也能留言（phone）')!.likes).toBe(2);
  });
});
