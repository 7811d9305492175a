import type { Page } from 'playwright-core';
import { waitFor } from '../support/wait.ts';

/** The editor's save state as its status line tells it (data-save-state: dirty, saving, saved, merged, offline…). */
export const saveState = (page: Page) => page.getAttribute('[data-save-state]', 'data-save-state');

/** Waits (up to 30 s: an autosave on a loaded machine) until the editor's save state is one of `states`. */
export const waitState = (page: Page, ...states: string[]) =>
  waitFor(async () => states.includes((await saveState(page)) ?? ''), { timeout: 30_000, message: `save state ${states.join('/')}` });
