import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page, type Request, type Response } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createContainer } from '../../src/container.ts';
import { prepare } from '../../src/bootstrap.ts';
import { loadConfig } from '../../src/config.ts';
import type { Actor, Role } from '../../src/domain/accounts/roles.ts';
import { createAccount, toActor } from '../../src/domain/accounts/service.ts';
import { createChannel } from '../../src/domain/channels/service.ts';
import type { Clock } from '../../src/domain/clock.ts';
import type { Ctx } from '../../src/domain/context.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { FOLD_THRESHOLD } from '../../src/web/public/pages.tsx';
import { waitFor } from '../support/wait.ts';

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-output/screenshots');

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322e) NetType/WIFI Language/zh_CN';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** The admin's password unless a test names its own. */
export const DEFAULT_ADMIN_PASSWORD = 'e2e-admin-password';

export interface SiteOptions {
  /** Load the demo newsroom (default); false starts with an empty database and only `admin`. */
  demo?: boolean;
  adminPassword?: string;
  clock?: Clock;
  /** More settings, as environment variables (INKSTONE_MEDIA_MAX_BYTES…). */
  env?: Record<string, string>;
}

/** A real server on SQLite (with the demo newsroom unless told otherwise), listening on a free port. */
export async function startDemoSite({ demo = true, adminPassword = DEFAULT_ADMIN_PASSWORD, clock, env = {} }: SiteOptions = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-e2e-'));
  const config = loadConfig({
    INKSTONE_DATA_DIR: dataDir,
    INKSTONE_SECRET: 'e2e-secret-0123456789abcdef',
    INKSTONE_ADMIN_PASSWORD: adminPassword,
    INKSTONE_DEMO: demo ? '1' : '0',
    PORT: '0',
    ...env,
  });
  const database = openDatabase(config);
  const container = createContainer({ config, database, clock });
  await prepare(container);
  const { app, ctx } = await buildApp({ container });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    base: address,
    ctx,
    app,
    dataDir,
    async close() {
      await app.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type DemoSite = Awaited<ReturnType<typeof startDemoSite>>;

export interface NewsroomOptions<P extends string = string> extends SiteOptions {
  /** Top-level channels made first, slug → name. */
  channels?: Record<string, string>;
  /** Accounts made next, in this order, username → [display name, role]; each signs in with the admin's password. */
  people?: Record<P, readonly [displayName: string, role: Role]>;
}

export interface Newsroom<P extends string = string> extends DemoSite {
  browser: Browser;
  /** The accounts made for `people`, by username. */
  people: Record<P, Actor>;
  /** Signs `username` in with the site's password: signInNewsroom on this browser and site. */
  signIn(username: string, viewport?: { width: number; height: number }): Promise<NewsroomSession>;
  /** Opens `url`, a path on this site, as a reader would: openPage on this browser and site. */
  open(url: string, options?: OpenOptions): Promise<OpenedPage>;
  /** Closes the browser, then the site (its data folder removed). */
  close(): Promise<void>;
}

/**
 * What a browser test starts with: Chromium and a site (startDemoSite's options) with the channels and accounts it
 * names already made; on a failure while starting, whatever had started is closed again.
 */
export async function startNewsroom<P extends string = never>({
  channels = {},
  people = {} as Record<P, readonly [string, Role]>,
  ...siteOptions
}: NewsroomOptions<P> = {}): Promise<Newsroom<P>> {
  const [launched, started] = await Promise.allSettled([launchChromium(), startDemoSite(siteOptions)]);
  const browser = launched.status === 'fulfilled' ? launched.value : undefined;
  const site = started.status === 'fulfilled' ? started.value : undefined;
  const close = async () => {
    await browser?.close();
    await site?.close();
  };
  try {
    if (!browser || !site) throw launched.status === 'rejected' ? launched.reason : (started as PromiseRejectedResult).reason;
    const password = siteOptions.adminPassword ?? DEFAULT_ADMIN_PASSWORD;
    for (const [slug, name] of Object.entries(channels)) await createChannel(site.ctx, null, { slug, name });
    const actors = {} as Record<P, Actor>;
    for (const [username, [displayName, role]] of Object.entries(people) as [P, readonly [string, Role]][]) {
      actors[username] = toActor(await createAccount(site.ctx, null, { username, displayName, role, password }));
    }
    return {
      ...site,
      browser,
      people: actors,
      signIn: (username, viewport) => signInNewsroom(browser, site.base, username, password, viewport),
      open: (url, options) => openPage(browser, site.base + url, options),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A test file's newsroom: registers a beforeAll that starts it (startNewsroom with `options`, or with what the function
 * answers then, when they depend on an earlier beforeAll) and an afterAll that closes it. Answers the newsroom at once,
 * empty: its fields are filled once it has started, so read them in hooks and tests, not at the file's top level.
 * A file's own beforeAll registered after this call runs after the start; its own afterAll, before the close.
 */
export function useNewsroom<P extends string = never>(
  options: NewsroomOptions<P> | (() => NewsroomOptions<P>) = {},
  { timeout = 120_000 }: { timeout?: number } = {},
): Newsroom<P> {
  const site = {} as Newsroom<P>;
  let started: Newsroom<P> | undefined;
  beforeAll(async () => {
    started = await startNewsroom(typeof options === 'function' ? options() : options);
    Object.assign(site, started);
  }, timeout);
  afterAll(() => started?.close());
  return site;
}

/** Saves a screenshot of the page as test-output/screenshots/`name`.png, the whole page unless told otherwise. */
export function shot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}): Promise<Buffer> {
  return page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}

/** Collects console errors, page errors and CSP violations; a clean page has none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/**
 * Headless Chromium sometimes stops producing frames for one page (seen under CI load: requestAnimationFrame never
 * fires again, so every click waits for "stable" until it times out, while scripts still run). Such a page is replaced by
 * a new one in the same context (same cookies: still signed in) at the same address; a live page is returned as is.
 */
export async function replaceIfFrozen(page: Page, timeoutMs = 5_000): Promise<Page> {
  const painting = await page
    .evaluate(
      (ms) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          requestAnimationFrame(() =>
            requestAnimationFrame(() => {
              clearTimeout(timer);
              resolve(true);
            }),
          );
        }),
      timeoutMs,
    )
    .catch(() => false);
  if (painting) return page;
  console.warn(`Chromium stopped painting ${page.url()}: continuing on a new page`);
  const fresh = await page.context().newPage();
  await fresh.goto(page.url());
  await page.close().catch(() => {});
  return fresh;
}

/** Counts the page's requests still in flight (the view beacon sent on load, a feed fetch). */
export function watchRequests(page: Page): () => number {
  const pending = new Set<Request>();
  page.on('request', (r) => pending.add(r));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => pending.delete(r));
  return () => pending.size;
}

export interface NewsroomSession {
  page: Page;
  errors: string[];
  inFlight: () => number;
}

export interface OpenOptions extends BrowserContextOptions {
  /** Runs on the new page before it goes to the address: what must see the first load (an init script, a listener). */
  beforeLoad?: (page: Page) => unknown;
}

export interface OpenedPage extends NewsroomSession {
  /** The answer to the first load (its headers: the CSP…). */
  response: Response | null;
}

/**
 * Opens `url` in a browser context of its own (zh-CN, Asia/Shanghai, then `options`: a viewport, no JavaScript…), as a
 * reader arriving there would, and waits for its load; the page's errors and requests are watched from the start.
 */
export async function openPage(browser: Browser, url: string, { beforeLoad, ...options }: OpenOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
  const page = await context.newPage();
  const session = { page, errors: watchErrors(page), inFlight: watchRequests(page) };
  await beforeLoad?.(page);
  return { ...session, response: await page.goto(url, { waitUntil: 'load' }) };
}

/** The first published article long enough that its page folds it well before its end (the demo has one). */
export async function foldedArticle(ctx: Ctx): Promise<number> {
  const published = await ctx.store.articles.listPublished({ limit: 50 });
  return published.find((a) => a.bodyText.length > FOLD_THRESHOLD * 1.5)!.id;
}

let axeSource: string | undefined;

/**
 * axe's serious and critical violations on the page (axe-core pinned in package.json), each as `id (nodes)`; only
 * within the element `include` selects if given; of the rules tagged `runOnly` (wcag2a…) if given, else of all; with
 * `targets`, followed by the first three nodes' selectors.
 */
export async function seriousViolations(
  page: Page,
  { include, runOnly, targets = false }: { include?: string; runOnly?: string[]; targets?: boolean } = {},
): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
  const result = await page.evaluate(
    ([within, tags]) => {
      const { axe } = window as unknown as { axe: { run(...args: unknown[]): Promise<{ violations: Violation[] }> } };
      const options = tags ? { resultTypes: ['violations'], runOnly: tags } : { resultTypes: ['violations'] };
      return within ? axe.run(within, options) : axe.run(options);
    },
    [include, runOnly] as const,
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) =>
      targets
        ? `${v.id} (${v.nodes.length}): ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')}`
        : `${v.id} (${v.nodes.length})`,
    );
}

/**
 * Signs one person into the newsroom in a browser context of their own (zh-CN, Asia/Shanghai), as a newsroom member
 * at a desk would, and waits for the dashboard; the page's errors and requests are watched from the start.
 */
export async function signInNewsroom(
  browser: Browser,
  base: string,
  username: string,
  password: string,
  viewport: { width: number; height: number } = { width: 1440, height: 1000 },
): Promise<NewsroomSession> {
  const session = await openPage(browser, `${base}/admin`, { viewport });
  const { page } = session;
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('.login-card button[type=submit]');
  await page.waitForSelector('.dashboard [data-section=published] .count');
  return session;
}

export interface AnsweringSession extends NewsroomSession {
  /** The messages of the dialogs the page showed (confirm, alert), in order. */
  dialogs: string[];
  /** How the next dialogs are answered: accepted unless a test sets `accept` to false. */
  answer: { accept: boolean };
}

/** A signed-in session whose page records every dialog it shows and answers it as `answer` says (accept at first). */
export function answeringDialogs(session: NewsroomSession): AnsweringSession {
  const person: AnsweringSession = { ...session, dialogs: [], answer: { accept: true } };
  person.page.on('dialog', (d) => {
    person.dialogs.push(d.message());
    void (person.answer.accept ? d.accept() : d.dismiss());
  });
  return person;
}

/**
 * Waits until a loaded page has settled, instead of sleeping: web fonts in, zero-delay timers (deferred errors)
 * run, two frames painted, no request in flight; so the screenshot is final and late errors are already reported.
 */
export async function settled(page: Page, inFlight: () => number): Promise<void> {
  const frames = () =>
    page.evaluate(async () => {
      await document.fonts.ready;
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    });
  await frames();
  await waitFor(() => inFlight() === 0, { timeout: 5_000, interval: 20, message: 'the page’s requests to finish' });
  // One more round trip: console messages about the requests that just finished arrive before its answer.
  await frames();
}

/** Types at the end of the element `selector` names in the editor (a paragraph of the body): the caret put there first. */
export async function typeAtEndOf(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector);
  await page.$eval(selector, (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    range.collapse(false);
    getSelection()!.removeAllRanges();
    getSelection()!.addRange(range);
  });
  await page.keyboard.type(text);
}
