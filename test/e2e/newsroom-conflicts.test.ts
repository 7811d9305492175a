import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createArticle, publishArticle, submitArticle, updateArticle } from '../../src/domain/articles/service.ts';
import { waitFor } from '../support/wait.ts';
import { answeringDialogs, seriousViolations, settled, shot, typeAtEndOf, useNewsroom } from './browser.ts';
import { saveState, waitState } from './save-state.ts';

/**
 * The newsroom never loses work, in Chromium against a real server: two editors saving the same published article
 * (different paragraphs merge by themselves; the same paragraph asks the second editor, who chooses), a reporter and
 * an editor autosaving one draft, leaving the editor with unsaved text, an article with images opening clean, and
 * uploads refused in the browser.
 */

const PASSWORD = 'conflicts-e2e-password';
const CHANNEL = 'yaowen';

const site = useNewsroom({
  demo: false,
  adminPassword: PASSWORD,
  channels: { [CHANNEL]: '要闻' },
  people: { wangbin: ['王斌', 'editor'], lina: ['李娜', 'editor'], zhouming: ['周明远', 'reporter'] },
});

beforeAll(async () => {
  // A photo where the demo keeps its pictures, served like an upload.
  mkdirSync(path.join(site.dataDir, 'media', 'demo'), { recursive: true });
  writeFileSync(
    path.join(site.dataDir, 'media', 'demo', 'harbour.jpg'),
    await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 40, g: 90, b: 140 } } })
      .jpeg()
      .toBuffer(),
  );
});

const paragraphs = (...texts: string[]) => texts.map((t) => `<p>${t}</p>`).join('\n');

async function article(title: string, body: string, { by = 'wangbin' as keyof typeof site.people, publish = true } = {}): Promise<number> {
  const a = await createArticle(site.ctx, site.people[by], { title, channel: CHANNEL, body, summary: `${title}的摘要。` });
  if (publish) await publishArticle(site.ctx, site.people.wangbin, a.id);
  return a.id;
}

const stored = async (id: number) => (await site.ctx.store.articles.findById(id))!;

/** Signed in, the page's confirm dialogs recorded and answered with `answer` (accept by default). */
const signIn = async (username: string) => answeringDialogs(await site.signIn(username));

async function open(page: Page, id: number) {
  await page.goto(`${site.base}/admin/articles/${id}`);
  await page.waitForSelector('.ProseMirror');
}

/** Types at the end of the n-th paragraph of the body (1-based). */
const typeInParagraph = (page: Page, n: number, text: string) => typeAtEndOf(page, `.ProseMirror > p:nth-of-type(${n})`, text);

const clickSave = (page: Page) => page.click('.workflow button:has-text("保存")');
const livePage = async (id: number) => (await fetch(`${site.base}/a/${id}`)).text();

describe('newsroom edit conflicts in Chromium', { timeout: 60_000 }, () => {
  it('two editors change different paragraphs of a published article and save: both changes go live', async () => {
    const id = await article('江城地铁6号线二期开通', paragraphs('6号线二期今日开通运营。', '全线设站12座。', '票价起步2元。'));
    const [wang, li] = await Promise.all([signIn('wangbin'), signIn('lina')]);
    await Promise.all([open(wang.page, id), open(li.page, id)]);

    await typeInParagraph(wang.page, 1, '首班车6时发出。');
    await typeInParagraph(li.page, 3, '乘客可刷码进站。');
    await clickSave(wang.page);
    await waitState(wang.page, 'saved');
    // Li saves against the revision she opened: the server refuses (412), her editor merges and saves again.
    await clickSave(li.page);
    await waitState(li.page, 'merged');
    expect(await li.page.textContent('.notice-ok')).toContain('已合并王斌的修改并保存');
    expect(await li.page.textContent('[data-save-state]')).toContain('已合并并保存');
    // Her screen now shows both; so does the live page.
    expect(await li.page.textContent('.ProseMirror')).toContain('首班车6时发出。');
    const html = await livePage(id);
    expect(html).toContain('6号线二期今日开通运营。首班车6时发出。');
    expect(html).toContain('票价起步2元。乘客可刷码进站。');
    expect((await stored(id)).revision).toBe(4);
    await shot(li.page, 'newsroom-conflict-merged');
    expect([...wang.errors, ...li.errors.filter((e) => !e.includes('412'))]).toEqual([]);
    await Promise.all([wang.page.context().close(), li.page.context().close()]);
  });

  it('two editors change the same paragraph: the second sees both versions, chooses, saves, and nothing is lost unseen', async () => {
    const id = await article('滨海港集装箱吞吐量创新高', paragraphs('前10个月吞吐量2100万标准箱。', '新开航线21条。', '四期工程加快建设。'));
    const [wang, li] = await Promise.all([signIn('wangbin'), signIn('lina')]);
    await Promise.all([open(wang.page, id), open(li.page, id)]);

    await typeInParagraph(wang.page, 1, '同比增长8.6%。');
    await wang.page.fill('textarea[name=summary]', '王斌改写的摘要。');
    await wang.page.fill('input[name=title]', '滨海港吞吐量创新高（王斌改）');
    await clickSave(wang.page);
    await waitState(wang.page, 'saved');

    await typeInParagraph(li.page, 1, '增速居全国前列。');
    await typeInParagraph(li.page, 3, '建成后年通过能力再提高400万标准箱。');
    await li.page.fill('input[name=title]', '滨海港吞吐量创新高（李娜改）');
    await clickSave(li.page);
    await li.page.waitForSelector('[data-conflict]');
    expect(await saveState(li.page)).toBe('conflict');
    expect(await li.page.textContent('[data-save-state]')).not.toContain('已保存');
    expect(await li.page.textContent('[data-conflict]')).toContain('王斌于');
    // Her text is still on her screen (held still until she decides); the disjoint change of his is merged in.
    expect(await li.page.textContent('.ProseMirror')).toContain('增速居全国前列。');
    expect(await li.page.inputValue('textarea[name=summary]')).toBe('王斌改写的摘要。');
    expect(await li.page.$$eval('[data-conflict-item]', (els) => els.map((e) => e.getAttribute('data-conflict-item')))).toEqual(['field:title', 'body:0']);
    // Each side shows its change against the text both started from.
    expect(await li.page.textContent('[data-conflict-item="body:0"] [data-side=mine] ins')).toBe('增速居全国前列。');
    expect(await li.page.textContent('[data-conflict-item="body:0"] [data-side=theirs] ins')).toBe('同比增长8.6%。');
    // Saving again before deciding is refused, without 已保存.
    await li.page.keyboard.press('Control+s');
    await li.page.waitForSelector('.notice-error:has-text("请先在下方逐处选择")');
    await shot(li.page, 'newsroom-conflict-choose');
    expect(await seriousViolations(li.page, { include: '[data-conflict]' })).toEqual([]);

    // His title, her paragraph.
    await li.page.click('[data-conflict-item="field:title"] [data-side=theirs]');
    await li.page.click('[data-resolve]');
    await waitState(li.page, 'saved', 'merged');
    await li.page.waitForSelector('.notice-ok:has-text("已按您的选择合并王斌的修改并保存")');
    expect(await li.page.$('[data-conflict]')).toBeNull();

    const after = await stored(id);
    expect(after.title).toBe('滨海港吞吐量创新高（王斌改）');
    expect(after.summary).toBe('王斌改写的摘要。');
    expect(after.bodyHtml).toContain('<p>前10个月吞吐量2100万标准箱。增速居全国前列。</p>');
    expect(after.bodyHtml).toContain('四期工程加快建设。建成后年通过能力再提高400万标准箱。');
    // His version of the paragraph she did not keep stays in the history.
    const revisions = await wang.page.evaluate(
      async (articleId) => (await (await fetch(`/api/v1/articles/${articleId}/revisions`)).json()) as { items: { content: { body: string } }[] },
      id,
    );
    expect(revisions.items.some((r) => r.content.body.includes('同比增长8.6%。'))).toBe(true);
    expect(await livePage(id)).toContain('增速居全国前列。');
    expect([...wang.errors, ...li.errors.filter((e) => !e.includes('412'))]).toEqual([]);
    await Promise.all([wang.page.context().close(), li.page.context().close()]);
  });

  it('a reporter and an editor type in the same draft and autosave: both sentences survive', async () => {
    const id = await article('江城湿地公园开园', paragraphs('江城湿地公园今日开园。', '公园免费开放。'), { by: 'zhouming', publish: false });
    const [zhou, wang] = await Promise.all([signIn('zhouming'), signIn('wangbin')]);
    await Promise.all([open(zhou.page, id), open(wang.page, id)]);

    await Promise.all([typeInParagraph(zhou.page, 1, '新增候鸟栖息地120公顷。'), typeInParagraph(wang.page, 2, '每日8时至18时开放。')]);
    await waitFor(
      async () => {
        const body = (await stored(id)).bodyHtml;
        return body.includes('新增候鸟栖息地120公顷。') && body.includes('每日8时至18时开放。');
      },
      { timeout: 20_000, message: 'both sentences in the stored draft' },
    );
    await Promise.all([waitState(zhou.page, 'saved', 'merged'), waitState(wang.page, 'saved', 'merged')]);
    // Whoever saved second merged the other's sentence, and said so.
    const states = [await saveState(zhou.page), await saveState(wang.page)];
    expect(states).toContain('merged');
    const merger = states[0] === 'merged' ? zhou.page : wang.page;
    expect(await merger.textContent('.ProseMirror')).toContain('新增候鸟栖息地120公顷。');
    expect(await merger.textContent('.ProseMirror')).toContain('每日8时至18时开放。');
    expect(await merger.textContent('.notice-ok')).toMatch(/已合并(周明远|王斌)的修改并保存/);
    expect([...zhou.errors, ...wang.errors].filter((e) => !e.includes('412'))).toEqual([]);
    await Promise.all([zhou.page.context().close(), wang.page.context().close()]);
  });

  it('asks before 稿件 in the top bar throws unsaved text away; Ctrl+S saves', async () => {
    const id = await article('城市书房延长开放时间', paragraphs('全市城市书房延长开放至22时。'));
    const wang = await signIn('wangbin');
    // Opened in-app from the dashboard, so the back button stays in the app too.
    await wang.page.click(`[data-section=published] li[data-article-id="${id}"] a`);
    await wang.page.waitForSelector('.ProseMirror');
    await typeInParagraph(wang.page, 1, '周末照常开放。');
    await waitState(wang.page, 'dirty');

    wang.answer.accept = false;
    await wang.page.click('.topbar nav a:has-text("稿件")');
    await waitFor(() => wang.dialogs.length === 1, { message: 'the leave question' });
    expect(wang.dialogs[0]).toContain('有未保存的更改');
    expect(wang.page.url()).toBe(`${site.base}/admin/articles/${id}`);
    expect(await wang.page.textContent('.ProseMirror')).toContain('周末照常开放。');
    // The back button asks too; refused, the address comes back to the article.
    await wang.page.evaluate(() => history.back());
    await waitFor(() => wang.dialogs.length === 2, { message: 'the leave question on back' });
    await waitFor(() => wang.page.url() === `${site.base}/admin/articles/${id}`, { message: 'the article’s address back' });
    expect(await wang.page.textContent('.ProseMirror')).toContain('周末照常开放。');

    // Ctrl+S saves (a published article saves only on request).
    await wang.page.keyboard.press('Control+s');
    await waitState(wang.page, 'saved');
    expect((await stored(id)).bodyHtml).toContain('周末照常开放。');
    // Saved: leaving asks nothing.
    await wang.page.click('.topbar nav a:has-text("稿件")');
    await wang.page.waitForSelector('.dashboard');
    expect(wang.dialogs).toHaveLength(2);

    // Unsaved again, and this time the person agrees to leave.
    await open(wang.page, id);
    await typeInParagraph(wang.page, 1, '不保存的一句。');
    await waitState(wang.page, 'dirty');
    wang.answer.accept = true;
    await wang.page.click('.topbar nav a:has-text("稿件")');
    await wang.page.waitForSelector('.dashboard');
    expect(wang.dialogs).toHaveLength(3);
    expect((await stored(id)).bodyHtml).not.toContain('不保存的一句。');
    // An untouched new article has nothing to lose either.
    await wang.page.click('.topbar nav a:has-text("写新稿")');
    await wang.page.waitForSelector('.ProseMirror');
    expect(await saveState(wang.page)).toBe('clean');
    await wang.page.click('.topbar nav a:has-text("稿件")');
    await wang.page.waitForSelector('.dashboard');
    expect(wang.dialogs).toHaveLength(3);
    expect(wang.errors).toEqual([]);
    await wang.page.context().close();
  });

  it('publishes only what the editor has seen: a newer revision stops 立即发布 and is loaded instead', async () => {
    const id = await article('新能源基地并网发电', paragraphs('首期项目并网发电。'), { by: 'zhouming', publish: false });
    await submitArticle(site.ctx, site.people.zhouming!, id);
    const wang = await signIn('wangbin');
    await open(wang.page, id);
    // The reporter changes the submitted copy after the editor opened it.
    await updateArticle(site.ctx, site.people.zhouming!, id, { body: paragraphs('首期项目并网发电，年发电约56亿千瓦时。') });

    await wang.page.click('[data-action=publish]');
    await wang.page.waitForSelector('.notice-error:has-text("已载入最新内容")');
    expect(await wang.page.textContent('.notice-error')).toContain('稿件已被周明远于');
    expect(await wang.page.textContent('.ProseMirror')).toContain('年发电约56亿千瓦时');
    expect((await stored(id)).status).toBe('submitted');
    // Having seen it, she publishes it.
    await wang.page.click('[data-action=publish]');
    await wang.page.waitForSelector('.editor-head .badge-published');
    expect(await livePage(id)).toContain('年发电约56亿千瓦时');
    expect(wang.errors.filter((e) => !e.includes('412'))).toEqual([]);
    await wang.page.context().close();
  });

  it('opens an article with images (as stored: lazy, sized, line breaks, a figure last) without unsaved changes', async () => {
    const body = [
      '<p>滨海港前10个月集装箱吞吐量创新高。</p>',
      '<figure><img src="/media/demo/harbour.jpg" alt="夕阳下的集装箱码头" width="1200" height="800"><figcaption>滨海港东区集装箱码头。（滨海商报 绘）</figcaption></figure>',
      '<h2>新开航线21条</h2>',
      '<ul><li>东南亚</li><li>中东</li></ul>',
      '<p>港口四期工程正在加快建设。</p>',
      '<figure><img src="/media/demo/harbour.jpg" alt=""></figure>',
    ].join('\n');
    const id = await article('滨海港吞吐量创新高', body);
    expect((await stored(id)).bodyHtml).toContain('loading="lazy"');
    const wang = await signIn('wangbin');

    // In-app, from the dashboard, as the newsroom opens it.
    await wang.page.click(`[data-section=published] li[data-article-id="${id}"] a`);
    await wang.page.waitForSelector('.ProseMirror figure img');
    // Clicking into the text and a caption are transactions: the editor's own fix-ups (the trailing paragraph after a
    // final figure) must not count as changes either.
    await wang.page.click('.ProseMirror > p');
    await wang.page.click('.ProseMirror figcaption');
    await settled(wang.page, wang.inFlight);
    expect(await saveState(wang.page)).toBe('clean');
    expect(await wang.page.textContent('.editor-head')).not.toContain('有未保存的更改');
    await shot(wang.page, 'newsroom-image-article-clean');

    // Nothing to lose: leaving asks nothing.
    await wang.page.click('.topbar nav a:has-text("稿件")');
    await wang.page.waitForSelector('.dashboard');
    expect(wang.dialogs).toEqual([]);
    expect(wang.errors).toEqual([]);
    await wang.page.context().close();
  });

  it('refuses an image over 20 MB or of another type in the browser, in Chinese, and keeps the message until dismissed', async () => {
    const id = await article('记者的草稿', paragraphs('草稿第一段。'), { by: 'zhouming', publish: false });
    const zhou = await signIn('zhouming');
    const uploads: string[] = [];
    zhou.page.on('request', (r) => r.url().includes('/api/v1/media') && uploads.push(r.url()));
    await open(zhou.page, id);
    const accept = 'image/jpeg,image/png,image/webp,image/gif,image/avif';
    expect(await zhou.page.getAttribute('[data-image-upload]', 'accept')).toBe(accept);
    expect(await zhou.page.getAttribute('[data-cover-upload]', 'accept')).toBe(accept);

    const big = path.join(site.dataDir, 'big-photo.jpg');
    writeFileSync(big, Buffer.alloc(20 * 1024 * 1024 + 1));
    await zhou.page.setInputFiles('[data-image-upload]', big);
    await zhou.page.waitForSelector('.notice-error:has-text("图片不能超过 20 MB")');
    // A save in between (its success clears the save messages) does not wipe the message out.
    await typeInParagraph(zhou.page, 1, '补充一句。');
    await zhou.page.keyboard.press('Control+s');
    await waitState(zhou.page, 'saved');
    expect(await zhou.page.textContent('.notice-error')).toContain('图片上传失败：图片不能超过 20 MB');
    await shot(zhou.page, 'newsroom-upload-too-large');
    await zhou.page.click('.notice-error button.dismiss');
    await waitFor(async () => (await zhou.page.$('.notice-error')) === null, { message: 'the dismissed message to go' });

    await zhou.page.setInputFiles('[data-cover-upload]', {
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    });
    await zhou.page.waitForSelector('.notice-error:has-text("只能上传 JPEG、PNG、WebP、GIF 或 AVIF 格式的图片")');
    expect(uploads).toEqual([]);
    expect(zhou.errors).toEqual([]);
    await zhou.page.context().close();
  });
});
