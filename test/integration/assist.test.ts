import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { batteries, birds, scienceCityReport, syndicatedTracking, unrelated } from '../support/newsroom-texts.ts';

interface AssistOut {
  summary: string;
  keywords: string[];
  figures: { value: string; label: string }[];
  duplicates: { id: number; title: string; status: string; similarity: number }[];
}

describe.each(STORES)('editor assists on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let reporter: string;
  let trackingId: number;
  let draftId: number;

  const assist = (auth: string | undefined, payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/v1/assist', headers: auth ? { authorization: auth } : {}, payload: payload as object });
  const draftOf = (s: { title: string; body: string }) => ({ title: s.title, body: s.body });
  const ok = async (auth: string, payload: unknown) => {
    await t.settled();
    const res = await assist(auth, payload);
    expect(res.statusCode, res.body).toBe(200);
    return json<AssistOut>(res);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    reporter = (await t.user('reporter')).auth;
    await createChannels(t.app, admin.auth);
    trackingId = (await createArticle(t.app, editor, { ...birds.tracking, summary: '' })).id;
    await publish(t.app, editor, trackingId);
    for (const story of [birds.arrival, batteries.plant, unrelated.elevators]) {
      await publish(t.app, editor, (await createArticle(t.app, editor, { ...story, channel: 'keji', summary: '' })).id);
    }
    // An editor's unpublished draft: reporters may not learn that it exists.
    draftId = (await createArticle(t.app, editor, { ...batteries.lab, channel: 'keji', summary: '' })).id;
  });
  afterAll(() => t.close());

  it('suggests a summary, keywords and key figures for the text in the editor', async () => {
    const out = await ok(reporter, scienceCityReport);
    expect(out.summary).toBe(
      '记者从砚湖科学城管委会获悉，科学城已成为全市创新密度最高的区域，平均每平方公里创造312亿元产值。' +
        '与此同时，科学城加快引育创新主体，新增国家级专精特新企业37家，技术合同成交额达到86亿元。',
    );
    expect(out.keywords.length).toBeGreaterThanOrEqual(5);
    expect(out.keywords.length).toBeLessThanOrEqual(10);
    expect(out.keywords.slice(0, 2)).toEqual(['砚湖科学城', '科学城']);
    expect(out.figures).toEqual(
      expect.arrayContaining([
        { value: '312亿元', label: '每平方公里产值' },
        { value: '26个', label: '科技设施平台' },
        { value: '11.5%', label: '企业总收入同比增长' },
      ]),
    );
    expect(out.duplicates).toEqual([]);
  });

  it('finds the original of a lightly edited syndicated copy, and nothing for an unrelated story', async () => {
    const out = await ok(editor, syndicatedTracking);
    expect(out.duplicates).toHaveLength(1);
    expect(out.duplicates[0]).toMatchObject({ id: trackingId, title: birds.tracking.title, status: 'published' });
    expect(out.duplicates[0]!.similarity).toBeGreaterThanOrEqual(0.5);
    expect(out.duplicates[0]!.similarity).toBeLessThan(1);

    expect((await ok(editor, draftOf(unrelated.marathon))).duplicates).toEqual([]);
    expect((await ok(editor, draftOf(birds.volunteers))).duplicates).toEqual([]);
  });

  it('finds an exact copy of a draft for those who may read it, and leaves the article being edited out', async () => {
    const asEditor = await ok(editor, draftOf(batteries.lab));
    expect(asEditor.duplicates.map((d) => [d.id, d.similarity, d.status])).toEqual([[draftId, 1, 'draft']]);
    expect((await ok(reporter, draftOf(batteries.lab))).duplicates).toEqual([]);
    expect((await ok(editor, { ...draftOf(batteries.lab), articleId: draftId })).duplicates).toEqual([]);
  });

  it('needs a signed-in newsroom account, validates its input and changes nothing', async () => {
    expect((await assist(undefined, scienceCityReport)).statusCode).toBe(401);
    for (const [payload, code] of [
      [{ title: '标题' }, 'required'],
      [{ ...scienceCityReport, extra: true }, 'unknown_field'],
      [{ title: 1, body: '' }, 'invalid_input'],
      [{ title: 'x'.repeat(201), body: '' }, 'invalid_input'],
    ] as const) {
      const res = await assist(editor, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(json(res).error.code).toBe(code);
    }
    const empty = await ok(editor, { title: '', body: '' });
    expect(empty).toEqual({ summary: '', keywords: [], figures: [], duplicates: [] });
  });

  it('does not purge the reader page cache: an assist changes nothing', async () => {
    await t.settled();
    await t.app.inject({ url: '/' });
    expect((await t.app.inject({ url: '/' })).headers['x-cache']).toBe('hit');
    await ok(editor, scienceCityReport);
    expect((await t.app.inject({ url: '/' })).headers['x-cache']).toBe('hit');
  });
});
