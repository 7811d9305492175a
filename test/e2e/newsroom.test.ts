import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.ts';
import { startScheduler } from '../../src/jobs/scheduler.ts';
import { answeringDialogs, shot, typeAtEndOf, useNewsroom, VIEWPORTS } from './browser.ts';
import { waitState } from './save-state.ts';

/**
 * The newsroom in a real Chromium against a real server: a reporter writes a draft with an uploaded, captioned
 * image and submits it; an editor returns it with a comment, the reporter revises and resubmits, the editor edits
 * and schedules it a minute ahead; the scheduler publishes it when the (manual) clock says so.
 */

const PASSWORD = 'newsroom-e2e-password';
const TITLE = '江城湿地公园开园 候鸟栖息地扩大一倍';
const CAPTION = '开园首日，市民在湿地栈道上观鸟。';
const RETURN_COMMENT = '请补充开园时间和门票信息。';

const clock = new ManualClock(Date.now());
const site = useNewsroom({ adminPassword: PASSWORD, clock, people: { zhouming: ['周明远', 'reporter'], chenjing: ['陈静', 'editor'] } });
let stopScheduler: (() => void) | undefined;
let imageFile: string;
let articleId: number;

beforeAll(async () => {
  // The real scheduler with a short tick: time itself is the manual clock, so nothing here waits a minute.
  stopScheduler = startScheduler(site.ctx, site.app.log, 100);
  imageFile = path.join(site.dataDir, 'wetland.png');
  writeFileSync(
    imageFile,
    await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 70, g: 130, b: 90 } } })
      .composite([{ input: { create: { width: 400, height: 200, channels: 3, background: { r: 230, g: 220, b: 160 } } }, left: 400, top: 300 }])
      .png()
      .toBuffer(),
  );
});

// Before the site closes.
afterAll(() => stopScheduler?.());

/** Signed in; publishing and unpublishing ask for confirmation, which is given. */
const signIn = async (username: string) => answeringDialogs(await site.signIn(username));

/** The buttons an article's workflow bar offers, by their data-action. */
const actions = (page: Page) => page.$$eval('.workflow [data-action]', (els) => els.map((e) => e.getAttribute('data-action')));

/** A datetime-local value in Beijing time. */
function beijingInput(ms: number): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

describe('newsroom in Chromium', { timeout: 90_000 }, () => {
  it('shows the sign-in page and refuses a wrong password in Chinese', async () => {
    const { page, errors } = await site.open('/admin', { viewport: VIEWPORTS.desktop });
    await page.fill('#login-username', 'zhouming');
    await page.fill('#login-password', 'not the password');
    await page.click('.login-card button[type=submit]');
    await page.waitForSelector('.login-card .notice-error');
    expect(await page.textContent('.login-card .notice-error')).toContain('用户名或密码错误');
    await shot(page, 'newsroom-login');
    // The failed login's 401 is the only console line the browser writes.
    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    await page.context().close();
  });

  it('a reporter writes a draft with an uploaded, captioned image and submits it; no publish button, and the API refuses', async () => {
    const { page, errors } = await signIn('zhouming');
    expect(await page.locator('.topbar nav a', { hasText: '审计日志' }).count()).toBe(0);
    await shot(page, 'newsroom-dashboard-reporter');

    await page.click('.page-head a:has-text("写新稿")');
    await page.waitForSelector('.ProseMirror');
    await page.fill('input[name=title]', TITLE);
    await page.selectOption('#field-channel', 'difang/yaowen');
    await page.fill('input[name=source]', '砚台日报');
    await page.fill('input[name=tags]', '江城，湿地，候鸟');
    await page.fill('textarea[name=summary]', '江城湿地公园今日开园，候鸟栖息地面积扩大一倍。');
    await page.click('.ProseMirror');
    await page.keyboard.type('本报讯 江城湿地公园今日正式开园，新增候鸟栖息地120公顷。');
    await page.keyboard.press('Enter');
    await page.setInputFiles('[data-image-upload]', imageFile);
    await page.waitForSelector('.ProseMirror figure img[src^="/media/"]', { timeout: 20_000 });
    await page.click('.ProseMirror figure figcaption');
    await page.keyboard.type(CAPTION);

    // Autosave creates the draft and moves the address to its number.
    await page.waitForURL(/\/admin\/articles\/\d+$/, { timeout: 15_000 });
    articleId = Number(/\/(\d+)$/.exec(page.url())![1]);
    await expect.poll(async () => (await site.ctx.store.articles.findById(articleId))?.bodyHtml ?? '', { timeout: 15_000 }).toContain(CAPTION);
    await waitState(page, 'saved');
    const stored = (await site.ctx.store.articles.findById(articleId))!;
    expect(stored.status).toBe('draft');
    // The caption is the figcaption; alt text is its own field (图片属性), not a copy of the caption.
    expect(stored.bodyHtml).toMatch(/<figure><img src="\/media\/[^"]+"[^>]*><figcaption>开园首日，市民在湿地栈道上观鸟。<\/figcaption><\/figure>/);
    expect(stored.tags).toEqual(['江城', '湿地', '候鸟']);
    // The preview frame renders the reader's article page for the draft.
    const preview = page.frameLocator('iframe.preview');
    await expect.poll(async () => preview.locator('[data-article-title]').textContent(), { timeout: 15_000 }).toBe(TITLE);
    // A reporter may send her draft for review or move it to the 回收站, never publish it.
    expect(await actions(page)).toEqual(['submit', 'delete']);
    await shot(page, 'newsroom-editor');

    await page.click('[data-action=submit]');
    await page.waitForSelector('.badge-submitted');
    expect(await actions(page)).toEqual(['delete']);
    expect((await site.ctx.store.articles.findById(articleId))!.status).toBe('submitted');

    // Straight to the API with the session's own CSRF token: still refused.
    const direct = await page.evaluate(async (id) => {
      const { csrfToken } = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const headers = { 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
      const publish = await fetch(`/api/v1/articles/${id}/publish`, { method: 'POST', headers });
      const schedule = await fetch(`/api/v1/articles/${id}/schedule`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ at: new Date(Date.now() + 3600_000).toISOString() }),
      });
      return [publish.status, schedule.status];
    }, articleId);
    expect(direct).toEqual([403, 403]);
    expect((await site.ctx.store.articles.findById(articleId))!.status).toBe('submitted');
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
    await page.context().close();
  });

  it('an editor returns it with a comment; the reporter sees the comment, revises and resubmits', async () => {
    const editor = await signIn('chenjing');
    await shot(editor.page, 'newsroom-dashboard-editor');
    await editor.page.click(`[data-section=review] a:has-text("${TITLE}")`);
    await editor.page.waitForSelector('.ProseMirror figure');
    expect(await actions(editor.page)).toEqual(['return', 'publish', 'schedule', 'delete']);
    await editor.page.click('[data-action=return]');
    await editor.page.fill('dialog[open] textarea[name=comment]', RETURN_COMMENT);
    await editor.page.click('dialog[open] button[type=submit]');
    await editor.page.waitForSelector('.editor-head .badge-draft');
    expect(editor.errors).toEqual([]);
    await editor.page.context().close();

    const reporter = await signIn('zhouming');
    await reporter.page.click(`[data-section=drafts] a:has-text("${TITLE}")`);
    await reporter.page.waitForSelector('[data-return-note]');
    expect(await reporter.page.textContent('[data-return-note]')).toContain(RETURN_COMMENT);
    await typeAtEndOf(reporter.page, '.ProseMirror p', '公园每日8时至18时开放，免费入园。');
    await waitState(reporter.page, 'saved');
    await reporter.page.click('[data-action=submit]');
    await reporter.page.waitForSelector('.badge-submitted');
    expect(await actions(reporter.page)).toEqual(['delete']);
    expect(reporter.errors).toEqual([]);
    await reporter.page.context().close();
  });

  it('the editor opens it from the review queue, edits, schedules it a minute ahead, and it appears on the site when due', async () => {
    const { page, errors } = await signIn('chenjing');
    await page.click(`[data-section=review] a:has-text("${TITLE}")`);
    await page.waitForSelector('.ProseMirror figure');
    await page.fill('input[name=editor]', '陈静');
    await typeAtEndOf(page, '.ProseMirror p', '（记者 周明远）');
    await page.click('.workflow button:has-text("保存")');
    await waitState(page, 'saved');
    await shot(page, 'newsroom-editor-review');

    const due = Math.ceil((clock.now() + 60_000) / 60_000) * 60_000 + 60_000;
    await page.click('[data-action=schedule]');
    await page.fill('dialog[open] input[name=at]', beijingInput(due));
    await page.click('dialog[open] button[type=submit]');
    await page.waitForSelector('.editor-head .badge-scheduled');
    const scheduled = (await site.ctx.store.articles.findById(articleId))!;
    expect(scheduled.status).toBe('scheduled');
    expect(scheduled.scheduledAt).toBe(due);
    expect(scheduled.editor).toBe('陈静');
    expect(scheduled.bodyHtml).toContain('免费入园。（记者 周明远）');

    // Not before its time…
    expect((await fetch(`${site.base}/a/${articleId}`)).status).toBe(404);
    // …and there once the clock passes it.
    clock.set(due + 1000);
    await expect.poll(async () => (await fetch(`${site.base}/a/${articleId}`)).status, { timeout: 10_000 }).toBe(200);
    const html = await (await fetch(`${site.base}/a/${articleId}`)).text();
    expect(html).toContain(TITLE);
    expect(html).toMatch(new RegExp(`<figcaption>${CAPTION}</figcaption>`));
    expect(html).toContain('[ 责编：陈静 ]');

    // The history lists every step with who did it, and diffs two revisions.
    await page.click('.workflow a:has-text("历史版本")');
    await page.waitForSelector('table.revisions tbody tr');
    const rows = await page.$$eval('table.revisions tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 3).map((td) => td.textContent)),
    );
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(['创建', '提交审核', '退回修改', '定时发布', '发布']));
    expect(rows.find((r) => r[0] === '退回修改')![1]).toBe('陈静');
    expect(await page.textContent('table.revisions')).toContain(RETURN_COMMENT);
    await page.waitForSelector('[data-diff] ins');
    expect(await page.textContent('[data-diff] .diff-body ins')).toContain('（记者 周明远）');
    await shot(page, 'newsroom-history');
    expect(errors).toEqual([]);

    const reader = await page.context().newPage();
    await reader.goto(`${site.base}/a/${articleId}`);
    expect(await reader.textContent('[data-article-title]')).toBe(TITLE);
    expect(await reader.textContent('#article-body figcaption')).toBe(CAPTION);
    await shot(reader, 'newsroom-published-article');
    await page.context().close();
  });
});
