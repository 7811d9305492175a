import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildDraftIndex } from '../../src/domain/search/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * 稿件库 (GET /api/v1/articles): every article the caller may read, filtered, sorted and paged by keyset cursor; keywords
 * find drafts too (the draft index, kept in the same transactions as the public one).
 */
describe.each(STORES)('the archive on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string; username: string; id: number };
  let reporter: { auth: string; username: string; id: number };
  let other: { auth: string; username: string; id: number };
  const ids: Record<string, number> = {};

  const list = async (auth: string, query: string) => {
    await t.settled();
    const res = await t.app.inject({ url: `/api/v1/articles?${query}`, headers: { authorization: auth } });
    expect(res.statusCode, res.body).toBe(200);
    return json<{
      items: { id: number; title: string; titleHtml: string; status: string; hasImage: boolean }[];
      next: string | null;
      total?: number;
      capped?: boolean;
    }>(res);
  };
  const idsOf = async (auth: string, query: string) => (await list(auth, query)).items.map((a) => a.id);
  const step = async (auth: string, id: number, name: string, payload?: object) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/${name}`, headers: { authorization: auth }, payload });
    expect(res.statusCode, res.body).toBe(200);
  };
  const edit = async (auth: string, id: number | undefined, payload: object) => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: auth }, payload });
    expect(res.statusCode, res.body).toBe(200);
  };
  const tick = () => t.clock.advance(60_000);

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = await t.user('editor');
    reporter = await t.user('reporter');
    other = await t.user('reporter');
    await createChannels(t.app, admin.auth);
    t.clock.set(Date.UTC(2026, 10, 1, 2, 0, 0)); // 2026-11-01 10:00 in Shanghai
    // A reporter's draft with a word of its own in the body, another reporter's draft, published and submitted ones.
    ids.draft = (
      await createArticle(t.app, reporter.auth, { title: '墨川湖候鸟调查', channel: 'difang/yaowen', body: '<p>湖畔的砚岚芯观测站记录到白鹤。</p>' })
    ).id;
    tick();
    ids.otherDraft = (await createArticle(t.app, other.auth, { title: '另一位记者的草稿', channel: 'keji', body: '<p>青瓷窑址出土残片。</p>' })).id;
    tick();
    ids.published = (await createArticle(t.app, other.auth, { title: '江城地铁开通', channel: 'difang', cover: 'https://img.example.test/a.jpg' })).id;
    await publish(t.app, editor.auth, ids.published);
    tick();
    ids.submitted = (
      await createArticle(t.app, reporter.auth, { title: '城南菜市场改造', channel: 'keji', body: '<p>改造后<img src="https://img.example.test/b.jpg"></p>' })
    ).id;
    await step(reporter.auth, ids.submitted, 'submit');
    tick();
    ids.editorDraft = (await createArticle(t.app, editor.auth, { title: '编辑的草稿', channel: 'difang/yaowen' })).id;
    tick();
  });
  afterAll(() => t.close());

  it('shows editors every article and reporters their own of any status plus the published ones', async () => {
    const all = await idsOf(editor.auth, 'limit=100');
    expect(all).toEqual(expect.arrayContaining(Object.values(ids)));
    const mine = await idsOf(reporter.auth, 'limit=100');
    expect(mine.sort()).toEqual([ids.draft, ids.published, ids.submitted].sort());
    expect(await idsOf(reporter.auth, 'mine=true&limit=100')).toEqual([ids.submitted, ids.draft]);
    // Naming someone else's drafts does not show them either.
    expect(await idsOf(reporter.auth, `author=${other.username}`)).toEqual([ids.published]);
    expect(await idsOf(reporter.auth, `status=draft&author=${other.username}`)).toEqual([]);
  });

  it('filters by status (one or several), channel with its subchannels, author, image and dates on the sort time', async () => {
    expect(await idsOf(editor.auth, 'status=submitted')).toEqual([ids.submitted]);
    expect((await idsOf(editor.auth, 'status=draft&status=submitted')).sort()).toEqual([ids.draft, ids.otherDraft, ids.submitted, ids.editorDraft].sort());
    expect(await idsOf(editor.auth, 'status=published,submitted')).toEqual([ids.submitted, ids.published]);
    expect(await idsOf(editor.auth, 'channel=difang')).toEqual([ids.editorDraft, ids.published, ids.draft]);
    expect(await idsOf(editor.auth, 'channel=difang/yaowen')).toEqual([ids.editorDraft, ids.draft]);
    expect(await idsOf(editor.auth, `author=${reporter.username}`)).toEqual([ids.submitted, ids.draft]);
    expect(await idsOf(editor.auth, 'hasImage=true')).toEqual([ids.submitted, ids.published]);
    expect(await idsOf(editor.auth, 'hasImage=false')).toEqual([ids.editorDraft, ids.otherDraft, ids.draft]);
    const listed = await list(editor.auth, 'hasImage=true');
    expect(listed.items.every((a) => a.hasImage)).toBe(true);
    // Dates: days in Asia/Shanghai or exact times, on the sort's time.
    expect((await idsOf(editor.auth, 'from=2026-11-01&to=2026-11-01')).length).toBe(5);
    expect(await idsOf(editor.auth, 'from=2026-11-02')).toEqual([]);
    expect(await idsOf(editor.auth, 'to=2026-10-31')).toEqual([]);
    const at = new Date(Date.UTC(2026, 10, 1, 2, 1, 0)).toISOString();
    expect(await idsOf(editor.auth, `sort=created&to=${at}`)).toEqual([ids.otherDraft, ids.draft]);
    expect(await idsOf(editor.auth, `sort=published&from=2026-11-01`)).toEqual([ids.published]);
  });

  it('sorts by updated (default), created and published time, the never-published last', async () => {
    await edit(editor.auth, ids.draft, { subtitle: '副题' });
    tick();
    expect((await idsOf(editor.auth, 'limit=100'))[0]).toBe(ids.draft);
    expect(await idsOf(editor.auth, 'sort=created&limit=100')).toEqual([ids.editorDraft, ids.submitted, ids.published, ids.otherDraft, ids.draft]);
    const byPublished = await idsOf(editor.auth, 'sort=published&limit=100');
    expect(byPublished[0]).toBe(ids.published);
    expect(byPublished.slice(1)).toEqual([ids.editorDraft, ids.submitted, ids.otherDraft, ids.draft]);
    // Paging across the boundary between published and never-published articles, one at a time.
    const seen: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(editor.auth, `sort=published&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.next;
    }
    expect(seen).toEqual(byPublished);
  });

  it('pages by cursor without duplicates or gaps while articles are edited between pages', async () => {
    const made: number[] = [];
    for (let i = 0; i < 12; i++) {
      made.push((await createArticle(t.app, editor.auth, { title: `翻页测试第${i}篇`, channel: 'keji' })).id);
      tick();
    }
    const before = await idsOf(editor.auth, 'channel=keji&sort=created&limit=100');
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(editor.auth, `channel=keji&sort=created&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.next;
      // Someone edits an article already seen and one not yet seen: the creation order stays, so nothing moves.
      await edit(editor.auth, made[pages]!, { subtitle: `改动${pages}` });
      await edit(editor.auth, made[11 - pages]!, { subtitle: `改动${pages}` });
      tick();
      pages++;
    } while (cursor);
    expect(seen).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);

    // By updated time an edited article moves to the front: pages already seen do not show it twice, and nothing
    // that stayed put is skipped.
    const first = await list(editor.auth, 'channel=keji&limit=5');
    const firstIds = first.items.map((a) => a.id);
    const untouched = (await idsOf(editor.auth, 'channel=keji&limit=100')).slice(5);
    await edit(editor.auth, firstIds[4]!, { subtitle: '又改了' });
    await edit(editor.auth, untouched[untouched.length - 1]!, { subtitle: '翻到前面' });
    tick();
    const rest: number[] = [];
    cursor = first.next;
    while (cursor) {
      const page = await list(editor.auth, `channel=keji&limit=5&cursor=${cursor}`);
      rest.push(...page.items.map((a) => a.id));
      cursor = page.next;
    }
    expect(rest.filter((id) => firstIds.includes(id))).toEqual([]);
    expect(rest).toEqual(untouched.slice(0, -1));
  });

  it("finds a draft by a word of its body, for those who may read it, and marks the title's matches", async () => {
    const found = await list(editor.auth, 'q=砚岚芯');
    expect(found.items.map((a) => a.id)).toEqual([ids.draft]);
    expect(found.total).toBe(1);
    expect(found.capped).toBe(false);
    expect(await idsOf(reporter.auth, 'q=砚岚芯')).toEqual([ids.draft]);
    // Another reporter's draft is not theirs to find.
    expect(await idsOf(reporter.auth, 'q=青瓷')).toEqual([]);
    expect(await idsOf(editor.auth, 'q=青瓷')).toEqual([ids.otherDraft]);
    const titled = await list(editor.auth, 'q=候鸟');
    expect(titled.items[0]!.titleHtml).toBe('墨川湖<mark>候鸟</mark>调查');
    // Keywords with filters and with relevance.
    expect(await idsOf(editor.auth, 'q=候鸟&status=published')).toEqual([]);
    expect(await idsOf(editor.auth, 'q=候鸟&status=draft&channel=difang')).toEqual([ids.draft]);
    expect(await idsOf(editor.auth, 'q=地铁&sort=relevance')).toContain(ids.published);
    // Titles are escaped whatever they hold.
    const hostile = (await createArticle(t.app, editor.auth, { title: '<script>alert(1)</script>白鹭' })).id;
    const marked = await list(editor.auth, 'q=白鹭');
    expect(marked.items.find((a) => a.id === hostile)!.titleHtml).toBe('&lt;script&gt;alert(1)&lt;/script&gt;<mark>白鹭</mark>');
  });

  it('keeps the indexes right as an article moves between statuses', async () => {
    const id = (await createArticle(t.app, reporter.auth, { title: '状态测试', body: '<p>鹳雀楼修缮工程开工。</p>' })).id;
    const find = async () => (await list(editor.auth, 'q=鹳雀楼')).items.map((a) => `${a.id}:${a.status}`);
    const publicSearch = async () => {
      await t.settled();
      return json<{ items: { id: number }[] }>(await t.app.inject({ url: '/api/v1/search?q=鹳雀楼' })).items.map((a) => a.id);
    };
    expect(await find()).toEqual([`${id}:draft`]);
    await step(reporter.auth, id, 'submit');
    expect(await find()).toEqual([`${id}:submitted`]);
    await step(editor.auth, id, 'return', { comment: '请补充' });
    expect(await find()).toEqual([`${id}:draft`]);
    await step(editor.auth, id, 'publish');
    expect(await find()).toEqual([`${id}:published`]);
    expect(await publicSearch()).toEqual([id]);
    await step(editor.auth, id, 'unpublish');
    expect(await find()).toEqual([`${id}:unpublished`]);
    expect(await publicSearch()).toEqual([]);
    await step(editor.auth, id, 'schedule', { at: new Date(t.clock.now() + 3_600_000).toISOString() });
    expect(await find()).toEqual([`${id}:scheduled`]);
    // An edit's new words replace the old in whichever index holds it.
    await edit(editor.auth, id, { body: '<p>黄鹤楼修缮工程开工。</p>' });
    expect(await find()).toEqual([]);
    expect((await list(editor.auth, 'q=黄鹤楼')).items.map((a) => a.id)).toEqual([id]);
    // Never in both indexes at once.
    const { rows } = await sql<{ n: number }>`select count(*) as n from search_docs where article_id = ${id}`.execute(t.db.database.db);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('indexes a long body (prepared in the body worker) through every workflow step', async () => {
    const filler = '<p>城市更新工作稳步推进，各项指标持续向好。</p>'.repeat(2000);
    const id = (await createArticle(t.app, reporter.auth, { title: '长稿', body: `${filler}<p>结尾提到琥珀湾码头。</p>` })).id;
    const find = async () => (await list(editor.auth, 'q=琥珀湾')).items.map((a) => `${a.id}:${a.status}`);
    expect(await find()).toEqual([`${id}:draft`]);
    await step(reporter.auth, id, 'submit');
    expect(await find()).toEqual([`${id}:submitted`]);
    await step(editor.auth, id, 'publish');
    await step(editor.auth, id, 'unpublish');
    expect(await find()).toEqual([`${id}:unpublished`]);
  });

  it('rebuilds the draft index (inkstone reindex)', async () => {
    const table = kind === 'sqlite' ? 'draft_docs' : 'draft_search_docs';
    await sql`delete from ${sql.table(table)}`.execute(t.db.database.db);
    expect(await idsOf(editor.auth, 'q=砚岚芯')).toEqual([]);
    const report = await rebuildDraftIndex(t.ctx);
    expect(report.indexed).toBeGreaterThan(5);
    expect(await idsOf(editor.auth, 'q=砚岚芯')).toEqual([ids.draft]);
    // A published article in the draft index (a restored backup) leaves it with the next rebuild.
    await sql`update articles set status = 'published' where id = ${ids.draft}`.execute(t.db.database.db);
    expect((await rebuildDraftIndex(t.ctx)).removed).toBe(1);
    await sql`update articles set status = 'draft' where id = ${ids.draft}`.execute(t.db.database.db);
    await rebuildDraftIndex(t.ctx);
  });

  it('refuses bad parameters with a 400 in JSON and a reporter nothing more than a filter', async () => {
    const bad = async (query: string, code: string) => {
      await t.settled();
      const res = await t.app.inject({ url: `/api/v1/articles?${query}`, headers: { authorization: editor.auth } });
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
      expect(json(res).error.code, query).toBe(code);
    };
    await bad('status=deleted', 'invalid_status');
    await bad('status=draft,nope', 'invalid_status');
    await bad('sort=title', 'invalid_input');
    await bad('sort=relevance', 'invalid_sort');
    await bad('channel=nowhere', 'unknown_channel');
    await bad('author=nobody-here', 'unknown_author');
    await bad('from=2026-02-30', 'invalid_date');
    await bad('from=yesterday', 'invalid_date');
    await bad('from=2026-11-02&to=2026-11-01', 'invalid_range');
    await bad('cursor=not-a-cursor', 'invalid_cursor');
    await bad(`cursor=${encodeURIComponent('%%%')}`, 'invalid_cursor');
    await bad('offset=30', 'unknown_field');
    await bad('limit=1000', 'invalid_input');
    await bad('hasImage=maybe', 'invalid_input');
    await bad(`q=${encodeURIComponent('长'.repeat(150))}`, 'too_long');
    // A cursor of one sort is not one of another.
    const page = await list(editor.auth, 'sort=created&limit=1');
    await bad(`sort=updated&cursor=${page.next}`, 'invalid_cursor');
    // Percent-encoded keywords and channel paths are read as text.
    expect(await idsOf(editor.auth, `q=${encodeURIComponent('砚岚芯')}&channel=${encodeURIComponent('difang/yaowen')}`)).toEqual([ids.draft]);
    // Query syntax in keywords is data.
    expect(await idsOf(editor.auth, `q=${encodeURIComponent('"砚岚芯" OR * NEAR(')}`)).toEqual([]);
    const anon = await t.app.inject({ url: '/api/v1/articles' });
    expect(anon.statusCode).toBe(401);
  });
});
