import { beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/domain/accounts/service.ts';
import { foldedArticle, seriousViolations, settled, shot, useNewsroom, VIEWPORTS, WECHAT_UA } from './browser.ts';

/**
 * 关怀版 and accessibility in a real browser (issue #16): axe on every reader page kind in both modes, both sizes and
 * the 繁 mirror; care mode's sizes, contrast, targets and single column; the switch without JavaScript; keyboard-only
 * use; 朗读; and the rough edges (no-JS share and font size, the mood acknowledgement, list times, the preview marker).
 */

const site = useNewsroom();
let longArticle: number;
let adminAuth: string;

beforeAll(async () => {
  longArticle = await foldedArticle(site.ctx);
  adminAuth = `Bearer ${(await createApiToken(site.ctx, null, { username: 'admin' })).token}`;
});

const PAGE_KINDS: [string, () => string][] = [
  ['home', () => '/'],
  ['channel', () => '/c/difang'],
  ['article', () => `/a/${longArticle}`],
  ['topic', () => '/t/kechuang-ceyuan'],
  ['search', () => `/search?q=${encodeURIComponent('地铁')}`],
  ['share', () => `/a/${longArticle}/share`],
  ['404', () => '/a/99999999'],
  ['hant-home', () => '/zh-hant/'],
  ['hant-article', () => `/zh-hant/a/${longArticle}`],
];

describe('axe: zero serious or critical violations on every reader page kind', () => {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    for (const mode of ['standard', 'care'] as const) {
      it.each(PAGE_KINDS)(`%s page, ${mode}, at ${viewport.width}×${viewport.height}`, async (name, url) => {
        const target = mode === 'care' ? `/care${url()}` : url();
        const { page, errors, inFlight } = await site.open(target, { viewport });
        await settled(page, inFlight);
        if (mode === 'care') {
          expect(await page.getAttribute('html', 'data-mode')).toBe('care');
          await shot(page, `care-${name}-${size}`, { fullPage: size === 'phone' && name === 'article' });
        }
        expect(await seriousViolations(page, { targets: true })).toEqual([]);
        // Nothing wider than the screen.
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
        await page.context().close();
      });
    }
  }
});

describe('关怀版 on a phone', () => {
  it('large type, line height ≥ 1.8, body contrast ≥ 7:1, one column, no carousel motion, no rankings', async () => {
    const { page, inFlight } = await site.open(`/care/a/${longArticle}`, { viewport: VIEWPORTS.phone });
    await settled(page, inFlight);
    const text = await page.$eval('#article-body p', (p) => {
      const s = getComputedStyle(p);
      const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
      let bg = 'rgba(0, 0, 0, 0)';
      for (let el: Element | null = p; el && /rgba\(0, 0, 0, 0\)|transparent/.test(bg); el = el.parentElement) bg = getComputedStyle(el).backgroundColor;
      const lum = (c: number[]) => {
        const [r, g, b] = c.map((v) => {
          const x = v / 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const [l1, l2] = [lum(rgb(s.color)), lum(rgb(bg))].sort((a, b) => b - a);
      return { size: parseFloat(s.fontSize), lineHeight: parseFloat(s.lineHeight), contrast: (l1! + 0.05) / (l2! + 0.05) };
    });
    expect(text.size).toBeGreaterThanOrEqual(18);
    expect(text.lineHeight / text.size).toBeGreaterThanOrEqual(1.8);
    expect(text.contrast).toBeGreaterThanOrEqual(7);
    // Every other text the reader reads is 18 px or more and ≥ 7:1 too (axe checks 4.5:1; care asks more).
    const small = await page.$$eval('main p, main li, main time, main h1, main h2, main h3, .breadcrumbs a, .channel-nav a', (els) =>
      els
        .filter((e) => e.getClientRects().length > 0 && !e.closest('.visually-hidden') && (e.textContent ?? '').trim())
        .map((e) => [`${e.tagName}.${e.className} ${(e.textContent ?? '').trim().slice(0, 8)}`, parseFloat(getComputedStyle(e).fontSize)] as const)
        .filter(([, size]) => size < 18),
    );
    expect(small.map(String)).toEqual([]);
    expect(await page.locator('.side-col, .rankings').count()).toBe(0);
    const widths = await page.evaluate(() => ({
      main: document.querySelector('.main-col')!.getBoundingClientRect().width,
      grid: document.querySelector('.page-grid')!.getBoundingClientRect().width,
    }));
    expect(widths.main).toBe(widths.grid);
    await page.context().close();

    // Desktop too: one column, the rankings gone.
    const wide = await site.open('/care/', { viewport: VIEWPORTS.desktop });
    expect(await wide.page.locator('.side-col, .rankings').count()).toBe(0);
    expect(await wide.page.isVisible('[data-carousel-controls]')).toBe(false);
    // The carousel's slides are a still list: one below the other.
    const tops = await wide.page.$$eval('.carousel-slide', (s) => s.map((e) => e.getBoundingClientRect().top));
    expect(tops.length).toBeGreaterThan(1);
    expect(tops[1]!).toBeGreaterThan(tops[0]!);
    await wide.page.context().close();
  });

  it('tap targets are at least 44 × 44 px (links outside running text, buttons, fields)', async () => {
    for (const url of ['/care/', `/care/a/${longArticle}`, '/care/c/keji']) {
      const { page, inFlight } = await site.open(url, { viewport: VIEWPORTS.phone });
      await settled(page, inFlight);
      const small = await page.$$eval('a, button, input, select', (els) =>
        els
          .filter(
            (e) =>
              e.getClientRects().length > 0 &&
              !e.closest('.article-body, .visually-hidden, .skip-link, p.article-meta') &&
              getComputedStyle(e).visibility !== 'hidden',
          )
          .map((e) => ({ what: `${e.tagName}.${e.className} ${(e.textContent ?? '').trim().slice(0, 12)}`, box: e.getBoundingClientRect() }))
          .filter(({ box }) => box.width < 43.5 || box.height < 43.5)
          .map(({ what, box }) => `${what} ${Math.round(box.width)}×${Math.round(box.height)}`),
      );
      expect(small, url).toEqual([]);
      await page.context().close();
    }
  });

  it('the font control goes up to 30 px', async () => {
    const { page } = await site.open(`/care/a/${longArticle}`, { viewport: VIEWPORTS.phone });
    const size = () => page.$eval('#article-body p', (el) => parseFloat(getComputedStyle(el).fontSize));
    const sizes = [await size()];
    for (let i = 0; i < 2; i++) {
      await page.click('[data-font-toggle]');
      sizes.push(await size());
    }
    expect(sizes[0]).toBeGreaterThanOrEqual(18);
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    expect(sizes[2]).toBe(30);
    await shot(page, 'care-article-xl-phone', { fullPage: false });
    await page.context().close();
  });

  it('is switched on and off from the header without JavaScript, and remembered', async () => {
    const { page } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    expect(await page.isVisible('[data-font-toggle]')).toBe(false); // it could do nothing without the script
    await page.getByRole('link', { name: '关怀版' }).click();
    await page.waitForURL(`**/care/a/${longArticle}`);
    expect(await page.getAttribute('html', 'data-mode')).toBe('care');
    // Remembered: a standard address opens in care mode.
    await page.goto(`${site.base}/c/keji`);
    expect(new URL(page.url()).pathname).toBe('/care/c/keji');
    expect(await page.getAttribute('html', 'data-mode')).toBe('care');
    // Links stay in care mode.
    await page.locator('.feed-link').first().click();
    await page.waitForURL(/\/care\/a\/\d+$/);
    await page.getByRole('link', { name: '退出关怀版' }).click();
    await page.waitForURL(/\/a\/\d+$/);
    expect(new URL(page.url()).pathname).not.toMatch(/^\/care/);
    expect(await page.getAttribute('html', 'data-mode')).toBeNull();
    await page.goto(`${site.base}/c/keji`);
    expect(new URL(page.url()).pathname).toBe('/c/keji');
    await page.context().close();
  });
});

describe('keyboard only', () => {
  it('the skip link comes first, is visible when focused and moves focus to the main content', async () => {
    for (const url of ['/', '/care/']) {
      const { page } = await site.open(url, { viewport: VIEWPORTS.desktop });
      await page.keyboard.press('Tab');
      const skip = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement;
        const box = a.getBoundingClientRect();
        return { text: a.textContent, visible: box.left >= 0 && box.width > 0, outline: getComputedStyle(a).outlineStyle };
      });
      expect(skip.text, url).toBe('跳到正文');
      expect(skip.visible, url).toBe(true);
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      // The next stop has a visible focus ring.
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement!);
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      expect(ring.style).not.toBe('none');
      expect(ring.width).toBeGreaterThanOrEqual(2);
      await page.context().close();
    }
  });

  it('the carousel is operable with the keyboard', async () => {
    const { page } = await site.open('/', { viewport: VIEWPORTS.desktop, reducedMotion: 'reduce' });
    await page.waitForSelector('[data-carousel-controls]:not([hidden])');
    const current = () => page.$$eval('.carousel-dot', (d) => d.findIndex((x) => x.getAttribute('aria-current') === 'true'));
    expect(await current()).toBe(0);
    await page.focus('[data-carousel-next]');
    await page.keyboard.press('Enter');
    await expect.poll(current).toBe(1);
    await page.keyboard.press('ArrowRight');
    await expect.poll(current).toBe(2);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(current).toBe(1);
    // Reduced motion: the track jumps instead of gliding.
    expect(await page.$eval('[data-carousel-track]', (t) => getComputedStyle(t).scrollBehavior)).not.toBe('smooth');
    await page.context().close();
  });

  it('the share overlay opens from the keyboard, keeps focus and closes with Escape', async () => {
    const { page, errors } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone, userAgent: WECHAT_UA });
    await page.focus('[data-share-button]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.isVisible('[data-wechat-guide]')).toBe(true);
    expect(new URL(page.url()).pathname).toBe(`/a/${longArticle}`); // the script shares in place
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-wechat-guide-close'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-wechat-guide-close'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('[data-wechat-guide]')).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-share-button'))).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('on a desktop, 分享 shows the QR code in place and Escape puts it away', async () => {
    const { page, errors } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.desktop });
    await page.evaluate(() => Object.defineProperty(navigator, 'share', { value: undefined })); // the copy path
    await page.focus('[data-share-button]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.isVisible('[data-share-qr]')).toBe(true);
    expect(new URL(page.url()).pathname).toBe(`/a/${longArticle}`);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('[data-share-qr]')).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-share-button'))).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('respects prefers-reduced-motion: nothing animates', async () => {
    const { page } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone, reducedMotion: 'reduce' });
    expect(await page.$eval('[data-reading-bar]', (b) => getComputedStyle(b).transitionDuration)).toMatch(/^0s/);
    const moving = await page.$$eval('*', (els) =>
      els.filter((e) => getComputedStyle(e).animationName !== 'none' && getComputedStyle(e).animationPlayState === 'running').map((e) => e.tagName),
    );
    expect(moving).toEqual([]);
    await page.context().close();
  });
});

/** A stand-in for the browser's voice (headless Chromium has none): records what is spoken and lets the test end it. */
const FAKE_SPEECH = () => {
  const spoken: { text: string; lang: string }[] = [];
  let current: SpeechSynthesisUtterance | null = null;
  const synth = {
    speaking: false,
    paused: false,
    getVoices: () => [],
    speak(u: SpeechSynthesisUtterance) {
      spoken.push({ text: u.text, lang: u.lang });
      current = u;
      this.speaking = true;
      setTimeout(() => u.onstart?.(new Event('start') as SpeechSynthesisEvent));
    },
    pause() {
      this.paused = true;
    },
    resume() {
      this.paused = false;
    },
    cancel() {
      const u = current;
      current = null;
      this.speaking = false;
      if (u) u.onerror?.(Object.assign(new Event('error'), { error: 'interrupted' }) as SpeechSynthesisErrorEvent);
    },
    addEventListener() {},
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  Object.assign(window, {
    __speech: {
      spoken,
      synth,
      end() {
        const u = current;
        current = null;
        u?.onend?.(new Event('end') as SpeechSynthesisEvent);
      },
    },
  });
};

describe('朗读', () => {
  it('reads the title and the body sentence by sentence in zh-CN, the sentence highlighted, with play/pause and stop', async () => {
    const { page, errors } = await site.open(`/care/a/${longArticle}`, { viewport: VIEWPORTS.phone, beforeLoad: (p) => p.addInitScript(FAKE_SPEECH) });
    const play = page.locator('[data-read-aloud-play]');
    await expect.poll(() => play.isVisible()).toBe(true);
    expect(await play.textContent()).toBe('朗读全文');
    await play.click();
    type Speech = { spoken: { text: string; lang: string }[]; synth: { paused: boolean }; end(): void };
    const spoken = () => page.evaluate(() => (window as unknown as { __speech: Speech }).__speech.spoken);
    const title = await page.textContent('[data-article-title]');
    await expect.poll(async () => (await spoken()).length).toBe(1);
    expect((await spoken())[0]).toEqual({ text: title, lang: 'zh-CN' });
    expect(await page.getAttribute('[data-article-title]', 'class')).toContain('is-reading');
    expect(await play.textContent()).toBe('暂停');
    expect(await play.getAttribute('aria-pressed')).toBe('true');
    // The end of the title: the body's first sentence, highlighted by itself in its paragraph.
    await page.evaluate(() => (window as unknown as { __speech: Speech }).__speech.end());
    await expect.poll(async () => (await spoken()).length).toBe(2);
    const second = (await spoken())[1]!.text;
    expect(second.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as { CSS: { highlights: Map<string, Set<Range>> } }).CSS.highlights.get('read-aloud')?.size)).toBe(1);
    const lit = await page.evaluate(() =>
      [...(window as unknown as { CSS: { highlights: Map<string, Set<Range>> } }).CSS.highlights.get('read-aloud')!][0]!.toString(),
    );
    expect(lit.trim()).toBe(second);
    expect(await page.$eval('.is-reading', (p, s) => p.closest('#article-body') !== null && (p.textContent ?? '').includes(s), second)).toBe(true);
    await shot(page, 'care-read-aloud-phone', { fullPage: false });
    // Pause and resume.
    await play.click();
    expect(await play.textContent()).toBe('继续朗读');
    expect(await page.evaluate(() => (window as unknown as { __speech: Speech }).__speech.synth.paused)).toBe(true);
    await play.click();
    expect(await page.evaluate(() => (window as unknown as { __speech: Speech }).__speech.synth.paused)).toBe(false);
    // Stop: nothing highlighted, back to the start.
    await page.click('[data-read-aloud-stop]');
    expect(await play.textContent()).toBe('朗读全文');
    expect(await page.locator('.is-reading').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { CSS: { highlights: Map<string, unknown> } }).CSS.highlights.has('read-aloud'))).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('is hidden where the browser has no speech synthesis, and without JavaScript', async () => {
    const { page } = await site.open(`/a/${longArticle}`, {
      viewport: VIEWPORTS.phone,
      beforeLoad: (p) =>
        p.addInitScript(() => {
          delete (window as { speechSynthesis?: unknown }).speechSynthesis;
          Object.defineProperty(window, 'speechSynthesis', { value: undefined });
        }),
    });
    await page.waitForSelector('[data-font-toggle]:not([hidden])'); // the scripts ran
    expect(await page.isVisible('[data-read-aloud]')).toBe(false);
    await page.context().close();
    const noJs = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    expect(await noJs.page.isVisible('[data-read-aloud]')).toBe(false);
    await noJs.page.context().close();
  });

  it('is offered by a real Chromium (its own speechSynthesis)', async () => {
    const { page } = await site.open(`/a/${longArticle}`, { viewport: VIEWPORTS.phone });
    const supported = await page.evaluate(() => typeof window.speechSynthesis !== 'undefined');
    await expect.poll(() => page.isVisible('[data-read-aloud]')).toBe(supported);
    await page.context().close();
  });
});

describe('rough edges', () => {
  it('without JavaScript, 分享 opens a page with the link and a QR code', async () => {
    const { page } = await site.open(`/care/a/${longArticle}`, { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    await page.getByRole('link', { name: '分享', exact: true }).click();
    await page.waitForURL(`**/care/a/${longArticle}/share`);
    expect(await page.inputValue('#share-url')).toMatch(new RegExp(`/a/${longArticle}$`));
    await expect.poll(() => page.$eval('.share-page-qr img', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await shot(page, 'care-share-nojs-phone', { fullPage: false });
    await page.context().close();
  });

  it('without JavaScript, a mood vote returns a page with the vote, the new count and an acknowledgement', async () => {
    const { page } = await site.open(`/care/a/${longArticle}`, { viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    const before = Number(await page.locator('[data-mood="like"] [data-mood-count]').textContent());
    await page.click('[data-mood="like"]');
    await page.waitForURL(new RegExp(`/a/${longArticle}/mood\\?mode=care$`));
    expect(await page.getAttribute('html', 'data-mode')).toBe('care');
    expect(await page.textContent('[data-mood-ack]')).toBe('感谢参与！您选择了「点赞」。');
    expect(Number(await page.textContent('[data-mood-result="like"] [data-mood-count]'))).toBe(before + 1);
    await shot(page, 'care-mood-ack-phone', { fullPage: false });
    await page.getByRole('link', { name: '返回文章' }).click();
    await page.waitForURL(new RegExp(`/care/a/${longArticle}#moods$`));
    await page.context().close();
    // The acknowledgement page passes axe too, in both modes (axe needs scripts: another context).
    for (const url of [`/a/${longArticle}/mood`, `/a/${longArticle}/mood?mode=care`]) {
      const withJs = await site.open(url, { viewport: VIEWPORTS.phone });
      expect(await seriousViolations(withJs.page, { targets: true }), url).toEqual([]);
      await withJs.page.context().close();
    }
  });

  it('lists show short, relative times with the full time in the title', async () => {
    const { page } = await site.open('/c/keji', { viewport: VIEWPORTS.phone });
    const times = await page.$$eval('.feed-time', (ts) =>
      ts.map((t) => ({ text: t.textContent ?? '', title: t.getAttribute('title') ?? '', datetime: t.getAttribute('datetime') })),
    );
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) {
      expect(t.text).toMatch(/^(刚刚|\d{1,2}分钟前|今天 \d{2}:\d{2}|昨天 \d{2}:\d{2}|\d{2}-\d{2}|\d{4}-\d{2}-\d{2})$/);
      expect(t.title).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    }
    await page.context().close();
  });

  it('per-channel and per-topic feeds are advertised and served, Atom too', async () => {
    const { page } = await site.open('/c/keji', { viewport: VIEWPORTS.desktop });
    const feeds = await page.$$eval('link[rel=alternate][type$="xml"]', (ls) => ls.map((l) => l.getAttribute('href')));
    expect(feeds).toEqual(expect.arrayContaining(['/feed.xml', '/feed.atom', '/c/keji/feed.xml', '/c/keji/feed.atom']));
    for (const href of ['/c/keji/feed.xml', '/c/keji/feed.atom', '/t/kechuang-ceyuan/feed.atom']) {
      const res = await page.request.get(site.base + href);
      expect(res.status(), href).toBe(200);
      expect(await res.text()).not.toMatch(/(src|href)="\/(?!\/)/);
    }
    await page.context().close();
  });

  it('the newsroom preview of a draft is marked 预览 · 未发布 and shows no publication time', async () => {
    const created = await site.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: { authorization: adminAuth },
      payload: { title: '尚未发布的预览稿', channel: 'keji', body: '<p>预览正文。</p>' },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json() as { id: number };
    const { page } = await site.signIn('admin', VIEWPORTS.desktop);
    await page.goto(`${site.base}/admin/preview/${id}`);
    expect(await page.textContent('[data-preview-banner]')).toContain('预览 · 未发布');
    expect(await page.locator('.article-meta time').count()).toBe(0);
    await shot(page, 'preview-draft-marker', { fullPage: false });
    await page.context().close();
  });
});
