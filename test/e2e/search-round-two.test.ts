import { beforeAll, describe, expect, it } from 'vitest';
import { warmSuggestions } from '../../src/domain/search/suggest.ts';
import { shot, useNewsroom, VIEWPORTS } from './browser.ts';

const site = useNewsroom({ people: { 'e2e-editor': ['编辑甲', 'editor'] } });

// The server builds did-you-mean's tables after it starts listening; the test site is built without listening first.
beforeAll(() => warmSuggestions());

describe('您是不是要找 on the search page', () => {
  it('offers the corrected query as a plain link that works without JavaScript', async () => {
    const { page } = await site.open(`/search?q=${encodeURIComponent('人工只能')}`, { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    const suggestion = page.locator('.search-suggestion');
    expect(await suggestion.textContent()).toContain('您是不是要找：人工智能');
    await shot(page, 'search-suggestion-phone', { fullPage: false });
    await suggestion.getByRole('link', { name: '人工智能' }).click();
    await page.waitForURL(/\/search\?q=/);
    expect(decodeURIComponent(page.url())).toContain('q=人工智能');
    expect(await page.locator('.search-result').count()).toBeGreaterThan(0);
    expect(await page.locator('.search-suggestion').count()).toBe(0);
    expect(await page.locator('.search-result mark').first().textContent()).toBe('人工智能');
    await page.context().close();
  });
});

describe('搜索同义词 in the newsroom', () => {
  for (const [size, viewport] of Object.entries({ desktop: { width: 1440, height: 1000 }, phone: VIEWPORTS.phone })) {
    it(`lets an admin add, change and delete a group, which readers' search uses at once (${size}, screenshot saved)`, async () => {
      const { page, errors } = await site.signIn('admin', viewport);
      page.setDefaultTimeout(10_000);
      await page.goto(`${site.base}/admin/synonyms`);
      await page.getByRole('heading', { name: '搜索同义词' }).waitFor();
      const first = `砚湖${size}`;
      // A word of the demo articles: a search for the new word finds them once the group exists.
      const second = '地铁';
      await page.getByLabel('词语（2–20 个，用空格或逗号分隔）').fill(`${first}，${second}`);
      await page.getByRole('button', { name: '添加', exact: true }).click();
      await page.locator('.synonym-group', { hasText: first }).waitFor();
      // The row by its id: while it is edited, its words are in an input, not its text.
      const group = page.locator(`[data-synonyms="${await page.locator('.synonym-group', { hasText: first }).getAttribute('data-synonyms')}"]`);
      expect(await group.locator('.synonym-word').allTextContents()).toEqual([first, second]);
      expect(await page.locator('.notice-ok').textContent()).toContain('已添加');

      // The same word again is refused with the newsroom's words for it.
      await page.getByLabel('词语（2–20 个，用空格或逗号分隔）').fill(`${first} 别的词${size}`);
      await page.getByRole('button', { name: '添加', exact: true }).click();
      await page.getByText('其中有词已在另一组同义词里').waitFor();

      await group.getByRole('button', { name: `修改 ${first}、${second}` }).click();
      await group.getByLabel('同义词（用空格或逗号分隔）').fill(`${first} ${second} 墨池${size}`);
      await group.getByRole('button', { name: '保存' }).click();
      await group.locator('.synonym-word').nth(2).waitFor();
      expect(await group.locator('.synonym-word').allTextContents()).toEqual([first, second, `墨池${size}`]);
      await shot(page, `newsroom-synonyms-${size}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

      // Readers' search uses the group at once.
      const answer = await page.request.get(`${site.base}/api/v1/search?q=${encodeURIComponent(`墨池${size}`)}`);
      expect(((await answer.json()) as { total: number }).total).toBeGreaterThan(0);

      page.once('dialog', (d) => void d.accept());
      await group.getByRole('button', { name: /^删除/ }).click();
      await group.waitFor({ state: 'detached' });
      const after = await page.request.get(`${site.base}/api/v1/search?q=${encodeURIComponent(`墨池${size}`)}`);
      expect(((await after.json()) as { total: number }).total).toBe(0);
      expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
      await page.context().close();
    });
  }

  it('is not offered to an editor, and its API refuses one', async () => {
    const { page } = await site.signIn('e2e-editor');
    expect(await page.getByRole('link', { name: '搜索同义词' }).count()).toBe(0);
    const res = await page.request.get(`${site.base}/api/v1/search/synonyms`);
    expect(res.status()).toBe(403);
    await page.context().close();
  });
});
