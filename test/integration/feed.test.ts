import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';

describe.each(STORES)('public feed on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const published: number[] = [];

  const publishOne = async (at: number) => {
    t.clock.set(at);
    const a = await createArticle(t.app, editor);
    await publish(t.app, editor, a.id);
    return a.id;
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createChannels(t.app, admin.auth);
    const start = Date.UTC(2026, 10, 1);
    // Two articles share each publication time, so the id must break ties.
    for (let i = 0; i < 10; i++) published.push(await publishOne(start + Math.floor(i / 2) * 60_000));
  });
  afterAll(() => t.close());

  const page = async (query: string) => json(await t.app.inject({ url: `/api/v1/feed?${query}` }));

  it('walks newest first with no duplicates or gaps while new articles arrive', async () => {
    const first = await page('limit=4');
    expect(first.items).toHaveLength(4);
    const seen: number[] = first.items.map((i: { id: number }) => i.id);
    // New articles land at the top; a reader's next pages must neither repeat nor skip.
    for (let i = 0; i < 3; i++) await publishOne(Date.UTC(2026, 10, 2) + i);
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await page(`limit=4&cursor=${cursor}`);
      seen.push(...next.items.map((i: { id: number }) => i.id));
      cursor = next.nextCursor;
    }
    expect(seen).toEqual([...published].reverse());
  });

  it('clamps limit to 1–50', async () => {
    expect((await page('limit=0')).items).toHaveLength(1);
    expect((await page('limit=500')).items.length).toBeLessThanOrEqual(50);
  });

  it('returns a 404 JSON error for an unknown channel', async () => {
    const res = await t.app.inject({ url: '/api/v1/feed?channel=nope' });
    expect(res.statusCode).toBe(404);
  });
});
