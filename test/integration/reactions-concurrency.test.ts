import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReactionCounts } from '../../src/domain/reactions/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { countsFromRows, readerCookie, vote, voteRows } from '../support/reactions.ts';
import { STORES } from '../support/stores.ts';

const MOODS = ['happy', 'sad', 'like', 'pass'] as const;

describe.each(STORES)('votes under concurrency on %s', (kind) => {
  let t: TestApp;
  let articleId: number;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    const a = await createArticle(t.app, admin.auth);
    await publish(t.app, admin.auth, a.id);
    articleId = a.id;
  });
  afterAll(() => t.close());

  it('1,000 readers at once, 300 changing and 100 repeating their vote: exact counts, no 5xx', async () => {
    const expected: Record<string, number> = { happy: 0, sad: 0, like: 0, pass: 0 };
    const statuses: number[] = [];
    // Each reader votes, then (some of them) changes or repeats, in order; all readers run at the same time.
    const reader = async (i: number) => {
      // One address per reader, each in its own /24: the anti-stuffing layers must not touch honest readers.
      const ip = `10.${(i >> 8) & 255}.${i & 255}.1`;
      const first = MOODS[i % 4]!;
      const res = await vote(t.app, articleId, first, { ip });
      statuses.push(res.statusCode);
      const cookie = readerCookie(res);
      let final: string = first;
      if (i < 300) {
        final = MOODS[(i + 1 + (i % 3)) % 4]!;
        statuses.push((await vote(t.app, articleId, final, { ip, cookie })).statusCode);
      } else if (i < 400) {
        statuses.push((await vote(t.app, articleId, first, { ip, cookie })).statusCode);
      }
      expected[final]!++;
    };
    await Promise.all(Array.from({ length: 1000 }, (_, i) => reader(i)));

    expect(statuses).toHaveLength(1400);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const shown = json(await t.app.inject({ url: `/api/v1/articles/${articleId}/reactions` })).counts;
    expect(shown).toEqual(expected);
    expect(Object.values(shown).reduce((a: number, b) => a + Number(b), 0)).toBe(1000);
    expect(await voteRows(t.db.database.db, articleId)).toHaveLength(1000);
    expect(await countsFromRows(t.db.database.db, articleId)).toEqual(expected);
    expect((await checkReactionCounts(t.ctx, { dryRun: true })).drift).toEqual([]);
  });

  it('votes on unknown and withdrawn articles sent amid good ones fail alone', async () => {
    const admin = await t.user('admin');
    const withdrawn = await createArticle(t.app, admin.auth);
    await publish(t.app, admin.auth, withdrawn.id);
    await t.app.inject({ method: 'POST', url: `/api/v1/articles/${withdrawn.id}/unpublish`, headers: { authorization: admin.auth } });
    const before = json(await t.app.inject({ url: `/api/v1/articles/${articleId}/reactions` })).counts.like;
    // Sent together, these land in the same group commit: the bad ones must not take the good ones down.
    const sends = Array.from({ length: 90 }, (_, i) => {
      const target = i % 3 === 0 ? articleId : i % 3 === 1 ? withdrawn.id : 999_999;
      return vote(t.app, target, 'like', { ip: `10.240.${i}.1` }).then((r) => [target, r.statusCode] as const);
    });
    const results = await Promise.all(sends);
    expect(results.filter(([a, s]) => a === articleId && s === 200)).toHaveLength(30);
    expect(results.filter(([a, s]) => a !== articleId && s === 404)).toHaveLength(60);
    expect(json(await t.app.inject({ url: `/api/v1/articles/${articleId}/reactions` })).counts.like).toBe(before + 30);
    expect(await voteRows(t.db.database.db, withdrawn.id)).toHaveLength(0);
  });

  it('one reader hammering two moods at once ends with one vote', async () => {
    const cookie = readerCookie(await vote(t.app, articleId, 'happy', { ip: '10.250.0.1' }))!;
    const before = json(await t.app.inject({ url: `/api/v1/articles/${articleId}/reactions` })).counts;
    const sends = Array.from({ length: 50 }, (_, i) => vote(t.app, articleId, i % 2 ? 'sad' : 'pass', { ip: '10.250.0.1', cookie }));
    const results = await Promise.all(sends);
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    const after = json(await t.app.inject({ url: `/api/v1/articles/${articleId}/reactions`, headers: { cookie: `inkstone_reader=${cookie}` } }));
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(total(after.counts)).toBe(total(before));
    expect(['sad', 'pass']).toContain(after.mine);
    expect(await countsFromRows(t.db.database.db, articleId)).toEqual(after.counts);
  });
});
