import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createArticle } from '../../src/domain/articles/service.ts';
import { waitFor } from '../support/wait.ts';
import { SCREENSHOT_DIR, settled, useNewsroom } from './browser.ts';

/** Presence in Chromium against a real server: two editors with the same article open each see the other's name. */

const PASSWORD = 'presence-e2e-password';
const CHANNEL = 'yaowen';

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { [CHANNEL]: '要闻' },
  people: { wangbin: ['王斌', 'editor'], lina: ['李娜', 'editor'] },
});

const signIn = (username: string) => site.signIn(username);

async function open(page: Page, id: number) {
  await page.goto(`${site.base}/admin/articles/${id}`);
  await page.waitForSelector('.ProseMirror');
}

const presence = (page: Page) => page.$eval('[data-presence]', (el) => el.textContent ?? '').catch(() => '');
const waitPresence = (page: Page, text: string) => waitFor(async () => (await presence(page)) === text, { timeout: 15_000, message: `“${text}”` });

describe('newsroom presence in Chromium', { timeout: 60_000 }, () => {
  it('two editors open the same article: each sees the other, and who is editing', async () => {
    const { id } = await createArticle(site.ctx, site.people.wangbin!, { title: '城南旧改项目启动', channel: CHANNEL, body: '<p>城南片区旧改今日启动。</p>' });
    const [wang, li] = await Promise.all([signIn('wangbin'), signIn('lina')]);
    await open(wang.page, id);
    await open(li.page, id);
    // Li's first heartbeat already finds Wang; Wang's next one (within 5 s) finds Li.
    await waitPresence(li.page, '王斌正在查看');
    await waitPresence(wang.page, '李娜正在查看');

    // Li puts her cursor in the body and types: she is editing now.
    await li.page.click('.ProseMirror > p');
    await li.page.keyboard.type('首批涉及居民1200户。');
    await waitPresence(wang.page, '李娜正在编辑');
    expect(await presence(wang.page)).not.toContain('王斌');
    await settled(wang.page, wang.inFlight);
    await wang.page.screenshot({ path: path.join(SCREENSHOT_DIR, 'newsroom-presence.png'), fullPage: true });
    expect([...wang.errors, ...li.errors]).toEqual([]);
    await Promise.all([wang.page.context().close(), li.page.context().close()]);
  });
});
