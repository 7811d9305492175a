import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDueArticles } from '../../src/domain/articles/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * The scheduler publishes what is still scheduled and due when it gets to it: an editor who pulls a scheduled story
 * (撤稿) or moves its time while the scheduler is running is obeyed, whichever commits first — never a story published
 * that an editor had just taken back.
 */
describe.each(STORES)('a schedule firing while editors change it on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = await t.user('editor');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const step = (id: number, name: string, payload?: object) =>
    t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/${name}`, headers: { authorization: editor.auth }, ...(payload ? { payload } : {}) });
  const read = async (id: number) => json(await t.app.inject({ url: `/api/v1/articles/${id}`, headers: { authorization: editor.auth } }));
  const scheduledDueNow = async (count: number) => {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const { id } = await createArticle(t.app, editor.auth, { title: `定时稿件${i}` });
      expect((await step(id, 'schedule', { at: new Date(t.clock.now() + 60_000).toISOString() })).statusCode).toBe(200);
      ids.push(id);
    }
    t.clock.advance(61_000);
    return ids;
  };

  it('an editor unpublishing scheduled stories while the scheduler runs: every one she pulled stays pulled', async () => {
    const ids = await scheduledDueNow(6);
    const [, ...pulls] = await Promise.all([publishDueArticles(t.ctx), ...ids.map((id) => step(id, 'unpublish'))]);
    for (const [i, id] of ids.entries()) {
      // Either the scheduler came first (published, then her unpublish took it down) or she did (it stays down).
      expect(pulls[i]!.statusCode, String(id)).toBe(200);
      expect((await read(id)).status, String(id)).toBe('unpublished');
      expect((await t.app.inject({ url: `/a/${id}` })).statusCode, String(id)).toBe(410);
    }
  });

  it('an editor moving scheduled stories to later while the scheduler runs: a move that succeeded is kept', async () => {
    const ids = await scheduledDueNow(6);
    const later = new Date(t.clock.now() + 3_600_000).toISOString();
    const [published, ...moves] = await Promise.all([publishDueArticles(t.ctx), ...ids.map((id) => step(id, 'schedule', { at: later }))]);
    for (const [i, id] of ids.entries()) {
      const article = await read(id);
      if (moves[i]!.statusCode === 200) {
        expect(article.status, String(id)).toBe('scheduled');
        expect(published, String(id)).not.toContain(id);
        expect((await t.app.inject({ url: `/a/${id}` })).statusCode, String(id)).toBe(404);
      } else {
        // The scheduler got there first: the move is refused as a move of a published story.
        expect(json(moves[i]!).error.code).toBe('invalid_transition');
        expect(article.status).toBe('published');
      }
    }
  });
});
