import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seriousViolations, settled, shot, useNewsroom, VIEWPORTS } from './browser.ts';

/**
 * The newsroom's 导入 page in Chromium against a real server: an admin uploads WordPress's theme unit test export,
 * sees the run's progress and then the report; a truncated export, one with bytes not in its encoding and a file that
 * is no archive are refused by the upload itself with their line and column in Chinese (no run is made); editors have no 导入 in their navigation and are refused by the API.
 */
const PASSWORD = 'import-e2e-password';
const FIXTURE = path.resolve('test/fixtures/wxr/themeunittestdata.wordpress.xml');

const site = useNewsroom({ demo: false, adminPassword: PASSWORD, people: { wangbin: ['王斌', 'editor'] } });

/** Chromium reports every 4xx answer as a console error; the page's own errors are what matter. */
const ownErrors = (errors: string[]) => errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e));

describe('the 导入 page', () => {
  it('imports a WordPress export with progress and a report, and shows a refused file’s line and column', async () => {
    const { page, errors, inFlight } = await site.signIn('admin', VIEWPORTS.desktop);
    await page.click('.topbar nav a[href="/admin/imports"]');
    await page.waitForSelector('.imports-page h1');
    expect(await page.textContent('.imports-page')).toContain('只能用命令行导入');
    // The list of runs comes from its own request, after the page's heading.
    await page.waitForSelector('.imports-page p.muted:has-text("还没有从这里导入过")');
    await settled(page, inFlight);
    await shot(page, 'import-empty-desktop');

    // The theme unit test data, with its options as the CLI has them.
    await page.setInputFiles('.import-form input[type=file]', FIXTURE);
    await page.check('.import-form input[name=createAuthors]');
    await page.click('.import-form button[type=submit]');
    // The run as POST answered it: under way, with its progress. Read in one go, in the page, the moment the progress
    // shows: a small file can finish (and the page re-render as done) between two reads from here.
    const running = await page.waitForFunction(() => {
      const run = document.querySelector('[data-import-run]');
      if (!run?.querySelector('.import-progress')) return null;
      return {
        title: run.querySelector('h2')?.textContent ?? '',
        status: run.querySelector('.import-status')?.textContent ?? '',
        disabled: (document.querySelector('.import-form button[type=submit]') as HTMLButtonElement | null)?.disabled ?? false,
      };
    });
    const seen = (await running.jsonValue()) as { title: string; status: string; disabled: boolean };
    expect(seen.title).toContain('themeunittestdata.wordpress.xml');
    expect(seen.status).toBe('进行中');
    expect(seen.disabled).toBe(true);
    await shot(page, 'import-progress-desktop');

    await page.waitForSelector('[data-import-run][data-status=done] .import-report', { timeout: 60_000 });
    const runs = await site.ctx.store.importRuns.list(5);
    expect(runs[0]).toMatchObject({ status: 'done', options: { createAuthors: true, dryRun: false, update: false } });
    const report = runs[0]!.report!;
    expect(report.imported).toBeGreaterThan(50);
    const counts = await page.$$eval('.import-count', (els) =>
      Object.fromEntries(els.map((e) => [e.querySelector('dt')!.textContent, Number(e.querySelector('dd')!.textContent)])),
    );
    expect(counts).toMatchObject({ 导入: report.imported, 更新: 0, 新建账号: report.authorsCreated, 旧地址跳转: report.redirects });
    const text = await page.textContent('.import-report');
    expect(text).toContain('页面：');
    expect(text).toContain(`未查找`);
    expect(await page.$$eval('.import-warnings li', (els) => els.length)).toBe(report.warnings.length);
    expect(await page.textContent('.import-warnings')).toMatch(/原文 \d+（第 \d+ 行）：/);
    expect(await page.$$eval('.import-history tbody tr', (els) => els.length)).toBe(1);
    expect(await page.isDisabled('.import-form button[type=submit]')).toBe(false);
    await settled(page, inFlight);
    await shot(page, 'import-report-desktop');
    expect(await seriousViolations(page, { include: '.imports-page', runOnly: ['wcag2a', 'wcag2aa'] })).toEqual([]);

    // A truncated export: refused by the upload itself with where and why in Chinese; no run, nothing written.
    const whole = readFileSync(FIXTURE, 'utf8');
    await page.setInputFiles('.import-form input[type=file]', {
      name: 'truncated.xml',
      mimeType: 'application/xml',
      buffer: Buffer.from(whole.slice(0, Math.floor(whole.length * 0.6))),
    });
    await page.uncheck('.import-form input[name=createAuthors]');
    await page.click('.import-form button[type=submit]');
    await page.waitForSelector('.imports-page > .import-refusal');
    expect(await page.textContent('.imports-page > .import-refusal')).toMatch(/文件无法导入，没有写入任何内容。第 \d+ 行第 \d+ 列：XML 格式错误/);
    expect(await site.ctx.store.importRuns.list(5)).toHaveLength(1);
    expect(await page.$$eval('.import-history tbody tr', (els) => els.length)).toBe(1);
    await settled(page, inFlight);
    await shot(page, 'import-refused-desktop');

    // Bytes that are not its encoding near the start of a 600 KB file: refused while the rest is still arriving.
    const lines = whole.split('\n');
    const gbk = Buffer.concat([
      Buffer.from(`${lines.slice(0, 9).join('\n')}\n`),
      Buffer.from([0xd6, 0xd0, 0xce, 0xc4]),
      Buffer.from(lines.slice(9).join('\n')),
    ]);
    await page.setInputFiles('.import-form input[type=file]', { name: 'gbk.xml', mimeType: 'application/xml', buffer: gbk });
    await page.click('.import-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('.imports-page > .import-refusal')?.textContent?.includes('文件编码错误'));
    expect(await page.textContent('.imports-page > .import-refusal')).toContain('第 10 行第 1 列：文件编码错误：不是 utf-8');
    expect(await site.ctx.store.importRuns.list(5)).toHaveLength(1);
    expect((await site.ctx.store.importRuns.list(1))[0]!.report!.imported).toBe(report.imported);

    // A file that is no archive at all: refused at once, no run.
    await page.setInputFiles('.import-form input[type=file]', { name: 'notes.xml', mimeType: 'text/plain', buffer: Buffer.from('只是一段文字，不是导出文件') });
    await page.click('.import-form button[type=submit]');
    await page.waitForSelector('.imports-page > .import-refusal');
    expect(await page.textContent('.imports-page > .import-refusal')).toContain('第 1 行第 1 列：无法识别的文件格式');
    expect(await page.$$eval('.import-history tbody tr', (els) => els.length)).toBe(1);
    await settled(page, inFlight);
    await shot(page, 'import-not-archive-desktop');
    expect(ownErrors(errors)).toEqual([]);
  }, 120_000);

  it('shows a run whose server stopped as 中断, with what that means', async () => {
    // A run of a process that died a minute ago: its heartbeat stopped.
    const admin = (await site.ctx.store.accounts.findByUsername('admin'))!;
    const id = (await site.ctx.store.importRuns.start({
      accountId: admin.id,
      fileName: 'archive-2019.xml',
      fileBytes: 48 * 1024 * 1024,
      format: 'wxr',
      options: { dryRun: false, update: true, createAuthors: false },
      startedAt: Date.now() - 60_000,
    }))!;
    const { page, errors, inFlight } = await site.signIn('admin', VIEWPORTS.desktop);
    await page.goto(`${site.base}/admin/imports`);
    await page.waitForSelector(`[data-import-row="${id}"]`);
    expect(await page.textContent(`[data-import-row="${id}"]`)).toContain('中断');
    await page.click(`[data-import-row="${id}"] button`);
    await page.waitForSelector(`[data-import-run="${id}"][data-status=interrupted]`);
    expect(await page.textContent(`[data-import-run="${id}"]`)).toContain('重新上传同一文件再导入一次，会补上其余的稿件');
    expect(await page.isDisabled('.import-form button[type=submit]')).toBe(false);
    // How far a run got before it stopped, as its last recorded progress says; a dry run wrote nothing at all.
    const runOf = async (options: { dryRun: boolean; update: boolean; createAuthors: boolean }, done: number) => {
      const run = (await site.ctx.store.importRuns.start({
        accountId: admin.id,
        fileName: 'later.xml',
        fileBytes: 1024,
        format: 'wxr',
        options,
        startedAt: Date.now() - 60_000,
      }))!;
      await site.ctx.store.importRuns.progress(run, { phase: 'writing', done, total: 2000, rate: 10 }, Date.now() - 60_000);
      // As the next look at the imports finds it (its process gone), so the next run may start.
      await site.ctx.store.importRuns.interruptStale(Date.now() - 30_000, Date.now(), { message: '导入中断' });
      return run;
    };
    const partial = await runOf({ dryRun: false, update: false, createAuthors: false }, 1500);
    const dry = await runOf({ dryRun: true, update: false, createAuthors: false }, 1500);
    await page.goto(`${site.base}/admin/imports`);
    for (const [run, said, unsaid] of [
      [partial, '中断前已处理至少 1500 / 2000 篇稿件', '没有写入'],
      [dry, '试运行中断：服务器在检查过程中停止，没有写入任何内容', '会补上其余的稿件'],
    ] as const) {
      await page.click(`[data-import-row="${run}"] button`);
      await page.waitForSelector(`[data-import-run="${run}"][data-status=interrupted]`);
      const text = await page.textContent(`[data-import-run="${run}"]`);
      expect(text).toContain(said);
      expect(text).not.toContain(unsaid);
    }
    await settled(page, inFlight);
    await shot(page, 'import-interrupted-desktop');
    expect(ownErrors(errors)).toEqual([]);
  });

  it('is not in an editor’s navigation, and its API refuses editors', async () => {
    const { page, errors } = await site.signIn('wangbin', VIEWPORTS.desktop);
    expect(await page.$('.topbar nav a[href="/admin/imports"]')).toBeNull();
    await page.goto(`${site.base}/admin/imports`);
    await page.waitForSelector('.imports-page .notice-error');
    expect(await page.textContent('.imports-page .notice-error')).toContain('您的角色无权执行此操作');
    expect(ownErrors(errors)).toEqual([]);
  });
});
