import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { analyseBacklog } from '../../src/domain/articles/related.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { batteries, birds, unrelated, type Story } from '../support/newsroom-texts.ts';

const HOUR = 3_600_000;

describe.each(STORES)('related reading on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let reporter: string;
  const id: Record<string, number> = {};

  const add = async (key: string, story: Story) => {
    t.clock.advance(HOUR);
    const a = await createArticle(t.app, editor, { ...story, summary: '' });
    id[key] = a.id;
    return a.id;
  };
  const related = async (articleId: number, auth?: string) => {
    await t.settled();
    const res = await t.app.inject({ url: `/api/v1/articles/${articleId}/related`, headers: auth ? { authorization: auth } : {} });
    expect(res.statusCode).toBe(200);
    return json<{ items: { id: number; title: string; url: string; publishedAt: string; pinned: boolean }[]; pinned?: number[]; excluded?: number[] }>(res);
  };
  const relatedIds = async (articleId: number) => (await related(articleId)).items.map((i) => i.id);
  const put = (articleId: number, auth: string, payload: unknown) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/articles/${articleId}/related`, headers: { authorization: auth }, payload: payload as object });

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    reporter = (await t.user('reporter')).auth;
    await createStoryChannels(t.app, admin.auth);
    // Subjects interleaved with stories that share their channel and their day but not their subject.
    const order: [string, Story][] = [
      ['arrival', birds.arrival],
      ['plant', batteries.plant],
      ['elevators', unrelated.elevators],
      ['tracking', birds.tracking],
      ['marathon', unrelated.marathon],
      ['lab', batteries.lab],
      ['prints', unrelated.prints],
      ['exhibition', birds.exhibition],
    ];
    for (const [key, story] of order) await publish(t.app, editor, await add(key, story));
  });
  afterAll(() => t.close());

  it('finds the same subject in other channels and leaves unrelated stories out, even from its own channel and day', async () => {
    const ids = await relatedIds(id.arrival!);
    expect(ids).toEqual(expect.arrayContaining([id.tracking, id.exhibition]));
    for (const other of ['plant', 'elevators', 'marathon', 'lab', 'prints']) expect(ids).not.toContain(id[other]);

    const batteryIds = await relatedIds(id.plant!);
    expect(batteryIds).toEqual([id.lab]);
    expect(await relatedIds(id.marathon!)).toEqual([]);
  });

  it('shows the list as 相关阅读 on the reader page', async () => {
    const html = (await t.app.inject({ url: `/a/${id.tracking}` })).body;
    const section = /<section class="related".*?<\/section>/s.exec(html)![0];
    expect(section).toContain(birds.arrival.title);
    expect(section).toContain('摄影展开幕');
    expect(section).not.toContain(unrelated.elevators.title);
  });

  it('answers the public with id, title, url, time and pinned only', async () => {
    const body = await related(id.arrival!);
    expect(body).not.toHaveProperty('excluded');
    for (const item of body.items) {
      expect(Object.keys(item).sort()).toEqual(['id', 'pinned', 'publishedAt', 'title', 'url']);
      expect(item.url).toBe(`http://news.example.test/a/${item.id}`);
      expect(item.pinned).toBe(false);
    }
  });

  it('puts a newly published article into the lists of the stories it resembles, and builds its own', async () => {
    const before = await relatedIds(id.arrival!);
    const volunteers = await add('volunteers', birds.volunteers);
    expect(await relatedIds(id.arrival!)).toEqual(before); // a draft is no one's related reading
    await publish(t.app, editor, volunteers);
    expect(await relatedIds(id.arrival!)).toContain(volunteers);
    expect(await relatedIds(id.exhibition!)).toContain(volunteers);
    expect(await relatedIds(id.plant!)).not.toContain(volunteers);
    const own = await relatedIds(volunteers);
    expect(own).toEqual(expect.arrayContaining([id.arrival, id.tracking, id.exhibition]));
    expect(own).not.toContain(id.elevators);
  });

  it('follows an edit of the text: a story rewritten onto another subject moves lists', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/articles/${id.marathon}`,
      headers: { authorization: editor },
      payload: {
        title: '马拉松赛道经过砚湖湿地 组委会为越冬候鸟调整路线',
        tags: ['马拉松', '候鸟'],
        body: `${unrelated.marathon.body}<p>今年的赛道途经砚湖湿地，组委会把湿地路段改到远离候鸟觅食浅滩的一侧，并在芦苇荡附近禁止鸣笛和使用扩音设备，以免惊扰越冬候鸟。</p>`,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(await relatedIds(id.marathon!)).toContain(id.arrival);
    expect(await relatedIds(id.arrival!)).toContain(id.marathon);
  });

  it('takes an unpublished article out of every list and its own, and puts it back when republished', async () => {
    const unpublish = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id.tracking}/unpublish`, headers: { authorization: editor } });
    expect(unpublish.statusCode).toBe(200);
    expect(await relatedIds(id.arrival!)).not.toContain(id.tracking);
    expect((await t.app.inject({ url: `/api/v1/articles/${id.tracking}/related` })).statusCode).toBe(404);
    await publish(t.app, editor, id.tracking!);
    expect(await relatedIds(id.arrival!)).toContain(id.tracking);
  });

  it('lets an editor pin and exclude items; readers see pins first and never the excluded', async () => {
    const res = await put(id.arrival!, editor, { pinned: [id.prints, id.elevators], excluded: [id.tracking] });
    expect(res.statusCode).toBe(200);
    const saved = json(res);
    expect(saved.pinned).toEqual([id.prints, id.elevators]);
    expect(saved.excluded).toEqual([id.tracking]);

    const body = await related(id.arrival!);
    expect(body.items.slice(0, 2).map((i) => [i.id, i.pinned])).toEqual([
      [id.prints, true],
      [id.elevators, true],
    ]);
    expect(body.items.map((i) => i.id)).not.toContain(id.tracking);
    expect(body.items.slice(2).map((i) => i.id)).toEqual(expect.arrayContaining([id.exhibition, id.volunteers]));
    expect(body.items.length).toBeLessThanOrEqual(8);

    // The reader page follows at once: the newsroom write purged the page cache.
    const html = (await t.app.inject({ url: `/a/${id.arrival}` })).body;
    const section = /<section class="related".*?<\/section>/s.exec(html)![0];
    expect(section.indexOf(unrelated.prints.title)).toBeLessThan(section.indexOf(birds.exhibition.title));
    expect(section).not.toContain(birds.tracking.title);

    const asEditor = await related(id.arrival!, editor);
    expect(asEditor).toMatchObject({ pinned: [id.prints, id.elevators], excluded: [id.tracking] });

    expect((await put(id.arrival!, editor, { pinned: [], excluded: [] })).statusCode).toBe(200);
    expect((await related(id.arrival!)).items.map((i) => i.id)).toContain(id.tracking);
  });

  it('leaves a pinned article out while it is taken down (the pin stays) and shows it again once republished', async () => {
    expect((await put(id.arrival!, editor, { pinned: [id.elevators], excluded: [] })).statusCode).toBe(200);
    const unpublish = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id.elevators}/unpublish`, headers: { authorization: editor } });
    expect(unpublish.statusCode).toBe(200);
    expect(await relatedIds(id.arrival!)).not.toContain(id.elevators);
    const section = /<section class="related".*?<\/section>/s.exec((await t.app.inject({ url: `/a/${id.arrival}` })).body)![0];
    expect(section).not.toContain(`/a/${id.elevators}"`);
    expect(section).not.toContain(unrelated.elevators.title);
    expect((await related(id.arrival!, editor)).pinned).toEqual([id.elevators]);

    await publish(t.app, editor, id.elevators!);
    const back = await related(id.arrival!);
    expect(back.items[0]).toMatchObject({ id: id.elevators, title: unrelated.elevators.title, pinned: true });
    expect(Date.parse(back.items[0]!.publishedAt)).toBeGreaterThan(0);
    expect((await put(id.arrival!, editor, { pinned: [], excluded: [] })).statusCode).toBe(200);
  });

  it('keeps pins and exclusions to editors and refuses bad choices, changing nothing', async () => {
    expect((await put(id.arrival!, reporter, { pinned: [id.prints], excluded: [] })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PUT', url: `/api/v1/articles/${id.arrival}/related`, payload: { pinned: [], excluded: [] } })).statusCode).toBe(401);
    const bad: [unknown, string][] = [
      [{ pinned: [id.arrival], excluded: [] }, 'self_reference'],
      [{ pinned: [999_999], excluded: [] }, 'unknown_article'],
      [{ pinned: [id.prints], excluded: [id.prints] }, 'pinned_and_excluded'],
      [{ pinned: [], excluded: [], extra: 1 }, 'unknown_field'],
      [{ pinned: ['7'], excluded: [] }, 'invalid_input'],
      [{ pinned: Array.from({ length: 9 }, (_, i) => i + 1), excluded: [] }, 'invalid_input'],
    ];
    for (const [payload, code] of bad) {
      const res = await put(id.arrival!, editor, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(json(res).error.code).toBe(code);
    }
    expect(await related(id.arrival!, editor)).toMatchObject({ pinned: [], excluded: [] });
    expect((await put(999_999, editor, { pinned: [], excluded: [] })).statusCode).toBe(404);
  });

  it('answers 404 for drafts and unknown articles to the public, and shows an editor a draft’s pins', async () => {
    const draft = await add('draft', { ...birds.arrival, title: '砚湖湿地候鸟数量创新高（草稿）' });
    expect((await t.app.inject({ url: `/api/v1/articles/${draft}/related` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/articles/999999/related' })).statusCode).toBe(404);
    expect((await put(draft, editor, { pinned: [id.arrival], excluded: [] })).statusCode).toBe(200);
    const body = await related(draft, editor);
    expect(body.items.map((i) => i.id)).toEqual([id.arrival]);
    expect(body.pinned).toEqual([id.arrival]);
  });

  it('analyses an archive from before related reading once, and an interrupted run resumes where it stopped', async () => {
    const before = await relatedIds(id.arrival!);
    const db = t.db.database.db;
    for (const table of ['related_items', 'related_terms', 'related_buckets', 'related_fingerprints']) await sql`delete from ${sql.table(table)}`.execute(db);
    expect(await relatedIds(id.arrival!)).toEqual([]);
    const articles = Number((await sql<{ n: number }>`select count(*) as n from articles`.execute(db)).rows[0]!.n);
    // Stopped after three articles (a shutdown mid-way): those three stay analysed.
    const controller = new AbortController();
    const first = await analyseBacklog(t.ctx, { signal: controller.signal, progress: (n) => n === 3 && controller.abort() });
    expect(first).toBe(3);
    expect(await t.ctx.store.related.unanalysed()).toBe(articles - 3);
    expect(await analyseBacklog(t.ctx)).toBe(articles - 3);
    expect(await relatedIds(id.arrival!)).toEqual(before);
    expect(await analyseBacklog(t.ctx)).toBe(0);
  });

  it('leaves articles with related work in the outbox to the outbox (one analysis each, not two)', async () => {
    const db = t.db.database.db;
    await t.settled();
    for (const table of ['related_items', 'related_terms', 'related_buckets', 'related_fingerprints']) await sql`delete from ${sql.table(table)}`.execute(db);
    const articles = Number((await sql<{ n: number }>`select count(*) as n from articles`.execute(db)).rows[0]!.n);
    // Work a previous process queued and did not get to: held back an hour here (as a retry whose back-off runs that
    // long: new work due that far ahead would count as written by a clock ahead of ours, due at once, and the runner's
    // poll could take it meanwhile), so that only the backlog runs now.
    const later = t.clock.now() + HOUR;
    for (const [topic, subject] of [
      ['article.related', id.arrival!],
      ['article.index', id.tracking!],
    ] as const)
      await sql`insert into outbox (topic, subject_id, created_at, available_at, attempts) values (${topic}, ${subject}, ${t.clock.now()}, ${later}, 1)`.execute(
        db,
      );
    expect(await analyseBacklog(t.ctx)).toBe(articles - 2);
    expect(await t.ctx.store.related.unanalysed()).toBe(2);
    // Their turn in the outbox comes: they are analysed there, and their lists made.
    await sql`update outbox set available_at = 0`.execute(db);
    await t.settled();
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
    expect(await relatedIds(id.arrival!)).toContain(id.tracking);
  });

  it('fills the list from the computed items when one of eight pinned articles is taken down', async () => {
    await t.settled();
    const extra: number[] = [];
    for (const story of [batteries.plant, unrelated.marathon, unrelated.prints]) {
      t.clock.advance(HOUR);
      const a = await createArticle(t.app, editor, { ...story, title: `${story.title}（续）`, summary: '' });
      await publish(t.app, editor, a.id);
      extra.push(a.id);
    }
    const pinned = [id.tracking, id.exhibition, id.plant, id.elevators, id.marathon, id.lab, id.prints, extra[0]] as number[];
    expect((await put(id.arrival!, editor, { pinned, excluded: [] })).statusCode).toBe(200);
    const down = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id.elevators}/unpublish`, headers: { authorization: editor } });
    expect(down.statusCode).toBe(200);
    await t.settled();
    // The computed list after the pins: a pinned article in it is shown once, as a pin.
    await t.ctx.store.related.replaceItems(id.arrival!, [
      { id: id.tracking!, score: 9 },
      { id: extra[2]!, score: 8 },
      { id: extra[1]!, score: 7 },
    ]);
    const shown = [...pinned.filter((x) => x !== id.elevators), extra[2]];
    expect(await relatedIds(id.arrival!)).toEqual(shown);
    const section = /<section class="related".*?<\/section>/s.exec((await t.app.inject({ url: `/a/${id.arrival}` })).body)![0];
    expect(section.match(/<li>/g)).toHaveLength(8);
    expect(section).not.toContain(`/a/${id.elevators}"`);
    expect(section).toContain(`/a/${extra[2]}"`);
    expect(section).not.toContain(`/a/${extra[1]}"`);
    expect((await put(id.arrival!, editor, { pinned: [], excluded: [] })).statusCode).toBe(200);
    await publish(t.app, editor, id.elevators!);
  });
});
