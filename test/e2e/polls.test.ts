import { beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/domain/accounts/service.ts';
import { json } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { seriousViolations, settled, shot, useNewsroom, VIEWPORTS } from './browser.ts';

const site = useNewsroom({ demo: false });
let auth: string;

beforeAll(async () => {
  const { token } = await createApiToken(site.ctx, null, { username: 'admin' });
  auth = `Bearer ${token}`;
  await createChannels(site.app, auth);
});

/** A poll embedded in a published article, made through the API as the newsroom would. */
async function pollInArticle(body: Record<string, unknown>) {
  const res = await site.app.inject({ method: 'POST', url: '/api/v1/polls', headers: { authorization: auth }, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  const poll = json(res) as { id: number };
  const article = await createArticle(site.app, auth, {
    body: `<p>江城地铁夜间延长运营的方案正在征求意见。</p><figure data-poll="${poll.id}"><figcaption>投票：${String(body.question)}</figcaption></figure><p>方案将于下月公布。</p>`,
  });
  await publish(site.app, auth, article.id);
  return { pollId: poll.id, articleId: article.id };
}

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  describe(`polls at ${viewport.width}×${viewport.height}`, () => {
    it('with JavaScript: votes in place inside an article and shows the results as bars (screenshot saved)', async () => {
      const { pollId, articleId } = await pollInArticle({
        question: `您支持地铁夜间延长运营吗？（${size}）`,
        options: ['支持', '反对', '无所谓'],
        results: 'after_vote',
      });
      const { page, errors, inFlight } = await site.open(`/a/${articleId}`, { viewport });
      const poll = page.locator(`[data-poll="${pollId}"]`);
      await expect(poll.locator('.poll-hidden').textContent()).resolves.toContain('投票后可查看结果');
      await poll.getByLabel('支持').check();
      await poll.getByRole('button', { name: '投票' }).click();
      await poll.locator('.poll-result.is-mine').waitFor();
      expect(page.url()).toBe(`${site.base}/a/${articleId}`);
      // The live region is written a moment later, so that screen readers announce it.
      await poll.locator('[data-poll-status]:has-text("感谢参与")').waitFor();
      expect(await poll.locator('form').count()).toBe(0);
      expect(await poll.locator('progress.poll-bar').count()).toBe(3);
      expect(await poll.locator('.poll-result.is-mine .poll-result-label').textContent()).toContain('支持');
      await expect(poll.locator('[data-poll-voters]').textContent()).resolves.toContain('1 人参与');
      await poll.scrollIntoViewIfNeeded();
      await settled(page, inFlight);
      await shot(page, `poll-article-${size}`, { fullPage: false });
      expect(await seriousViolations(page)).toEqual([]);
      // The page is cached for everyone; after a reload this reader's vote comes back from the API.
      await page.reload({ waitUntil: 'load' });
      await poll.locator('.poll-result.is-mine').waitFor();
      expect(await poll.locator('form').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('without JavaScript: the form posts, and the results page shows the vote and the counts (screenshot saved)', async () => {
      const { pollId } = await pollInArticle({
        question: `您最常坐哪几条线？（${size}）`,
        options: ['1号线', '2号线', '3号线', '4号线'],
        choice: 'multiple',
        results: 'always',
      });
      const { page, errors } = await site.open(`/p/${pollId}`, { viewport, javaScriptEnabled: false });
      await page.getByLabel('1号线').check();
      await page.getByLabel('3号线').check();
      await shot(page, `poll-page-nojs-${size}`, { fullPage: false });
      await Promise.all([page.waitForURL((u) => u.pathname === `/p/${pollId}/results`), page.getByRole('button', { name: '投票' }).click()]);
      expect(await page.locator('[data-poll-status]').textContent()).toContain('您的选票已计入');
      const mine = await page.locator('.poll-result.is-mine .poll-result-label').allTextContents();
      expect(mine.map((t) => t.replace('（您的选择）', ''))).toEqual(['1号线', '3号线']);
      expect(await page.locator('[data-poll-voters]').textContent()).toContain('1 人参与');
      expect(await page.locator('form.poll-form').count()).toBe(0);
      await shot(page, `poll-results-nojs-${size}`, { fullPage: size === 'phone' });
      // The same reader trying again from the cached page is told, on a page, with the counts unchanged.
      await page.goto(`${site.base}/p/${pollId}`);
      await page.getByLabel('2号线').check();
      const [refused] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/p/${pollId}/vote`)),
        page.getByRole('button', { name: '投票' }).click(),
      ]);
      expect(refused.status()).toBe(409);
      await page.waitForURL((u) => u.pathname === `/p/${pollId}/vote`);
      expect(await page.locator('[data-poll-status]').textContent()).toContain('您已经投过票了');
      expect(await page.locator('[data-poll-voters]').textContent()).toContain('1 人参与');
      // The refusal is a 409 page, which the console reports as such; nothing else went wrong.
      expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
      await page.context().close();
    });
  });
}

describe('polls in the newsroom', () => {
  it('creates a poll in the 投票 page, shows its results by the hour, and embeds it from the editor (screenshots saved)', async () => {
    const { page, errors, inFlight } = await site.signIn('admin');
    await page.click('nav a[href="/admin/polls"]');
    await page.waitForSelector('.polls-page');
    await page.click('a[href="/admin/polls/new"]');
    await page.fill('input[name=question]', '新建的投票：周末加开班次吗？');
    await page.fill('input[name=option-0]', '加开');
    await page.fill('input[name=option-1]', '不必');
    await page.click('text=添加选项');
    await page.fill('input[name=option-2]', '看客流');
    await page.click('button:has-text("创建投票")');
    await page.waitForSelector('[data-poll-page]');
    const id = Number(await page.getAttribute('[data-poll-page]', 'data-poll-page'));
    expect(id).toBeGreaterThan(0);
    // Two readers vote; the page shows them after a reload.
    for (const ip of ['203.0.113.1', '203.0.113.2']) {
      const res = await site.app.inject({ method: 'POST', url: `/api/v1/polls/${id}/votes`, remoteAddress: ip, payload: { choices: [2] } });
      expect(res.statusCode).toBe(200);
    }
    await page.reload();
    await page.waitForSelector('.poll-hours');
    expect(await page.locator('#poll-results-title').textContent()).toContain('2 人参与');
    expect(await page.locator('.poll-hours tbody tr').count()).toBe(1);
    expect(await page.getAttribute('a:has-text("导出 CSV")', 'href')).toBe(`/api/v1/polls/${id}/ballots.csv`);
    await settled(page, inFlight);
    await shot(page, 'newsroom-poll-desktop');

    // The editor's 投票 block: the poll goes into the body as its placeholder.
    await page.goto(`${site.base}/admin/articles/new`);
    await page.waitForSelector('[data-editor] .ProseMirror');
    await page.click('[data-editor] .ProseMirror');
    await page.click('button.tool-poll');
    await page.fill('input[name=poll]', String(id));
    await page.click('dialog button:has-text("插入")');
    await page.waitForSelector(`[data-editor] figure[data-poll="${id}"]`);
    expect(await page.locator(`[data-editor] figure[data-poll="${id}"] figcaption`).textContent()).toBe('投票：新建的投票：周末加开班次吗？');
    await shot(page, 'newsroom-poll-editor-desktop', { fullPage: false });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the 投票 page on a phone (screenshot saved)', async () => {
    const { page, errors, inFlight } = await site.signIn('admin', VIEWPORTS.phone);
    await page.goto(`${site.base}/admin/polls`);
    await page.waitForSelector('.polls-table tbody tr');
    await settled(page, inFlight);
    await shot(page, 'newsroom-polls-phone', { fullPage: false });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
