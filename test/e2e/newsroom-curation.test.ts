import type { Page } from 'playwright-core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replaceIfFrozen, seriousViolations, shot, useNewsroom, watchErrors } from './browser.ts';

/** An admin working the curation and account pages of the newsroom in Chromium, each change checked through the API. */

const site = useNewsroom();
let page: Page;
let errors: string[];

beforeAll(async () => {
  ({ page, errors } = await site.signIn('admin'));
  page.on('dialog', (d) => void d.accept());
  await page.waitForSelector('.dashboard [data-section=published] .article-list');
});

// One page serves every test in turn: if Chromium stopped painting it, the next test starts on a new one.
beforeEach(async () => {
  const current = await replaceIfFrozen(page);
  if (current === page) return;
  page = current;
  const earlier = errors;
  errors = watchErrors(page);
  errors.push(...earlier);
  page.on('dialog', (d) => void d.accept());
});

/** The API as the signed-in page sees it. */
const get = <T = any>(url: string) => page.evaluate(async (u) => (await fetch(u)).json(), url) as Promise<T>;
const go = async (label: string, ready: string) => {
  await page.click(`.topbar nav a:has-text("${label}")`);
  await page.waitForSelector(ready);
};

describe('newsroom curation and accounts in Chromium', { timeout: 60_000 }, () => {
  it('creates, renames and moves a channel', async () => {
    await go('频道', '.channel-tree .channel-row');
    const form = page.locator('form:has(h2:has-text("新建频道"))');
    await form.locator('input').nth(0).fill('民生');
    await form.locator('input').nth(1).fill('minsheng');
    await form.locator('select').selectOption('difang');
    await form.locator('button[type=submit]').click();
    await page.waitForSelector('[data-channel="difang/minsheng"]');
    const row = page.locator('[data-channel="difang/minsheng"]');
    await row.locator('input').fill('民生热线');
    await row.locator('button:has-text("改名")').click();
    await page.waitForSelector('.notice-ok:has-text("民生热线")');
    await page.locator('[data-channel="difang/minsheng"] select').selectOption('');
    await page.waitForSelector('[data-channel="minsheng"]');
    const channel = (await get<{ items: { path: string; name: string; parent: string | null }[] }>('/api/v1/channels')).items.find(
      (c) => c.path === 'minsheng',
    );
    expect(channel).toMatchObject({ name: '民生热线', parent: null });
    await shot(page, 'newsroom-channels');
  });

  it('puts articles into a topic in order', async () => {
    await go('专题', '.topic-editor');
    const editor = page.locator('.topic-editor').first();
    const slug = await editor.getAttribute('data-topic');
    const before = (await get<{ items: { slug: string; articles: number[] }[] }>('/api/v1/topics')).items.find((t) => t.slug === slug)!.articles;
    const published = (await get<{ items: { id: number }[] }>('/api/v1/articles?status=published&limit=50')).items
      .map((a) => a.id)
      .filter((id) => !before.includes(id));
    await editor.locator('.picker input').fill(String(published[0]));
    await editor.locator('.picker button').click();
    await editor.locator(`[data-item="${published[0]}"]`).waitFor();
    await editor.locator(`[data-item="${published[0]}"] button[aria-label^="上移"]`).click();
    await editor.locator('button:has-text("保存专题")').click();
    await page.waitForSelector('.notice-ok:has-text("已保存专题")');
    const after = (await get<{ items: { slug: string; articles: number[] }[] }>('/api/v1/topics')).items.find((t) => t.slug === slug)!.articles;
    expect(after).toHaveLength(before.length + 1);
    expect(after.indexOf(published[0]!)).toBe(before.length - 1);
    await shot(page, 'newsroom-topics');
  });

  it('sets the headline slot with an expiry', async () => {
    await go('首页推荐', '[data-slot=headline]');
    const slot = page.locator('[data-slot=headline]');
    const current = (await get<{ items: { article: number }[] }>('/api/v1/slots/headline')).items.map((i) => i.article);
    const candidate = (await get<{ items: { id: number }[] }>('/api/v1/articles?status=published&limit=50')).items.find((a) => !current.includes(a.id))!.id;
    while ((await slot.locator('li').count()) >= 5) await slot.locator('li button:has-text("移除")').last().click();
    await slot.locator('.picker input').fill(String(candidate));
    await slot.locator('.picker button').click();
    await slot.locator(`[data-item="${candidate}"] input[type=datetime-local]`).fill('2030-01-01T08:00');
    await slot.locator('button:has-text("保存头条")').click();
    await page.waitForSelector('[data-slot=headline] .notice-ok');
    const item = (await get<{ items: { article: number; expiresAt: string | null }[] }>('/api/v1/slots/headline')).items.find((i) => i.article === candidate);
    // 08:00 in Beijing is midnight UTC.
    expect(item?.expiresAt).toBe('2030-01-01T00:00:00.000Z');
    await shot(page, 'newsroom-slots');
  });

  it('pins and removes related reading for an article', async () => {
    let id = 0;
    for (const a of (await get<{ items: { id: number }[] }>('/api/v1/articles?status=published&limit=50')).items) {
      if ((await get<{ items: unknown[] }>(`/api/v1/articles/${a.id}/related`)).items.length >= 2) {
        id = a.id;
        break;
      }
    }
    expect(id).toBeGreaterThan(0);
    await page.goto(`${site.base}/admin/articles/${id}`);
    await page.waitForSelector('[data-related] [data-related-item]');
    const items = await page.$$eval('[data-related] [data-related-item]', (lis) => lis.map((li) => Number(li.getAttribute('data-related-item'))));
    const [first, second] = [items[0]!, items[1]!];
    await page.click(`[data-related-item="${second}"] button:has-text("置顶")`);
    await page.waitForSelector(`[data-related-item="${second}"] .badge`);
    await page.click(`[data-related-item="${first}"] button:has-text("移除")`);
    await page.waitForSelector(`[data-excluded-item="${first}"]`);
    const related = await get<{ items: { id: number }[]; pinned: number[]; excluded: number[] }>(`/api/v1/articles/${id}/related`);
    expect(related.pinned).toEqual([second]);
    expect(related.excluded).toEqual([first]);
    expect(related.items[0]!.id).toBe(second);
    expect(related.items.map((i) => i.id)).not.toContain(first);
  });

  it('creates an account, changes its role, resets its password and disables it', async () => {
    await go('账号', 'table.accounts tbody tr');
    const form = page.locator('form:has(h2:has-text("新建账号"))');
    await form.locator('input').nth(0).fill('wangfang');
    await form.locator('input').nth(1).fill('王芳');
    await form.locator('input[type=password]').fill('wangfang-password');
    await form.locator('button[type=submit]').click();
    await page.waitForSelector('[data-account=wangfang]');
    await page.locator('[data-account=wangfang] select').selectOption('editor');
    await page.waitForSelector('.notice-ok:has-text("角色")');
    await page.locator('[data-account=wangfang] input[type=password]').fill('a-new-password-1');
    await page.locator('[data-account=wangfang] button:has-text("重置密码")').click();
    await page.waitForSelector('.notice-ok:has-text("重置")');
    await page.locator('[data-account=wangfang] button:has-text("停用")').click();
    await page.waitForSelector('[data-account=wangfang] button:has-text("启用")');
    const account = (await get<{ items: { username: string; role: string; disabled: boolean }[] }>('/api/v1/accounts')).items.find(
      (a) => a.username === 'wangfang',
    );
    expect(account).toMatchObject({ role: 'editor', disabled: true });
    await shot(page, 'newsroom-accounts');
  });

  it('shows a new API token once; it works until revoked', async () => {
    await go('API 令牌', 'form:has(h2:has-text("新建令牌"))');
    const form = page.locator('form:has(h2:has-text("新建令牌"))');
    await form.locator('select').selectOption('admin');
    await form.locator('input').fill('导入脚本');
    // Sent with an Idempotency-Key: a dropped answer is retried as the same token, not a second one.
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/tokens'));
    await form.locator('button[type=submit]').click();
    expect((await sent).headers()['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    const token = (await page.textContent('[data-new-token]'))!;
    expect(token).toMatch(/^ink_/);
    const call = () => fetch(`${site.base}/api/v1/articles?limit=1`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await call()).toBe(200);
    await shot(page, 'newsroom-tokens');
    await page.click('button:has-text("我已保存")');
    expect(await page.locator('[data-new-token]').count()).toBe(0);
    expect(await page.textContent('table.tokens')).not.toContain(token);
    await page.locator('table.tokens tr:has-text("导入脚本") button:has-text("撤销")').click();
    await page.waitForSelector('table.tokens tr:has-text("导入脚本"):has-text("已撤销")');
    expect(await call()).toBe(401);
  });

  it('lists what happened in the audit log', async () => {
    await go('审计日志', '.audit-log li');
    const text = await page.textContent('.audit-log');
    for (const action of ['撤销了 API 令牌', '创建了 API 令牌', '修改了账号', '新建了账号', '设置了首页', '修改了专题', '修改了频道', '新建了频道'])
      expect(text).toContain(action);
    await shot(page, 'newsroom-audit');
  });

  it('keeps only the allowed markup when Word or WeChat HTML is pasted', async () => {
    await page.click('.topbar nav a:has-text("写新稿")');
    await page.waitForSelector('.ProseMirror');
    const word =
      '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style><!--[if gte mso 9]><xml><w:WordDocument/></xml><![endif]--></head><body>' +
      '<h1 style="color:red">会议纪要</h1><p class="MsoNormal" style="font-family:宋体">第一段<b>加粗</b><u>下划线</u><s>删除线</s><span style="color:red">红字</span><o:p></o:p></p>' +
      '<table><tr><td>表格内容</td></tr></table><script>alert(1)</script><p><a href="javascript:alert(1)">坏链接</a> <a href="https://example.com/x" onclick="x()">好链接</a></p>' +
      `<section><img data-src="${site.base}/static/favicon.svg?wx_fmt=png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onerror="alert(1)"></section><pre><code>code</code></pre><hr></body></html>`;
    await page.$eval(
      '.ProseMirror',
      (el, html) => {
        const data = new DataTransfer();
        data.setData('text/html', html);
        data.setData('text/plain', '会议纪要');
        el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      },
      word,
    );
    await page.waitForSelector('.ProseMirror h2');
    const html = await page.$eval('.ProseMirror', (el) => el.innerHTML);
    const tags = new Set([...html.matchAll(/<([a-z0-9]+)[\s>]/g)].map((m) => m[1]));
    // Tables are kept (the editor shows them in its table view: a wrapper and column widths set through the CSSOM).
    const allowed = ['p', 'h2', 'h3', 'h4', 'strong', 'em', 'ul', 'ol', 'li', 'blockquote', 'figure', 'figcaption', 'img', 'a', 'br'];
    allowed.push('table', 'tbody', 'tr', 'th', 'td', 'div', 'colgroup', 'col');
    // Preformatted text (a code listing, a laid-out poem) is kept as it is on the reader page.
    allowed.push('pre', 'code');
    expect([...tags].filter((t) => !allowed.includes(t!))).toEqual([]);
    expect(html).toContain('<pre><code>code</code></pre>');
    expect(html).toContain('<h2>会议纪要</h2>');
    expect(html).toContain('<strong>加粗</strong>');
    expect(html).toContain(`<img src="${site.base}/static/favicon.svg?wx_fmt=png"`);
    expect(html).toContain('href="https://example.com/x"');
    expect(html).toMatch(/<td[^>]*><p>表格内容<\/p><\/td>/);
    const outsideTables = html.replace(/<div class="tableWrapper">[\s\S]*<\/table><\/div>/g, '');
    for (const gone of ['javascript:', 'onerror', 'onclick', 'style=', 'alert', '<u>', '<s>', '<hr', 'data:image']) expect(outsideTables).not.toContain(gone);
    for (const kept of ['下划线', '删除线', '红字', '表格内容', '坏链接']) expect(html).toContain(kept);
  });

  it('has no serious accessibility problems on the dashboard and the editor', async () => {
    for (const url of ['/admin', '/admin/articles/new']) {
      await page.goto(site.base + url);
      await page.waitForSelector(url === '/admin' ? '.dashboard [data-section=published] .article-list' : '.ProseMirror');
      expect(await seriousViolations(page), url).toEqual([]);
    }
  });

  it('changes the own password, and the page keeps working', async () => {
    await page.click('[data-me]');
    const form = page.locator('form:has(h2:has-text("修改密码"))');
    await form.locator('input').nth(0).fill('e2e-admin-password');
    await form.locator('input').nth(1).fill('a-brand-new-password');
    await form.locator('input').nth(2).fill('a-brand-new-password');
    await form.locator('button[type=submit]').click();
    await page.waitForSelector('.notice-ok:has-text("密码已修改")');
    await go('稿件', '.dashboard [data-section=published] .article-list');
    expect(errors).toEqual([]);
  });
});
