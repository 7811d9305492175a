import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createArticle, publishArticle } from '../../src/domain/articles/service.ts';
import { deleteLiveEntry, editLiveEntry, postLiveEntry, setLiveStatus } from '../../src/domain/live/service.ts';
import { waitFor } from '../support/wait.ts';
import { SCREENSHOT_DIR, settled, useNewsroom, VIEWPORTS, watchErrors, watchRequests } from './browser.ts';

/**
 * 图文直播 in Chromium against a real server: with JavaScript new, edited and deleted entries arrive over the event
 * stream without a reload (under the strict CSP: no console errors); without it the page lists every entry; the
 * newsroom posts from its live page. Screenshots at phone and desktop size.
 */

const PASSWORD = 'live-e2e-password';

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { yaowen: '要闻' },
  people: { wangbin: ['王斌', 'editor'], zhoumy: ['周明远', 'reporter'] },
});

async function newLive(title: string): Promise<number> {
  const { id } = await createArticle(site.ctx, site.people.wangbin, {
    title,
    channel: 'yaowen',
    body: '<p>本报记者在现场为您带来图文直播，消息随时更新。</p>',
    summary: '图文直播。',
  });
  await publishArticle(site.ctx, site.people.wangbin, id);
  await setLiveStatus(site.ctx, site.people.wangbin, id, 'live');
  await postLiveEntry(site.ctx, site.people.zhoumy, id, { body: '上午9时，发布会现场座无虚席。' });
  await postLiveEntry(site.ctx, site.people.wangbin, id, {
    body: '发言人：全市主要河流水位已回落至警戒线以下。',
    quote: { text: '防汛形势总体平稳。', source: '市防汛办' },
  });
  await postLiveEntry(site.ctx, site.people.wangbin, id, { body: '交通提示：滨江路恢复通行。', pinned: true });
  return id;
}

const entryIds = (page: Page) => page.$$eval('[data-live-entries] .live-entry', (items) => items.map((i) => Number(i.getAttribute('data-entry-id'))));

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  describe(`live coverage at ${viewport.width}×${viewport.height}`, { timeout: 60_000 }, () => {
    it('with JavaScript: new, edited and deleted entries arrive without a reload', async () => {
      const id = await newLive(`防汛发布会图文直播（${size}）`);
      const context = await site.browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      const page = await context.newPage();
      const errors = watchErrors(page);
      const inFlight = watchRequests(page);
      await page.goto(`${site.base}/a/${id}`);
      const before = await entryIds(page);
      expect(before).toHaveLength(3);
      expect(await page.textContent('[data-live-status]')).toBe('直播中');
      // The stream is open once the page's script ran; then an entry is posted in the newsroom.
      await page.waitForSelector('[data-live-connected]', { state: 'attached' });
      const { entry: fresh } = await postLiveEntry(site.ctx, site.people.zhoumy, id, { body: '最新：市长到达现场。\n他向救援队伍表示慰问。' });
      await page.waitForSelector(`#live-${fresh.id}`);
      const after = await entryIds(page);
      // Under the pinned entry, above the older ones; the count follows.
      expect(after).toEqual([before[0], fresh.id, ...before.slice(1)]);
      expect(await page.textContent('[data-live-count]')).toBe('4');
      expect(await page.$$eval(`#live-${fresh.id} .live-text`, (ps) => ps.map((p) => p.textContent))).toEqual([
        '最新：市长到达现场。',
        '他向救援队伍表示慰问。',
      ]);

      await editLiveEntry(site.ctx, site.people.wangbin, id, fresh.id, { body: '更正：副市长到达现场。' });
      await waitFor(async () => (await page.textContent(`#live-${fresh.id} .live-text`)) === '更正：副市长到达现场。', { message: 'the correction' });
      await deleteLiveEntry(site.ctx, site.people.wangbin, id, before[1]!);
      await page.waitForSelector(`#live-${before[1]}`, { state: 'detached' });
      expect(await page.textContent('[data-live-count]')).toBe('3');
      expect(page.url()).toBe(`${site.base}/a/${id}`);

      await page.locator('.live').scrollIntoViewIfNeeded();
      await settled(page, () => Math.max(0, inFlight() - 1));
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `live-js-${size}.png`), fullPage: true });

      await setLiveStatus(site.ctx, site.people.wangbin, id, 'ended');
      await waitFor(async () => (await page.textContent('[data-live-status]')) === '已结束', { message: '已结束' });
      // No CSP violation, no script error.
      expect(errors).toEqual([]);
      await context.close();
    });

    it('without JavaScript: the page lists every entry, and a reload shows the new ones', async () => {
      const id = await newLive(`台风登陆图文直播（${size}）`);
      const context = await site.browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`${site.base}/a/${id}`);
      expect(await entryIds(page)).toHaveLength(3);
      expect(await page.textContent('.live-pinned .live-text')).toBe('交通提示：滨江路恢复通行。');
      expect(await page.textContent('.live-quote')).toContain('防汛形势总体平稳。');
      const { entry: fresh } = await postLiveEntry(site.ctx, site.people.zhoumy, id, { body: '台风中心已移入内陆。' });
      await page.reload();
      expect((await entryIds(page))[1]).toBe(fresh.id);
      await page.locator('.live').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `live-nojs-${size}.png`), fullPage: true });
      await context.close();
    });
  });
}

describe('the newsroom live page', { timeout: 60_000 }, () => {
  it('an editor posts an entry from the newsroom and a reader sees it arrive', async () => {
    const id = await newLive('城市马拉松图文直播');
    const reader = await site.browser.newContext({ viewport: VIEWPORTS.phone, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const readerPage = await reader.newPage();
    await readerPage.goto(`${site.base}/a/${id}`);
    await readerPage.waitForSelector('[data-live-connected]', { state: 'attached' });

    const { page, errors } = await site.signIn('wangbin');
    await page.goto(`${site.base}/admin/articles/${id}`);
    await page.click('[data-live-link]');
    await page.waitForSelector('[data-live-state=live]');
    expect(await page.$$eval('[data-live-entry]', (li) => li.length)).toBe(3);
    await page.fill('[data-live-body]', '男子组冠军冲过终点，成绩2小时08分。');
    await page.click('[data-live-submit]');
    await waitFor(async () => (await page.$$eval('[data-live-entry]', (li) => li.length)) === 4, { message: 'the posted entry in the list' });
    await readerPage.waitForSelector('text=男子组冠军冲过终点，成绩2小时08分。');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'live-newsroom-desktop.png'), fullPage: true });
    // Closing from the newsroom.
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-live-close]');
    await page.waitForSelector('[data-live-state=ended]');
    await readerPage.waitForFunction(() => document.querySelector('[data-live-status]')?.textContent === '已结束');
    expect(errors).toEqual([]);
    await reader.close();
    await page.context().close();
  });

  it('an entry whose post lost its answer, then changed and sent again, is one entry with the new text', async () => {
    const id = await newLive('防汛新闻发布会图文直播');
    // The live's entries' texts, in any order.
    const entries = async () => (await site.ctx.store.live.visibleEntries(id, 100)).map((e) => e.body).sort();
    const before = await entries();
    const { page, errors } = await site.signIn('wangbin');
    const keys: (string | undefined)[] = [];
    let lose = true;
    await page.route('**/live/entries', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      if (!lose) return route.continue();
      // The post reaches the server and is made; its answer (and the at-once retry's) is lost on the way back.
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.goto(`${site.base}/admin/articles/${id}/live`);
    await page.waitForSelector('[data-live-state=live]');
    await page.fill('[data-live-body]', '发言人：水位在下午回落。');
    await page.click('[data-live-submit]');
    await waitFor(async () => keys.length === 2 && (await page.isEnabled('[data-live-submit]')), { message: 'the post made, its answers lost' });
    expect(await entries()).toEqual([...before, '发言人：水位在下午回落。'].sort());
    // The editor, told it failed, corrects the text and sends it again, the connection back.
    lose = false;
    await page.fill('[data-live-body]', '发言人：水位已在下午3时回落至警戒线以下。');
    await page.click('[data-live-submit]');
    await waitFor(async () => (await page.inputValue('[data-live-body]')) === '', { message: 'the form emptied once sent' });
    expect(await entries()).toEqual([...before, '发言人：水位已在下午3时回落至警戒线以下。'].sort());
    // Every post of it went with the one key; the list shows the one entry, corrected.
    expect(keys.length).toBe(3);
    expect(new Set(keys).size).toBe(1);
    await waitFor(async () => (await page.$$eval('[data-live-entry]', (li) => li.length)) === before.length + 1, { message: 'the entry in the list' });
    expect(await page.textContent('.live-list')).toContain('发言人：水位已在下午3时回落至警戒线以下。');
    // The next entry is a new one: a new key.
    await page.fill('[data-live-body]', '发布会结束。');
    await page.click('[data-live-submit]');
    await waitFor(async () => (await entries()).length === before.length + 2, { message: 'the next entry posted' });
    expect(keys[3]).not.toBe(keys[0]);
    expect(errors.filter((e) => !e.includes('net::ERR_'))).toEqual([]);
    await page.context().close();
  });

  it('an entry being written is not thrown away unasked: leaving the page or closing the tab asks first', async () => {
    const id = await newLive('秋季运动会图文直播');
    const { page, errors } = await site.signIn('wangbin');
    const dialogs: string[] = [];
    let accept = false;
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}:${d.message()}`);
      void (accept ? d.accept() : d.dismiss());
    });
    await page.goto(`${site.base}/admin/articles/${id}/live`);
    await page.waitForSelector('[data-live-state=live]');
    await page.fill('[data-live-body]', '百米决赛即将开始，选手正在热身。');
    // 稿件 in the top bar: asked, and refusing keeps the text on the page.
    await page.click('.topbar nav a[href="/admin"]');
    expect(dialogs).toEqual(['confirm:有未保存的更改，离开后将会丢失。确定离开吗？']);
    expect(new URL(page.url()).pathname).toBe(`/admin/articles/${id}/live`);
    expect(await page.inputValue('[data-live-body]')).toBe('百米决赛即将开始，选手正在热身。');
    // Closing the tab asks too (beforeunload).
    await page.close({ runBeforeUnload: true });
    await waitFor(() => dialogs.length === 2, { message: 'the beforeunload question' });
    expect(dialogs[1]).toMatch(/^beforeunload:/);
    expect(page.isClosed()).toBe(false);

    // Once posted, nothing is left to lose: leaving asks nothing.
    await page.click('[data-live-submit]');
    await waitFor(async () => (await page.$$eval('[data-live-entry]', (li) => li.length)) === 4, { message: 'the posted entry in the list' });
    accept = true;
    await page.click('.topbar nav a[href="/admin"]');
    await page.waitForSelector('.dashboard [data-section=published] .count');
    expect(dialogs).toHaveLength(2);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
