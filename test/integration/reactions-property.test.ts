import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { countsFromRows, readerCookie, vote } from '../support/reactions.ts';
import { STORES } from '../support/stores.ts';

const MOODS = ['happy', 'sad', 'like', 'pass'] as const;
const READERS = 5;

/** What a reader or a bot may send; `article` indexes [published A, published B, draft, unknown]. */
type Step =
  | { kind: 'vote'; reader: number; article: number; mood: (typeof MOODS)[number] }
  | { kind: 'forged'; article: number; mood: (typeof MOODS)[number] }
  | { kind: 'badMood'; reader: number; article: number; mood: unknown }
  | { kind: 'extraField'; reader: number; article: number }
  | { kind: 'look'; reader: number; article: number };

const mood = fc.constantFrom(...MOODS);
const reader = fc.integer({ min: 0, max: READERS - 1 });
const article = fc.integer({ min: 0, max: 3 });
const badMood = fc.oneof(
  fc.string({ maxLength: 12 }).filter((s) => !(MOODS as readonly string[]).includes(s)),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(mood, { maxLength: 2 }),
  fc.record({ key: mood }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('vote' as const), reader, article, mood }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forged' as const), article, mood }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('badMood' as const), reader, article, mood: badMood }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extraField' as const), reader, article }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('look' as const), reader, article }) },
);

/** The in-memory model: one vote per (article, reader), counts are the votes. */
class Model {
  votes = new Map<string, string>();
  private anonymous = 0;
  cast(article: number, reader: string, mood: string) {
    this.votes.set(`${article}/${reader}`, mood);
  }
  castAsNewReader(article: number, mood: string) {
    this.cast(article, `anonymous-${++this.anonymous}`, mood);
  }
  mine(article: number, reader: number): string | null {
    return this.votes.get(`${article}/${reader}`) ?? null;
  }
  counts(article: number) {
    const counts: Record<string, number> = { happy: 0, sad: 0, like: 0, pass: 0 };
    for (const [key, m] of this.votes) if (key.startsWith(`${article}/`)) counts[m]!++;
    return counts;
  }
}

describe.each(STORES)('votes against a model on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let run = 0;

  beforeAll(async () => {
    t = await startTestApp(kind);
    editor = (await t.user('editor')).auth;
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  it('random sequences of vote, change, repeat and bad input give the model’s counts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        run++;
        // Fresh articles and readers for every sequence, so runs cannot see each other's votes.
        const a = await createArticle(t.app, editor);
        await publish(t.app, editor, a.id);
        const b = await createArticle(t.app, editor);
        await publish(t.app, editor, b.id);
        const draft = await createArticle(t.app, editor);
        const ids = [a.id, b.id, draft.id, 2_000_000_000];
        const published = (i: number) => i < 2;
        const cookies: (string | undefined)[] = Array(READERS).fill(undefined);
        // Distinct /24s per run and reader: the anti-stuffing layers are tested elsewhere and must stay out of the way.
        const ip = (r: number) => `10.${run % 250}.${r}.1`;
        let forgedIp = 0;
        const model = new Model();

        for (const s of steps) {
          const id = ids[s.article]!;
          if (s.kind === 'vote') {
            const res = await vote(t.app, id, s.mood, { ip: ip(s.reader), cookie: cookies[s.reader] });
            if (!published(s.article)) {
              expect(res.statusCode).toBe(404);
              continue;
            }
            expect(res.statusCode).toBe(200);
            cookies[s.reader] ??= readerCookie(res);
            model.cast(s.article, String(s.reader), s.mood);
            expect(json(res)).toEqual({ counts: model.counts(s.article), mine: s.mood });
          } else if (s.kind === 'forged') {
            const forged = `${'F'.repeat(22)}.${'x'.repeat(43)}`;
            const res = await vote(t.app, id, s.mood, { ip: `10.251.${forgedIp++ % 250}.1`, cookie: forged });
            if (!published(s.article)) {
              expect(res.statusCode).toBe(404);
              continue;
            }
            expect(res.statusCode).toBe(200);
            model.castAsNewReader(s.article, s.mood);
            expect(json(res).counts).toEqual(model.counts(s.article));
          } else if (s.kind === 'badMood' || s.kind === 'extraField') {
            const res =
              s.kind === 'badMood'
                ? await vote(t.app, id, s.mood, { ip: ip(s.reader), cookie: cookies[s.reader] })
                : await t.app.inject({
                    method: 'POST',
                    url: `/api/v1/articles/${id}/reactions`,
                    remoteAddress: ip(s.reader),
                    headers: cookies[s.reader] ? { cookie: `inkstone_reader=${cookies[s.reader]}` } : {},
                    payload: { mood: 'happy', weight: 10 },
                  });
            expect(res.statusCode).toBeGreaterThanOrEqual(400);
            expect(res.statusCode).toBeLessThan(500);
            expect(json(res).error.code).toEqual(expect.any(String));
            expect(readerCookie(res)).toBeUndefined();
          } else {
            const res = await t.app.inject({
              url: `/api/v1/articles/${id}/reactions`,
              headers: cookies[s.reader] ? { cookie: `inkstone_reader=${cookies[s.reader]}` } : {},
            });
            if (!published(s.article)) {
              expect(res.statusCode).toBe(404);
              continue;
            }
            expect(json(res)).toEqual({ counts: model.counts(s.article), mine: cookies[s.reader] ? model.mine(s.article, s.reader) : null });
          }
        }
        for (const i of [0, 1]) {
          expect(await countsFromRows(t.db.database.db, ids[i]!)).toEqual(model.counts(i));
          expect(json(await t.app.inject({ url: `/api/v1/articles/${ids[i]}/reactions` })).counts).toEqual(model.counts(i));
        }
      }),
      { numRuns: 50 },
    );
  });
});
