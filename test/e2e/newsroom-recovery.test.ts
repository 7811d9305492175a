import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createArticle, deleteArticle, publishArticle, submitArticle, updateArticle } from '../../src/domain/articles/service.ts';
import { IDEMPOTENCY_KEEP_MS } from '../../src/domain/idempotency.ts';
import { postLiveEntry, setLiveStatus } from '../../src/domain/live/service.ts';
import { waitFor } from '../support/wait.ts';
import { typeAtEndOf, useNewsroom, watchErrors } from './browser.ts';
import { saveState, waitState } from './save-state.ts';

/**
 * The browser's copy of a writer's unsaved text, in Chromium: the saves fail (no network), the tab dies without a
 * word (closed without beforeunload), and opening the article again in the same browser offers the text back
 * (恢复 saves it, merging with what others saved meanwhile; 丢弃 forgets it); only to the same account, kept over
 * signing out; a copy the server already has is not offered.
 */

const PASSWORD = 'recovery-e2e-password';
const CHANNEL = 'yaowen';

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { [CHANNEL]: '要闻' },
  people: { zhouming: ['周明远', 'reporter'], wangbin: ['王斌', 'editor'] },
});

const stored = async (id: number) => (await site.ctx.store.articles.findById(id))!;
const occurrences = (text: string, part: string) => text.split(part).length - 1;
const typeAtEnd = (page: Page, text: string) => typeAtEndOf(page, '.ProseMirror > p:last-of-type', text);

/** Every save of an article's text fails as with no network (creating, and PATCH of an article). */
async function failSaves(page: Page) {
  await page.route('**/api/v1/articles*', (route) => (route.request().method() === 'GET' ? route.continue() : route.abort('internetdisconnected')));
  await page.route('**/api/v1/articles/*', (route) => (route.request().method() === 'PATCH' ? route.abort('internetdisconnected') : route.continue()));
}

/** A new page of the same browser (same cookies, same storage), confirm dialogs accepted. */
async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  return page;
}

async function open(page: Page, id: number) {
  await page.goto(`${site.base}/admin/articles/${id}`);
  await page.waitForSelector('.ProseMirror');
}

/** The tab dies: no beforeunload, nothing more runs in it. */
const kill = (page: Page) => page.close({ runBeforeUnload: false });

/** A reporter's draft, open in their editor, with every save failing; `typed` typed at the end and given up on. */
async function unsavedEdit(title: string, body: string, typed: string): Promise<{ id: number; context: BrowserContext }> {
  const { id } = await createArticle(site.ctx, site.people.zhouming, { title, channel: CHANNEL, body });
  const { page } = await site.signIn('zhouming');
  await open(page, id);
  await failSaves(page);
  await typeAtEnd(page, typed);
  await waitState(page, 'offline');
  expect((await stored(id)).bodyHtml).not.toContain(typed);
  const context = page.context();
  await kill(page);
  return { id, context };
}

describe('the browser’s copy of unsaved text in Chromium', { timeout: 90_000 }, () => {
  it('the tab dies while the saves fail: opening the article again offers the text, and 恢复 brings it to the server', async () => {
    const { id, context } = await unsavedEdit('暴雨预警升级', '<p>气象台发布暴雨橙色预警。</p>', '请市民减少外出。');

    const page = await newPage(context);
    const errors = watchErrors(page);
    await open(page, id);
    await page.waitForSelector('[data-recovery]');
    expect(await page.textContent('[data-recovery]')).toContain('此稿有未保存到服务器的本地副本');
    // Nothing overwritten before the writer decides: the server's text on screen, the editor waiting.
    expect(await page.textContent('.ProseMirror')).toBe('气象台发布暴雨橙色预警。');
    expect(await page.getAttribute('.ProseMirror', 'contenteditable')).toBe('false');

    await page.click('[data-recovery-restore]');
    await page.waitForSelector('[data-recovery]', { state: 'detached' });
    expect(await page.textContent('.ProseMirror')).toBe('气象台发布暴雨橙色预警。请市民减少外出。');
    // An unsaved change, saved by the normal autosave.
    await waitState(page, 'saved');
    expect(occurrences((await stored(id)).bodyHtml, '请市民减少外出。')).toBe(1);
    expect(errors).toEqual([]);

    // Saved: not offered again.
    await kill(page);
    const later = await newPage(context);
    await open(later, id);
    expect(await later.$('[data-recovery]')).toBeNull();
    expect(await later.textContent('.ProseMirror')).toBe('气象台发布暴雨橙色预警。请市民减少外出。');
    await context.close();
  });

  it('丢弃 forgets the copy: the server’s text stays, and the copy is not offered again', async () => {
    const { id, context } = await unsavedEdit('台风路径西移', '<p>台风向西北方向移动。</p>', '沿海地区注意防范。');
    const revision = (await stored(id)).revision;

    const page = await newPage(context);
    await open(page, id);
    await page.waitForSelector('[data-recovery]');
    await page.click('[data-recovery-discard]');
    await page.waitForSelector('[data-recovery]', { state: 'detached' });
    expect(await page.textContent('.ProseMirror')).toBe('台风向西北方向移动。');
    expect(await page.getAttribute('.ProseMirror', 'contenteditable')).toBe('true');
    expect(await saveState(page)).toBe('clean');

    await kill(page);
    const later = await newPage(context);
    await open(later, id);
    expect(await later.$('[data-recovery]')).toBeNull();
    expect((await stored(id)).revision).toBe(revision);
    expect((await stored(id)).bodyHtml).not.toContain('沿海地区');
    await context.close();
  });

  it('text the server already has is not offered, even when the tab dies right after the save', async () => {
    const { id } = await createArticle(site.ctx, site.people.zhouming, { title: '地铁延误', channel: CHANNEL, body: '<p>早高峰地铁2号线延误。</p>' });
    const { page } = await site.signIn('zhouming');
    const context = page.context();
    await open(page, id);
    await typeAtEnd(page, '现已恢复运营。');
    await waitState(page, 'saved');
    await kill(page);

    const again = await newPage(context);
    await open(again, id);
    expect(await again.$('[data-recovery]')).toBeNull();
    expect(await again.textContent('.ProseMirror')).toBe('早高峰地铁2号线延误。现已恢复运营。');
    expect(await again.getAttribute('.ProseMirror', 'contenteditable')).toBe('true');
    await context.close();
  });

  it('a copy that differs from the server’s only in how the tags are separated is the same text: not offered, the editor open', async () => {
    const { id } = await createArticle(site.ctx, site.people.zhouming, {
      title: '寒潮来袭',
      channel: CHANNEL,
      body: '<p>寒潮将影响全市。</p>',
      tags: ['寒潮'],
    });
    const { page } = await site.signIn('zhouming');
    const context = page.context();
    await open(page, id);
    expect(await page.inputValue('input[name=tags]')).toBe('寒潮');
    await failSaves(page);
    await page.fill('input[name=tags]', '寒潮, 降温 ');
    await waitState(page, 'offline');
    await waitFor(() => page.evaluate(() => Object.values(localStorage).some((v) => v.includes('寒潮, 降温'))), {
      timeout: 5_000,
      message: 'the browser’s copy',
    });
    await kill(page);
    // The same tags reach the server another way (another device), written as the editor writes them.
    await updateArticle(site.ctx, site.people.zhouming, id, { tags: ['寒潮', '降温'] });

    const again = await newPage(context);
    await open(again, id);
    expect(await again.$('[data-recovery]')).toBeNull();
    expect(await again.getAttribute('.ProseMirror', 'contenteditable')).toBe('true');
    // Nothing to keep: the copy is gone, not offered another time.
    expect(await again.evaluate(() => Object.values(localStorage).some((v) => v.includes('寒潮, 降温')))).toBe(false);
    await context.close();
  });

  it('tags written with other separators are no unsaved change: no 未保存 marker, nothing saved, nothing kept', async () => {
    const { id } = await createArticle(site.ctx, site.people.zhouming, {
      title: '冬储菜上市',
      channel: CHANNEL,
      body: '<p>大白菜陆续上市。</p>',
      tags: ['白菜', '菜价'],
    });
    const revision = (await stored(id)).revision;
    const { page } = await site.signIn('zhouming');
    await open(page, id);
    expect(await page.inputValue('input[name=tags]')).toBe('白菜，菜价');
    const writes: string[] = [];
    page.on('request', (r) => r.method() !== 'GET' && r.url().includes(`/api/v1/articles/${id}`) && !r.url().endsWith('/presence') && writes.push(r.method()));
    await page.fill('input[name=tags]', '白菜, 菜价');
    // Longer than the autosave's delay: a change would have been marked and saved by now.
    await page.waitForTimeout(3_000);
    expect(await saveState(page)).toBe('clean');
    expect(await page.textContent('[data-save-state]')).not.toContain('未保存');
    expect(writes).toEqual([]);
    expect((await stored(id)).revision).toBe(revision);
    expect(await page.evaluate(() => Object.values(localStorage).some((v) => v.includes('白菜, 菜价')))).toBe(false);
    // A real change of the tags still is one.
    await page.fill('input[name=tags]', '白菜, 菜价, 冬储');
    await waitState(page, 'saved');
    expect((await stored(id)).tags).toEqual(['白菜', '菜价', '冬储']);
    await page.context().close();
  });

  it('a reporter who can no longer edit the article (published meanwhile) is not offered 恢复: the copy stays, readable and copyable, until 丢弃', async () => {
    const { id, context } = await unsavedEdit('供暖季提前', '<p>今年供暖季提前五天开始。</p>', '各小区陆续试水。');
    // Submitted from another device and published by an editor: a reporter cannot edit it any more.
    await submitArticle(site.ctx, site.people.zhouming, id);
    await publishArticle(site.ctx, site.people.wangbin, id);
    const revision = (await stored(id)).revision;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.base });

    const page = await newPage(context);
    const errors = watchErrors(page);
    await open(page, id);
    await page.waitForSelector('[data-recovery]');
    expect(await page.textContent('[data-recovery]')).toContain('您现在不能修改这篇稿件，副本无法保存到服务器');
    // Nothing pretends the copy can be saved: no 恢复, the server's text in a read-only editor.
    expect(await page.$('[data-recovery-restore]')).toBeNull();
    expect(await page.textContent('.ProseMirror')).toBe('今年供暖季提前五天开始。');
    expect(await page.getAttribute('.ProseMirror', 'contenteditable')).toBe('false');

    // The text can be read and copied out.
    await page.click('[data-recovery-show]');
    const text = await page.inputValue('[data-recovery-text]');
    expect(text).toContain('标题：供暖季提前');
    expect(text).toContain('今年供暖季提前五天开始。各小区陆续试水。');
    await page.click('[data-recovery-copy]');
    await page.waitForSelector('[data-recovery-copied]');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
    expect(errors).toEqual([]);

    // Kept: offered again on the next visit.
    await kill(page);
    const later = await newPage(context);
    await open(later, id);
    await later.waitForSelector('[data-recovery]');
    expect(await later.$('[data-recovery-restore]')).toBeNull();

    // 丢弃 forgets it; the server's article is untouched throughout.
    await later.click('[data-recovery-discard]');
    await later.waitForSelector('[data-recovery]', { state: 'detached' });
    expect(await later.evaluate(() => Object.values(localStorage).some((v) => v.includes('各小区陆续试水。')))).toBe(false);
    expect((await stored(id)).revision).toBe(revision);
    expect((await stored(id)).bodyHtml).not.toContain('各小区陆续试水。');
    await context.close();
  });

  it('restored over a newer revision someone else saved: both changes are kept (the normal merge)', async () => {
    const { id, context } = await unsavedEdit('江城地铁6号线二期开通', '<p>6号线二期今日开通运营。</p>\n<p>票价起步2元。</p>', '乘客可刷码进站。');
    // Meanwhile the first paragraph is changed elsewhere (another tab, another device).
    await updateArticle(site.ctx, site.people.zhouming, id, { body: '<p>6号线二期今日开通运营，首班车6时发出。</p>\n<p>票价起步2元。</p>' });

    const page = await newPage(context);
    await open(page, id);
    await page.waitForSelector('[data-recovery]');
    await page.click('[data-recovery-restore]');
    await waitState(page, 'merged');
    const body = (await stored(id)).bodyHtml;
    expect(body).toContain('首班车6时发出。');
    expect(body).toContain('票价起步2元。乘客可刷码进站。');
    await context.close();
  });

  it('on a shared computer: another account is never offered the copy, and signing out keeps it for its writer', async () => {
    const { id, context } = await unsavedEdit('秋粮收购启动', '<p>今年秋粮收购工作正式启动。</p>', '各地收购点陆续开秤。');

    // The reporter signs out; an editor signs in at the same browser and opens the same draft.
    const page = await newPage(context);
    await page.goto(`${site.base}/admin`);
    await page.click('.who button:has-text("退出")');
    await page.fill('#login-username', 'wangbin');
    await page.fill('#login-password', PASSWORD);
    await page.click('.login-card button[type=submit]');
    await page.waitForSelector('.who [data-me]:has-text("王斌")');
    await open(page, id);
    expect(await page.$('[data-recovery]')).toBeNull();
    expect(await page.textContent('.ProseMirror')).toBe('今年秋粮收购工作正式启动。');

    // The reporter again: the copy is still there.
    await page.click('.who button:has-text("退出")');
    await page.fill('#login-username', 'zhouming');
    await page.fill('#login-password', PASSWORD);
    await page.click('.login-card button[type=submit]');
    await page.waitForSelector('.who [data-me]:has-text("周明远")');
    await open(page, id);
    await page.waitForSelector('[data-recovery]');
    await page.click('[data-recovery-restore]');
    await waitState(page, 'saved');
    expect(occurrences((await stored(id)).bodyHtml, '各地收购点陆续开秤。')).toBe(1);
    await context.close();
  });

  it('with the browser’s storage full, the editor works as before: no error, the text saved', async () => {
    const { id } = await createArticle(site.ctx, site.people.zhouming, { title: '存储已满', channel: CHANNEL, body: '<p>本地存储已满。</p>' });
    const { page, errors } = await site.signIn('zhouming');
    // Other data of the site fills localStorage up to the browser's quota.
    const filled = await page.evaluate(() => {
      let chunk = 1 << 20;
      let n = 0;
      while (chunk >= 16) {
        try {
          localStorage.setItem(`filler-${n++}`, 'x'.repeat(chunk));
        } catch {
          chunk >>= 1;
        }
      }
      return n;
    });
    expect(filled).toBeGreaterThan(1);
    await open(page, id);
    await typeAtEnd(page, '编辑器照常工作。');
    await waitState(page, 'saved');
    expect((await stored(id)).bodyHtml).toContain('编辑器照常工作。');
    await typeAtEnd(page, '再写一句。');
    await waitState(page, 'saved');
    expect((await stored(id)).bodyHtml).toContain('编辑器照常工作。再写一句。');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a new article never saved (no channel chosen yet): the new-article page offers it back, and it is saved once restored', async () => {
    const { page } = await site.signIn('zhouming');
    const context = page.context();
    await page.goto(`${site.base}/admin/articles/new`);
    await page.waitForSelector('.ProseMirror');
    await page.fill('input[name=title]', '城市书房开放');
    await page.click('.ProseMirror');
    await page.keyboard.type('全市首批城市书房今日开放。');
    await waitState(page, 'dirty');
    // Without a channel nothing goes to the server; the browser keeps its copy a moment after the typing.
    await waitFor(() => page.evaluate(() => Object.values(localStorage).some((v) => v.includes('全市首批城市书房今日开放。'))), {
      timeout: 5_000,
      message: 'the browser’s copy',
    });
    await kill(page);

    const again = await newPage(context);
    await again.goto(`${site.base}/admin/articles/new`);
    await again.waitForSelector('[data-recovery]');
    expect(await again.textContent('[data-recovery]')).toContain('城市书房开放');
    await again.click('[data-recovery-restore]');
    expect(await again.inputValue('input[name=title]')).toBe('城市书房开放');
    expect(await again.textContent('.ProseMirror')).toBe('全市首批城市书房今日开放。');
    await again.selectOption('#field-channel', CHANNEL);
    await waitState(again, 'saved');
    await again.waitForURL(/\/admin\/articles\/\d+$/);
    const id = Number(/(\d+)$/.exec(again.url())![1]);
    expect((await stored(id)).bodyHtml).toContain('全市首批城市书房今日开放。');

    // Saved: the new-article page starts empty again.
    await kill(again);
    const fresh = await newPage(context);
    await fresh.goto(`${site.base}/admin/articles/new`);
    await fresh.waitForSelector('.ProseMirror');
    expect(await fresh.$('[data-recovery]')).toBeNull();
    expect(await fresh.inputValue('input[name=title]')).toBe('');
    await context.close();
  });

  it("a new article's first save made it on the server but its answer was lost, then the tab died: 恢复 lands in that article, never a second one", async () => {
    const { page } = await site.signIn('zhouming');
    const context = page.context();
    const keys: (string | undefined)[] = [];
    let made = 0;
    // The first creation reaches the server, which makes the article; its answer and every later try are lost.
    await page.route('**/api/v1/articles', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      if (made++ === 0) await route.fetch();
      await route.abort('connectionreset');
    });
    await page.goto(`${site.base}/admin/articles/new`);
    await page.waitForSelector('[data-editor] .ProseMirror');
    await page.selectOption('#field-channel', CHANNEL);
    await page.click('[data-editor] .ProseMirror');
    await page.keyboard.type('新馆藏书三十万册。');
    await page.fill('input[name=title]', '市图书馆新馆开放');
    await waitState(page, 'offline');
    const mine = async () =>
      ((await (await context.request.get(`${site.base}/api/v1/articles?mine=true`)).json()) as { items: { id: number; title: string }[] }).items
        .filter((a) => a.title === '市图书馆新馆开放')
        .map((a) => a.id);
    expect((await mine()).length).toBe(1);
    await kill(page);

    const again = await newPage(context);
    const errors = watchErrors(again);
    await again.route('**/api/v1/articles', (route) => {
      if (route.request().method() === 'POST') keys.push(route.request().headers()['idempotency-key']);
      return route.continue();
    });
    await again.goto(`${site.base}/admin/articles/new`);
    await again.waitForSelector('[data-recovery]');
    expect(await again.textContent('[data-recovery]')).toContain('市图书馆新馆开放');
    await again.click('[data-recovery-restore]');
    await again.waitForURL(/\/admin\/articles\/\d+$/, { timeout: 30_000 });
    await waitState(again, 'saved');
    const id = Number(/(\d+)$/.exec(again.url())![1]);
    // One article, the one made by the first save, and every try of the creation sent with its key.
    expect(await mine()).toEqual([id]);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    expect((await stored(id)).bodyHtml).toContain('新馆藏书三十万册。');
    expect(errors).toEqual([]);
    await context.close();
  });

  /**
   * A new article's first save reaches the server, which makes it, but its answers are lost and the tab dies; then the
   * server's day-long Idempotency-Key rows are aged past their day (as if the copy were restored days later).
   */
  async function madeUnansweredThenDaysPass(title: string, text: string) {
    const { page } = await site.signIn('zhouming');
    const context = page.context();
    const keys: (string | undefined)[] = [];
    let made = 0;
    await page.route('**/api/v1/articles', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      if (made++ === 0) await route.fetch();
      await route.abort('connectionreset');
    });
    await page.goto(`${site.base}/admin/articles/new`);
    await page.waitForSelector('[data-editor] .ProseMirror');
    await page.selectOption('#field-channel', CHANNEL);
    await page.click('[data-editor] .ProseMirror');
    await page.keyboard.type(text);
    await page.fill('input[name=title]', title);
    await waitState(page, 'offline');
    const mine = async () =>
      ((await (await context.request.get(`${site.base}/api/v1/articles?mine=true`)).json()) as { items: { id: number; title: string }[] }).items
        .filter((a) => a.title === title)
        .map((a) => a.id);
    const [id] = await mine();
    expect(id).toBeDefined();
    await kill(page);
    const db = new SQLite(path.join(site.dataDir, 'inkstone.db'));
    try {
      db.prepare('update idempotency_keys set created_at = created_at - ?').run(3 * IDEMPOTENCY_KEEP_MS);
    } finally {
      db.close();
    }
    const again = await newPage(context);
    await again.route('**/api/v1/articles', (route) => {
      if (route.request().method() === 'POST') keys.push(route.request().headers()['idempotency-key']);
      return route.continue();
    });
    return { id: id!, context, again, keys, mine };
  }

  it("a new article's copy restored days after its creation was made (the answer lost) still lands in that article", async () => {
    const { id, context, again, keys, mine } = await madeUnansweredThenDaysPass('三天后恢复的稿件', '展览持续到年底。');
    const errors = watchErrors(again);
    await again.goto(`${site.base}/admin/articles/new`);
    await again.waitForSelector('[data-recovery]');
    await again.click('[data-recovery-restore]');
    await again.waitForURL(`${site.base}/admin/articles/${id}`, { timeout: 30_000 });
    await waitState(again, 'saved');
    expect(await mine()).toEqual([id]);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a new article's copy restored days later, the article edited since by someone else: their change stays, the writer's goes on top", async () => {
    const { id, context, again, keys, mine } = await madeUnansweredThenDaysPass('恢复前已被编辑的稿件', '大桥下月通车。');
    await updateArticle(site.ctx, site.people.wangbin, id, { summary: '责编补写的摘要。' });
    const errors = watchErrors(again);
    await again.goto(`${site.base}/admin/articles/new`);
    await again.waitForSelector('[data-recovery]');
    await again.click('[data-recovery-restore]');
    await again.waitForURL(`${site.base}/admin/articles/${id}`, { timeout: 30_000 });
    // The screen shows the article as it is now, not the copy's older text as if saved.
    await waitFor(async () => (await again.inputValue('textarea[name=summary]')) === '责编补写的摘要。', { message: 'the summary saved since' });
    await typeAtEnd(again, '全长12公里。');
    await waitState(again, 'saved');
    const now = await stored(id);
    expect(now.summary).toBe('责编补写的摘要。');
    expect(now.bodyHtml).toContain('全长12公里。');
    expect(await mine()).toEqual([id]);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a new article's copy restored after the article it made was purged says so, and the next save makes it anew", async () => {
    const { id, context, again, keys, mine } = await madeUnansweredThenDaysPass('恢复前已清除的稿件', '活动改期举行。');
    await deleteArticle(site.ctx, site.people.zhouming, id);
    // The 回收站's days are over for it (the purge takes what was deleted before the time it is given).
    await site.ctx.store.articles.purgeTrash(Date.now() + 1, 100);
    await again.goto(`${site.base}/admin/articles/new`);
    await again.waitForSelector('[data-recovery]');
    await again.click('[data-recovery-restore]');
    await waitFor(async () => ((await again.textContent('body')) ?? '').includes('已从回收站永久删除'), { message: 'the purged article told' });
    expect(await mine()).toEqual([]);
    // The writer types on: the save makes the article anew, with a new key.
    await again.click('[data-editor] .ProseMirror');
    await again.keyboard.press('End');
    await again.keyboard.type('地点不变。');
    await again.waitForURL(/\/admin\/articles\/\d+$/, { timeout: 30_000 });
    await waitState(again, 'saved');
    const made = await mine();
    expect(made).toHaveLength(1);
    expect(made[0]).not.toBe(id);
    expect(keys.at(-1)).not.toBe(keys[0]);
    expect((await stored(made[0]!)).bodyHtml).toContain('地点不变。');
    await context.close();
  });

  it('图文直播: an entry being written when the tab dies is offered back on the live page, posted once restored, and gone after', async () => {
    const { id } = await createArticle(site.ctx, site.people.zhouming, { title: '马拉松图文直播', channel: CHANNEL, body: '<p>城市马拉松今晨开跑。</p>' });
    await submitArticle(site.ctx, site.people.zhouming, id);
    await publishArticle(site.ctx, site.people.wangbin, id);
    await setLiveStatus(site.ctx, site.people.wangbin, id, 'live');
    const entries = async () => (await site.ctx.store.live.visibleEntries(id, 100)).map((e) => e.body);
    const { page } = await site.signIn('zhouming');
    const context = page.context();
    const openLive = async (p: Page) => {
      await p.goto(`${site.base}/admin/articles/${id}/live`);
      await p.waitForSelector('[data-live-state=live]');
    };
    await openLive(page);
    await page.fill('[data-live-body]', '第一集团已通过10公里处。');
    await waitFor(() => page.evaluate(() => Object.values(localStorage).some((v) => v.includes('第一集团已通过10公里处。'))), {
      timeout: 5_000,
      message: 'the browser’s copy',
    });
    await kill(page);

    const again = await newPage(context);
    const errors = watchErrors(again);
    await openLive(again);
    await again.waitForSelector('[data-live-recovery]');
    expect(await again.textContent('[data-live-recovery]')).toContain('第一集团已通过10公里处。');
    // Nothing is posted by itself, and the form waits for the choice.
    expect(await entries()).toEqual([]);
    expect(await again.isDisabled('[data-live-body]')).toBe(true);
    await again.click('[data-live-recovery-restore]');
    expect(await again.inputValue('[data-live-body]')).toBe('第一集团已通过10公里处。');
    await again.click('[data-live-submit]');
    await waitFor(async () => (await again.$$eval('[data-live-entry]', (li) => li.length)) === 1, { message: 'the posted entry in the list' });
    expect(await entries()).toEqual(['第一集团已通过10公里处。']);
    expect(errors).toEqual([]);

    // Posted: not offered again.
    await kill(again);
    const later = await newPage(context);
    await openLive(later);
    await later.waitForSelector('[data-live-entry]');
    expect(await later.$('[data-live-recovery]')).toBeNull();
    expect(await later.inputValue('[data-live-body]')).toBe('');

    // 丢弃: a copy of another entry is forgotten.
    await later.fill('[data-live-body]', '补给站供应充足。');
    await waitFor(() => later.evaluate(() => Object.values(localStorage).some((v) => v.includes('补给站供应充足。'))), { timeout: 5_000, message: 'the copy' });
    await kill(later);
    const last = await newPage(context);
    await openLive(last);
    await last.waitForSelector('[data-live-recovery]');
    await last.click('[data-live-recovery-discard]');
    await last.waitForSelector('[data-live-recovery]', { state: 'detached' });
    expect(await last.evaluate(() => Object.values(localStorage).some((v) => v.includes('补给站供应充足。')))).toBe(false);
    expect(await entries()).toEqual(['第一集团已通过10公里处。']);
    await context.close();
  });

  /** A published article with its live on, and the reporter's newsroom open on its live page. */
  async function liveOpen(title: string) {
    const { id } = await createArticle(site.ctx, site.people.zhouming, { title, channel: CHANNEL, body: '<p>直播开始。</p>' });
    await submitArticle(site.ctx, site.people.zhouming, id);
    await publishArticle(site.ctx, site.people.wangbin, id);
    await setLiveStatus(site.ctx, site.people.wangbin, id, 'live');
    const { page } = await site.signIn('zhouming');
    const entries = async () => (await site.ctx.store.live.visibleEntries(id, 100)).map((e) => e.body);
    const openLive = async (p: Page, state = 'live') => {
      await p.goto(`${site.base}/admin/articles/${id}/live`);
      await p.waitForSelector(`[data-live-state=${state}]`);
    };
    return { id, page, context: page.context(), entries, openLive };
  }
  const kept = (p: Page, text: string) => p.evaluate((t) => Object.values(localStorage).some((v) => v.includes(t)), text);

  it('图文直播: an entry whose post reached the server but lost its answer, then the tab died, is not posted twice after 恢复', async () => {
    const { page, context, entries, openLive } = await liveOpen('龙舟赛图文直播');
    const keys: (string | undefined)[] = [];
    let made = 0;
    await page.route('**/live/entries', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      // The first post reaches the server and is made; its answer and every later try are lost.
      if (made++ === 0) await route.fetch();
      await route.abort('connectionreset');
    });
    await openLive(page);
    await page.fill('[data-live-body]', '红队率先冲过终点。');
    await page.click('[data-live-submit]');
    await waitFor(async () => (await entries()).length === 1 && (await page.isEnabled('[data-live-submit]')), { message: 'the post made, its answer lost' });
    expect(await kept(page, '红队率先冲过终点。')).toBe(true);
    await kill(page);

    const again = await newPage(context);
    const errors = watchErrors(again);
    await again.route('**/live/entries', (route) => {
      if (route.request().method() === 'POST') keys.push(route.request().headers()['idempotency-key']);
      return route.continue();
    });
    await openLive(again);
    await again.waitForSelector('[data-live-recovery]');
    await again.click('[data-live-recovery-restore]');
    await again.click('[data-live-submit]');
    await waitFor(async () => (await again.inputValue('[data-live-body]')) === '', { message: 'the form emptied once posted' });
    expect(await entries()).toEqual(['红队率先冲过终点。']);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    expect(await kept(again, '红队率先冲过终点。')).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('图文直播: an entry kept when the live has ended meanwhile is shown to read and copy (not posted) until 丢弃', async () => {
    const { id, page, context, entries, openLive } = await liveOpen('音乐节图文直播');
    await openLive(page);
    await page.fill('[data-live-body]', '压轴乐队登台。');
    await waitFor(() => kept(page, '压轴乐队登台。'), { timeout: 5_000, message: 'the browser’s copy' });
    await kill(page);
    await setLiveStatus(site.ctx, site.people.wangbin, id, 'ended');

    const again = await newPage(context);
    const errors = watchErrors(again);
    await openLive(again, 'ended');
    await again.waitForSelector('[data-live-kept]');
    expect(await again.inputValue('[data-live-kept-text]')).toBe('压轴乐队登台。');
    expect(await again.textContent('[data-live-kept]')).toContain('未发布的直播消息');
    // Nothing to post it with, and nothing posted.
    expect(await again.$('[data-live-submit]')).toBeNull();
    expect(await entries()).toEqual([]);
    // Still kept for another visit until dropped.
    await again.reload();
    await again.waitForSelector('[data-live-kept]');
    await again.click('[data-live-kept-discard]');
    await again.waitForSelector('[data-live-kept]', { state: 'detached' });
    expect(await kept(again, '压轴乐队登台。')).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('图文直播: a change being typed into an existing entry when the tab dies is offered back on that entry and saved once restored', async () => {
    const { id, page, context, entries, openLive } = await liveOpen('航展图文直播');
    const { entry } = await postLiveEntry(site.ctx, site.people.zhouming, id, { body: '首架飞机起飞。' });
    await openLive(page);
    const row = `[data-live-entry="${entry.id}"]`;
    await page.click(`${row} button:has-text("编辑")`);
    await page.fill(`${row} [data-live-body]`, '首架飞机起飞，表演持续十分钟。');
    await waitFor(() => kept(page, '表演持续十分钟。'), { timeout: 5_000, message: 'the browser’s copy of the change' });
    await kill(page);

    const again = await newPage(context);
    const errors = watchErrors(again);
    await openLive(again);
    await again.waitForSelector(`${row} [data-live-recovery]`);
    expect(await again.textContent(`${row} [data-live-recovery]`)).toContain('未保存的修改');
    expect(await entries()).toEqual(['首架飞机起飞。']);
    await again.click(`${row} [data-live-recovery-restore]`);
    expect(await again.inputValue(`${row} [data-live-body]`)).toBe('首架飞机起飞，表演持续十分钟。');
    await again.click(`${row} [data-live-submit]`);
    await waitFor(async () => (await entries())[0] === '首架飞机起飞，表演持续十分钟。', { message: 'the change saved' });
    await waitFor(async () => !(await kept(again, '表演持续十分钟。')), { timeout: 5_000, message: 'the copy dropped once saved' });
    expect(errors).toEqual([]);
    await context.close();
  });
});
