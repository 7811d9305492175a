import { beforeAll, describe, expect, it } from 'vitest';
import { createArticle, publishArticle, returnArticle, submitArticle } from '../../src/domain/articles/service.ts';
import { waitFor } from '../support/wait.ts';
import { settled, shot, useNewsroom } from './browser.ts';

/** The 审计日志 page in Chromium: the log reads as Chinese sentences and filters by what and which article. */

const PASSWORD = 'audit-e2e-password';
const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { yaowen: '要闻' },
  people: { wangbin: ['王斌', 'editor'], zhouming: ['周明远', 'reporter'] },
});

beforeAll(async () => {
  const { ctx, people } = site;
  const metro = await createArticle(ctx, people.zhouming, { title: '江城地铁12号线开通', channel: 'yaowen', body: '<p>今日开通。</p>' });
  await submitArticle(ctx, people.zhouming, metro.id);
  await returnArticle(ctx, people.wangbin, metro.id, '请补充票价');
  const flood = await createArticle(ctx, people.wangbin, { title: '防汛准备就绪', channel: 'yaowen', body: '<p>准备就绪。</p>' });
  await publishArticle(ctx, people.wangbin, flood.id);
});

describe('the audit log in Chromium', { timeout: 60_000 }, () => {
  it('reads as sentences and filters by action group and by article title', async () => {
    const { page, errors, inFlight } = await site.signIn('wangbin', { width: 1280, height: 900 });
    await page.click('nav a:has-text("审计日志")');
    await page.waitForSelector('.audit-log li');
    const lines = async () => (await page.locator('.audit-log li').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());

    const all = await lines();
    const time = '\\d{1,2}月\\d{1,2}日 \\d{2}:\\d{2}';
    expect(all[0]).toMatch(new RegExp(`^王斌 于 ${time} 登录了编辑部$`));
    expect(all[1]).toMatch(new RegExp(`^王斌 于 ${time} 发布了《防汛准备就绪》$`));
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`^王斌 于 ${time} 把《江城地铁12号线开通》退回修改：“请补充票价”$`)));
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`^周明远 于 ${time} 把《江城地铁12号线开通》提交审核$`)));
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`^系统 于 ${time} 新建了账号 zhouming（记者）$`)));

    await page.selectOption('select[name=action]', 'review');
    await page.click('.audit-filters button[type=submit]');
    await waitFor(async () => (await lines()).length === 2, { timeout: 5_000, message: 'the review events' });
    expect((await lines()).map((l) => l.replace(new RegExp(` 于 ${time}`), ''))).toEqual([
      '王斌 把《江城地铁12号线开通》退回修改：“请补充票价”',
      '周明远 把《江城地铁12号线开通》提交审核',
    ]);
    await settled(page, inFlight);
    await shot(page, 'newsroom-audit-filtered');

    await page.selectOption('select[name=action]', '');
    await page.fill('input[name=article]', '防汛');
    await page.click('.audit-filters button[type=submit]');
    await waitFor(async () => (await lines()).every((l) => l.includes('防汛准备就绪')) && (await lines()).length === 2, {
      timeout: 5_000,
      message: 'the flood article',
    });
    // The title links to the article.
    await page.click('.audit-log li a:has-text("《防汛准备就绪》")');
    await page.waitForSelector('.ProseMirror');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
