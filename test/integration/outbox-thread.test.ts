import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentChange } from '../../src/domain/events.ts';
import { OutboxThread } from '../../src/outbox-thread.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { batteries, birds, unrelated } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

/**
 * As `serve` runs it: the outbox's work (search entries, related reading) in a thread of its own with its own
 * connection, so the event loop that answers readers does not do it (issue #12). What readers see must be what the
 * event loop's own runner gives: found in search within 2 s, related lists made, and the pages that show them purged
 * in the event loop's page cache.
 */
describe.each(STORES)('the outbox in its own thread on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const changes: ContentChange[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind, {}, { outboxThread: true });
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    t.ctx.events.subscribe((change) => void changes.push(change));
    // The thread is loaded (from the sources here, seconds under Vitest), and jieba with its first article (there), and
    // here the did-you-mean tables a search finding nothing waits for, before anything is timed.
    const warm = await createArticle(t.app, editor, { ...batteries.plant, summary: '' });
    await publish(t.app, editor, warm.id);
    await t.settled();
    await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent('鸵鸟')}` });
  });
  afterAll(() => t.close());

  const found = async (q: string) => {
    const res = await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q)}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: number }[] }>(res).items.map((i) => i.id);
  };
  const related = async (id: number) => {
    const res = await t.app.inject({ url: `/api/v1/articles/${id}/related` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: number }[] }>(res).items.map((i) => i.id);
  };

  it('is a thread, not the event loop’s runner', () => {
    expect(t.outbox).toBeInstanceOf(OutboxThread);
    expect((t.outbox as OutboxThread).threadId).toBeGreaterThan(0);
  });

  it('makes a published article searchable within 2 s of its commit', async () => {
    const a = await createArticle(t.app, editor, { ...birds.arrival, summary: '' });
    await publish(t.app, editor, a.id);
    const started = Date.now();
    await waitFor(async () => (await found('候鸟')).includes(a.id) || undefined, { timeout: 2000, message: 'search finds the new article' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('makes related reading, and the event loop hears of it and purges the article’s page', async () => {
    const b = await createArticle(t.app, editor, { ...birds.tracking, summary: '' });
    const other = await createArticle(t.app, editor, { ...unrelated.elevators, summary: '' });
    await publish(t.app, editor, other.id);
    await publish(t.app, editor, b.id);
    await t.settled();
    // The thread's related reading of b, told to this thread as it is in-process: its page is purged here.
    expect(changes).toContainEqual({ kind: 'related', id: b.id });
    const list = await related(b.id);
    expect(list.length).toBeGreaterThan(0);
    expect(list).not.toContain(other.id);
    // settled() waited for the thread's work: nothing is left in the outbox.
    expect(await t.ctx.store.outbox.due(Date.now() + 60_000)).toBe(false);
  });

  it('starts again after the thread dies, and does the work left', async () => {
    const thread = t.outbox as OutboxThread;
    const before = thread.threadId;
    await thread.kill();
    const c = await createArticle(t.app, editor, { ...birds.exhibition, summary: '' });
    await publish(t.app, editor, c.id);
    await waitFor(async () => (await found('候鸟')).includes(c.id) || undefined, { timeout: 15_000, message: 'search finds the article after the restart' });
    expect(thread.threadId).not.toBe(before);
  });
});
