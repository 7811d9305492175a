import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELATED } from '../../src/domain/articles/related.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels } from '../support/factories.ts';
import { birds } from '../support/newsroom-texts.ts';
import { STORES } from '../support/stores.ts';

/**
 * A publish offers the new article into the lists of the stories it is like (RelatedRepository.offer): a list that
 * is full keeps its `keep` best, and what the offer pushes out of every list goes in one statement on both stores.
 */
describe.each(STORES)('offers into full related lists on %s', (kind) => {
  let t: TestApp;
  const ids: number[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    const editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    for (let i = 0; i < RELATED.keep + 6; i++) ids.push((await createArticle(t.app, editor, { ...birds.arrival, title: `候鸟第${i}篇` })).id);
    await t.settled();
  });
  afterAll(() => t.close());

  const items = (id: number) => t.ctx.store.related.items(id);

  it('keeps each full list to its best, pushing out the weakest of every list offered into at once', async () => {
    const [a, b, newcomer, ...others] = ids as [number, number, number, ...number[]];
    const full = others.slice(0, RELATED.keep);
    // Two full lists, scores 0.90 down to 0.45 (b's a little higher), and a third article with a short list.
    await t.ctx.store.transaction(async (store) => {
      await store.related.replaceItems(
        a,
        full.map((id, i) => ({ id, score: 0.9 - i * 0.03 })),
      );
      await store.related.replaceItems(
        b,
        full.map((id, i) => ({ id, score: 0.91 - i * 0.03 })),
      );
    });
    const short = others[RELATED.keep]!;
    await t.ctx.store.transaction((store) => store.related.replaceItems(short, [{ id: full[0]!, score: 0.5 }]));

    await t.ctx.store.transaction((store) =>
      store.related.offer(
        newcomer,
        [
          { id: a, score: 0.95 },
          { id: b, score: 0.6 },
          { id: short, score: 0.2 },
        ],
        RELATED.keep,
      ),
    );

    const listA = await items(a);
    expect(listA).toHaveLength(RELATED.keep);
    expect(listA[0]).toEqual({ id: newcomer, score: 0.95 });
    expect(listA.map((i) => i.id)).not.toContain(full[RELATED.keep - 1]);
    const listB = await items(b);
    expect(listB).toHaveLength(RELATED.keep);
    expect(listB.map((i) => i.id)).toContain(newcomer);
    expect(listB.map((i) => i.id)).not.toContain(full[RELATED.keep - 1]);
    expect(listB.map((i) => i.id)).toContain(full[RELATED.keep - 2]);
    // Not full: nothing pushed out, the weaker offer kept after the stronger item.
    expect(await items(short)).toEqual([
      { id: full[0], score: 0.5 },
      { id: newcomer, score: 0.2 },
    ]);
  });

  it('an offer weaker than every item of a full list does not enter it', async () => {
    const a = ids[0]!;
    const latecomer = ids[ids.length - 1]!;
    const before = await items(a);
    await t.ctx.store.transaction((store) => store.related.offer(latecomer, [{ id: a, score: 0.01 }], RELATED.keep));
    expect(await items(a)).toEqual(before);
  });
});
