import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createArticle, publishArticle, submitArticle } from '../../src/domain/articles/service.ts';
import { drainOutbox } from '../../src/domain/outbox.ts';
import { type NewsroomSession, seriousViolations, settled, shot, useNewsroom } from './browser.ts';

/**
 * 稿件库 in Chromium against a real server: an editor reaches it from the top bar, pages with 下一页, searches a word of a
 * draft's body, filters, reloads and goes back with the filters kept in the address, selects rows and opens an
 * article; a reporter sees no one else's drafts and no selection.
 */

const PASSWORD = 'archive-e2e-password';

const ids: Record<string, number> = {};
const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { yaowen: '要闻', keji: '科技' },
  people: { wangbin: ['王斌', 'editor'], zhouming: ['周明远', 'reporter'], lina: ['李娜', 'reporter'] },
});

beforeAll(async () => {
  // A cover where the demo keeps its pictures, served like an upload.
  mkdirSync(path.join(site.dataDir, 'media', 'demo'), { recursive: true });
  writeFileSync(
    path.join(site.dataDir, 'media', 'demo', 'cover.jpg'),
    await sharp({ create: { width: 480, height: 320, channels: 3, background: { r: 180, g: 120, b: 60 } } })
      .jpeg()
      .toBuffer(),
  );
  // More published stories than one page holds, some with a cover.
  for (let i = 1; i <= 34; i++) {
    const a = await createArticle(site.ctx, site.people.wangbin, {
      title: `江城新闻第${i}条：城市更新进展`,
      channel: i % 2 ? 'yaowen' : 'keji',
      body: `<p>第${i}条新闻的正文，介绍城市更新的最新进展。</p>`,
      cover: i % 5 === 0 ? '/media/demo/cover.jpg' : '',
    });
    await publishArticle(site.ctx, site.people.wangbin, a.id);
  }
  ids.draft = (
    await createArticle(site.ctx, site.people.zhouming, { title: '墨川湖候鸟调查', channel: 'yaowen', body: '<p>湖畔的砚岚芯观测站今晨记录到一群白鹤。</p>' })
  ).id;
  ids.submitted = (await createArticle(site.ctx, site.people.zhouming, { title: '候鸟保护志愿者招募', channel: 'yaowen', body: '<p>招募志愿者。</p>' })).id;
  await submitArticle(site.ctx, site.people.zhouming, ids.submitted);
  ids.otherDraft = (await createArticle(site.ctx, site.people.lina, { title: '青瓷窑址发掘记', channel: 'keji', body: '<p>青瓷残片出土。</p>' })).id;
  // The drafts' search entries now, not once they have been quiet for a moment (DRAFT_QUIET_MS) and the server's
  // outbox polls: the test searches them at once.
  await drainOutbox(site.ctx);
}, 120_000);

const signIn = (username: string) => site.signIn(username);

const rows = (page: Page) => page.$$eval('.archive-table tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-article-id'))));
/** Waits until the table shows the answer for the address on screen. */
const loaded = async (p: NewsroomSession) => {
  await p.page.waitForSelector('.archive-summary [data-loading]', { state: 'detached' });
  await p.page.waitForSelector('.archive-table, [data-empty]');
  await settled(p.page, p.inFlight);
};

describe('稿件库 in Chromium', { timeout: 90_000 }, () => {
  it('an editor pages, searches drafts, filters, keeps the filters in the address, selects and opens an article', async () => {
    const wang = await signIn('wangbin');
    const { page } = wang;
    await page.click('.topbar nav a:has-text("稿件库")');
    await page.waitForURL(`${site.base}/admin/archive`);
    await loaded(wang);
    expect(await page.textContent('h1')).toBe('稿件库');
    expect(await page.getAttribute('.topbar nav a:has-text("稿件库")', 'aria-current')).toBe('page');
    const first = await rows(page);
    expect(first).toHaveLength(30);
    // Newest change first: the other reporter's draft is the last article written.
    expect(first[0]).toBe(ids.otherDraft);
    expect(await page.$$('.archive-table .archive-thumb')).not.toHaveLength(0);
    await shot(page, 'archive-editor');

    // 下一页 follows the cursor; the rest of the 37 articles, none twice; back shows the first page again.
    await page.click('button:has-text("下一页")');
    await page.waitForURL(/cursor=/);
    await loaded(wang);
    const second = await rows(page);
    expect(second).toHaveLength(7);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    expect(await page.$('button:has-text("下一页")')).toBeNull();
    await page.goBack();
    await page.waitForURL(`${site.base}/admin/archive`);
    await loaded(wang);
    expect(await rows(page)).toEqual(first);

    // A word of a draft's body (a name jieba does not know) finds it.
    await page.fill('#archive-q', '砚岚芯');
    await page.click('.archive-search button[type=submit]');
    await page.waitForURL(/q=/);
    await loaded(wang);
    expect(await rows(page)).toEqual([ids.draft]);
    expect(await page.textContent('[data-total]')).toContain('共找到 1 篇');

    // A title word is marked; a status filter narrows to the submitted one.
    await page.fill('#archive-q', '候鸟');
    await page.selectOption('select[name=status]', 'submitted');
    await page.click('.archive-search button[type=submit]');
    await page.waitForURL(/status=submitted/);
    await loaded(wang);
    expect(await rows(page)).toEqual([ids.submitted]);
    expect(await page.innerHTML(`[data-article-id="${ids.submitted}"] .article-link`)).toBe('<mark>候鸟</mark>保护志愿者招募');
    expect(new URL(page.url()).searchParams.get('q')).toBe('候鸟');

    // A reload restores the same search and filters from the address.
    await page.reload();
    await loaded(wang);
    expect(await page.inputValue('#archive-q')).toBe('候鸟');
    expect(await page.inputValue('select[name=status]')).toBe('submitted');
    expect(await rows(page)).toEqual([ids.submitted]);

    // Without the status filter both 候鸟 articles show; the page's rows can be selected at once.
    await page.selectOption('select[name=status]', '');
    await page.click('.archive-search button[type=submit]');
    await page.waitForURL((url) => !url.searchParams.has('status'));
    await loaded(wang);
    expect((await rows(page)).sort()).toEqual([ids.draft, ids.submitted].sort());
    await page.check('th.select input[type=checkbox]');
    expect(await page.getAttribute('[data-selected]', 'data-selected')).toBe('2');
    expect(await page.textContent('.archive-selection')).toContain('已选 2 篇');
    await shot(page, 'archive-search-selected');

    expect(await seriousViolations(page, { include: 'main', runOnly: ['wcag2a', 'wcag2aa'] })).toEqual([]);

    // The title opens the article in the editor.
    await page.click(`[data-article-id="${ids.draft}"] .article-link`);
    await page.waitForURL(`${site.base}/admin/articles/${ids.draft}`);
    await page.waitForSelector('.ProseMirror');
    expect(await page.textContent('.ProseMirror')).toContain('砚岚芯');
    expect(wang.errors).toEqual([]);
  });

  it('a reporter finds their own drafts and the published stories, nobody else’s drafts, and has no selection', async () => {
    const zhou = await signIn('zhouming');
    const { page } = zhou;
    await page.goto(`${site.base}/admin/archive?q=${encodeURIComponent('青瓷')}`);
    await loaded(zhou);
    expect(await page.$('[data-empty]')).not.toBeNull();
    expect(await page.textContent('[data-empty]')).toContain('没有符合条件的稿件');
    await shot(page, 'archive-reporter-empty');

    await page.goto(`${site.base}/admin/archive?q=${encodeURIComponent('砚岚芯')}`);
    await loaded(zhou);
    expect(await rows(page)).toEqual([ids.draft]);
    await page.goto(`${site.base}/admin/archive?status=draft`);
    await loaded(zhou);
    expect(await rows(page)).toEqual([ids.draft]);
    expect(await page.$('.archive-table input[type=checkbox]')).toBeNull();
    await page.goto(`${site.base}/admin/archive?channel=yaowen&sort=published`);
    await loaded(zhou);
    const listed = await rows(page);
    expect(listed).toHaveLength(19);
    expect(listed).not.toContain(ids.otherDraft);
    // Never-published ones come after the published stories.
    expect(listed.slice(-2).sort()).toEqual([ids.draft, ids.submitted].sort());
    await shot(page, 'archive-reporter');
    expect(zhou.errors).toEqual([]);
  });
});
