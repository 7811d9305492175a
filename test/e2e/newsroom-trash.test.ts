import { describe, expect, it } from 'vitest';
import { createArticle, publishArticle, submitArticle } from '../../src/domain/articles/service.ts';
import { waitFor } from '../support/wait.ts';
import { answeringDialogs, settled, shot, useNewsroom } from './browser.ts';

/**
 * 回收站 and bulk actions in Chromium against a real server: a reporter deletes her draft from the editor, finds it in
 * the 回收站 and restores it; an editor publishes and deletes several articles at once from the dashboard and reads,
 * in Chinese, which ones could not be done and why.
 */

const PASSWORD = 'trash-e2e-password';

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { yaowen: '要闻', keji: '科技' },
  people: { wangbin: ['王斌', 'editor'], zhouming: ['周明远', 'reporter'] },
});

const signIn = async (username: string) => answeringDialogs(await site.signIn(username, { width: 1280, height: 900 }));

const write = (by: keyof typeof site.people, title: string, body = `<p>${title}。本报讯，记者今日获悉相关情况。</p>`) =>
  createArticle(site.ctx, site.people[by], { title, channel: 'yaowen', body, summary: `${title}的摘要。` });

describe('回收站 and bulk actions in Chromium', { timeout: 60_000 }, () => {
  it('a reporter deletes her draft in the editor, finds it in the 回收站 with its purge date, and restores it', async () => {
    const draft = await write('zhouming', '暴雨过后城东积水点调查');
    const zhou = await signIn('zhouming');
    const { page } = zhou;
    await page.goto(`${site.base}/admin/articles/${draft.id}`);
    await page.waitForSelector('.ProseMirror');
    await page.click('.workflow [data-action=delete]');
    await page.waitForURL(`${site.base}/admin`);
    expect(zhou.dialogs.at(-1)).toContain('回收站中保留 30 天');
    await page.waitForSelector('.dashboard [data-section=drafts] .count');
    expect(await page.locator(`[data-article-id="${draft.id}"]`).count()).toBe(0);
    expect(await site.ctx.store.articles.findById(draft.id)).toBeUndefined();

    await page.click('header nav a:has-text("回收站")');
    const row = page.locator(`[data-trash-id="${draft.id}"]`);
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('暴雨过后城东积水点调查');
    expect(text).toContain('周明远');
    // Purged 30 days after deletion, shown in Beijing time.
    const entry = (await site.ctx.store.articles.findInTrash(draft.id))!;
    const purge = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short' }).format(entry.deletedAt + 30 * 24 * 3600 * 1000);
    expect(text).toContain(purge);
    await settled(page, zhou.inFlight);
    await shot(page, 'newsroom-trash');

    await row.locator('button[data-restore]').click();
    await page.waitForSelector('.notice-ok:has-text("已恢复为草稿")');
    expect(await row.count()).toBe(0);
    expect((await site.ctx.store.articles.findById(draft.id))?.status).toBe('draft');
    await page.click('.notice-ok a');
    await page.waitForSelector('.ProseMirror');
    expect(page.url()).toBe(`${site.base}/admin/articles/${draft.id}`);
    expect(zhou.errors).toEqual([]);
  });

  it('an editor publishes and deletes several articles at once from the dashboard and reads why some could not be', async () => {
    const ready = await write('zhouming', '江城新开三条公交线路');
    await submitArticle(site.ctx, site.people.zhouming!, ready.id);
    const empty = await write('zhouming', '尚未写正文的稿件', '');
    await submitArticle(site.ctx, site.people.zhouming!, empty.id);
    const live = await write('wangbin', '江城马拉松周日开跑');
    await publishArticle(site.ctx, site.people.wangbin!, live.id);
    const mine = await write('wangbin', '编辑自己的废稿');

    const wang = await signIn('wangbin');
    const { page } = wang;
    const pick = (id: number) => page.check(`[data-article-id="${id}"] input.pick`);
    await pick(ready.id);
    await pick(empty.id);
    await pick(live.id);
    await page.waitForSelector('.bulk-bar:has-text("已选 3 篇")');
    await page.click('[data-bulk=publish]');
    const report = page.locator('[data-bulk-report]');
    await report.waitFor();
    await waitFor(async () => ((await report.textContent()) ?? '').includes('发布：2 篇完成'), { timeout: 10_000, message: 'the bulk report' });
    const said = await report.textContent();
    expect(said).toContain('其中 1 篇原本就是这样');
    expect(said).toContain('1 篇未能完成');
    expect(said).toContain('《尚未写正文的稿件》：请填写必填项（正文）');
    expect((await site.ctx.store.articles.findById(ready.id))?.status).toBe('published');
    expect((await site.ctx.store.articles.findById(empty.id))?.status).toBe('submitted');
    // The lists reloaded without the picks: the published one moved to 最近发布.
    await page.waitForSelector(`[data-section=published] [data-article-id="${ready.id}"]`);
    expect(await page.locator('input.pick:checked').count()).toBe(0);
    await settled(page, wang.inFlight);
    await shot(page, 'newsroom-bulk-publish');

    await pick(mine.id);
    await pick(live.id);
    await page.click('[data-bulk=delete]');
    await page.waitForSelector('dialog[open] [data-confirm-delete]');
    await settled(page, wang.inFlight);
    await shot(page, 'newsroom-bulk-delete-confirm');
    await page.click('dialog[open] [data-confirm-delete]');
    await waitFor(async () => ((await report.textContent()) ?? '').includes('删除：1 篇完成'), { timeout: 10_000, message: 'the delete report' });
    expect(await report.textContent()).toContain('《江城马拉松周日开跑》：只有从未发布过的草稿和待审稿件可以删除');
    expect(await site.ctx.store.articles.findById(mine.id)).toBeUndefined();
    expect((await site.ctx.store.articles.findInTrash(mine.id))?.deletedBy?.username).toBe('wangbin');
    expect((await site.ctx.store.articles.findById(live.id))?.status).toBe('published');
    await settled(page, wang.inFlight);
    await shot(page, 'newsroom-bulk-delete');
    expect(wang.errors).toEqual([]);
  });
});
