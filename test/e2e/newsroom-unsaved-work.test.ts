import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createArticle } from '../../src/domain/articles/service.ts';
import { typeAtEndOf, useNewsroom } from './browser.ts';
import { waitState } from './save-state.ts';

/**
 * A writer's unsaved text in Chromium when the ground moves under the editor: the session ends (signed out in another
 * tab) or the network drops while typing. The text stays on screen and reaches the server once it can, without the
 * writer typing again.
 */

const PASSWORD = 'unsaved-e2e-password';
const CHANNEL = 'yaowen';

const site = useNewsroom({ demo: false, adminPassword: PASSWORD, channels: { [CHANNEL]: '要闻' }, people: { zhouming: ['周明远', 'reporter'] } });

const storedBody = async (id: number) => (await site.ctx.store.articles.findById(id))!.bodyHtml;
const occurrences = (text: string, part: string) => text.split(part).length - 1;

async function openDraft(title: string, body: string): Promise<{ id: number; page: Page }> {
  const { id } = await createArticle(site.ctx, site.people.zhouming, { title, channel: CHANNEL, body });
  const { page } = await site.signIn('zhouming');
  await page.goto(`${site.base}/admin/articles/${id}`);
  await page.waitForSelector('.ProseMirror');
  return { id, page };
}

/** Types at the end of the body's last paragraph. */
const typeAtEnd = (page: Page, text: string) => typeAtEndOf(page, '.ProseMirror > p:last-of-type', text);

describe('the writer’s unsaved text in Chromium', { timeout: 90_000 }, () => {
  it('signed out in another tab while typing: the sign-in form comes over the editor, and signing in again saves the text', async () => {
    const { id, page } = await openDraft('暴雨预警升级', '<p>气象台发布暴雨橙色预警。</p>');
    // Right after a presence heartbeat (the next is 5 s away, so the sign-in form cannot come mid-sentence), the same
    // person signs out elsewhere in this browser (as the 退出 of another tab does), then types on.
    await page.waitForResponse((r) => r.url().endsWith(`/articles/${id}/presence`) && r.ok());
    const request = page.context().request;
    const { csrfToken } = (await (await request.get(`${site.base}/api/v1/session`)).json()) as { csrfToken: string };
    expect((await request.delete(`${site.base}/api/v1/session`, { headers: { 'x-csrf-token': csrfToken } })).status()).toBe(204);
    await typeAtEnd(page, '请市民减少外出。');
    // The autosave (or the presence heartbeat) learns that the session is gone: the editor stays underneath.
    await page.waitForSelector('dialog[data-sign-in-again][open]');
    expect(await page.textContent('dialog[data-sign-in-again]')).toContain('登录已失效');
    expect(await page.textContent('.ProseMirror')).toBe('气象台发布暴雨橙色预警。请市民减少外出。');
    expect(await storedBody(id)).not.toContain('请市民减少外出');
    // Nothing can be typed into the page meanwhile: Escape does not dismiss the form.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[data-sign-in-again][open]', { timeout: 5_000 });

    expect(await page.inputValue('dialog[data-sign-in-again] #login-username')).toBe('zhouming');
    await page.fill('dialog[data-sign-in-again] #login-password', PASSWORD);
    await page.click('dialog[data-sign-in-again] button[type=submit]');
    await page.waitForSelector('dialog[data-sign-in-again]', { state: 'detached' });
    // Saved by itself, once, without another keystroke.
    await waitState(page, 'saved');
    expect(occurrences(await storedBody(id), '请市民减少外出。')).toBe(1);
    expect(await page.textContent('.ProseMirror')).toBe('气象台发布暴雨橙色预警。请市民减少外出。');
    expect(await page.$('.notice')).toBeNull();
    await page.context().close();
  });

  it('the network drops while typing: the editor says it is offline, keeps typing, and saves by itself when it is back', async () => {
    const { id, page } = await openDraft('台风路径西移', '<p>台风向西北方向移动。</p>');
    await page.context().setOffline(true);
    await typeAtEnd(page, '沿海地区注意防范。');
    await waitState(page, 'offline');
    expect(await page.textContent('[data-save-state]')).toContain('离线');
    await typeAtEnd(page, '渔船回港避风。');
    expect(await storedBody(id)).not.toContain('沿海地区');

    await page.context().setOffline(false);
    // No keystroke after the network came back.
    await waitState(page, 'saved');
    const body = await storedBody(id);
    expect(occurrences(body, '沿海地区注意防范。渔船回港避风。')).toBe(1);
    expect(await page.textContent('[data-save-state]')).toContain('已保存');
    await page.context().close();
  });

  it("the answer to a new article's first save is lost: the editor sends it again with the same key, and one article exists", async () => {
    const { page } = await site.signIn('zhouming');
    const keys: (string | undefined)[] = [];
    let dropped = false;
    // The first creation reaches the server, which makes the article; its answer is lost on the way back (train Wi-Fi).
    await page.route('**/api/v1/articles', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      if (dropped) return route.continue();
      dropped = true;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.goto(`${site.base}/admin/articles/new`);
    await page.waitForSelector('[data-editor] .ProseMirror');
    await page.selectOption('#field-channel', CHANNEL);
    await page.click('[data-editor] .ProseMirror');
    await page.keyboard.type('列车驶入隧道。');
    await page.fill('input[name=title]', '高铁新线联调联试');
    await page.waitForURL(/\/admin\/articles\/\d+$/, { timeout: 30_000 });
    await waitState(page, 'saved');
    const id = Number(/\/(\d+)$/.exec(page.url())![1]);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(keys).size).toBe(1);
    // One article in the reporter's list, the one the editor now shows.
    const mine = (await (await page.context().request.get(`${site.base}/api/v1/articles?mine=true`)).json()) as { items: { id: number; title: string }[] };
    expect(mine.items.filter((a) => a.title === '高铁新线联调联试').map((a) => a.id)).toEqual([id]);
    expect(await storedBody(id)).toContain('列车驶入隧道。');
    await page.context().close();
  });
});
