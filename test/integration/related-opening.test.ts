import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSED_CHARS, keepRelatedDocument } from '../../src/domain/articles/related.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { birds } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';

/**
 * Related reading analyses the opening of an article's text only, and reads only that (ReadOptions.openingChars;
 * the search index reads the text without the HTML, ReadOptions.html):
 * a body of up to 2 MB made into strings on the event loop held readers for tens of milliseconds, twice per write.
 * The opening is cut by characters in the database, so a character beyond the BMP is never split.
 */
describe.each(STORES)('related reading reads the opening of a long article on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let id: number;
  // A long text: the story, then a character beyond the BMP across the cut, then more than the analysis reads.
  const opening = `${birds.arrival.body.replace(/<[^>]+>/g, '')}。`;
  const filler = '江城湿地公园的观鸟步道今年延长到了十二公里。'.repeat(Math.ceil(ANALYSED_CHARS / 20));
  const text = `${opening}${filler.slice(0, ANALYSED_CHARS - opening.length - 1)}𠀋${filler}`;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    const a = await createArticle(t.app, editor, { ...birds.arrival, summary: '', body: `<p>${text}</p>` });
    id = a.id;
    await publish(t.app, editor, id);
    await t.settled();
  });
  afterAll(() => t.close());

  it('reads the text cut to the characters asked for, without the HTML', async () => {
    const full = (await t.ctx.store.articles.findById(id))!;
    expect(full.bodyText.length).toBeGreaterThan(ANALYSED_CHARS * 2);
    const cut = (await t.ctx.store.articles.findById(id, { openingChars: ANALYSED_CHARS }))!;
    expect(cut.bodyHtml).toBe('');
    // ANALYSED_CHARS characters: the astral one at the cut is whole (two UTF-16 units), and the rest is the full text's.
    expect(Array.from(cut.bodyText)).toHaveLength(ANALYSED_CHARS);
    expect(cut.bodyText).toBe(Array.from(full.bodyText).slice(0, ANALYSED_CHARS).join(''));
    expect(cut.bodyText.endsWith('𠀋')).toBe(true);
    expect({ ...cut, bodyText: '', bodyHtml: '' }).toEqual({ ...full, bodyText: '', bodyHtml: '' });
    const [many] = await t.ctx.store.articles.findMany([id], { openingChars: 10 });
    expect(many!.bodyText).toBe(full.bodyText.slice(0, 10));
    // The search index's read: the whole text, no HTML.
    const text = (await t.ctx.store.articles.findById(id, { html: false }))!;
    expect(full.bodyHtml).toContain('<p>');
    expect({ ...text, bodyHtml: full.bodyHtml }).toEqual(full);
    expect(text.bodyHtml).toBe('');
  });

  it('takes the article read with its opening as unchanged: the analysis is not made again', async () => {
    const now = t.clock.now();
    const full = (await t.ctx.store.articles.findById(id))!;
    const cut = (await t.ctx.store.articles.findById(id, { openingChars: ANALYSED_CHARS }))!;
    expect(await t.ctx.store.transaction((store) => keepRelatedDocument(store, cut, now))).toBeUndefined();
    expect(await t.ctx.store.transaction((store) => keepRelatedDocument(store, full, now))).toBeUndefined();
    // A change past the opening does not need a new analysis either; one in it does.
    const later = { ...full, bodyText: `${full.bodyText}又及。` };
    expect(await t.ctx.store.transaction((store) => keepRelatedDocument(store, later, now))).toBeUndefined();
    const changed = { ...full, bodyText: `更正：${full.bodyText}` };
    expect(await t.ctx.store.transaction((store) => keepRelatedDocument(store, changed, now))).toBeDefined();
  });
});
