import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDueArticles } from '../../src/domain/articles/service.ts';
import { searchDocument } from '../../src/domain/search/document.ts';
import { documentMaker, fillSearchIndexes, rebuildSearchIndex, searchBacklog } from '../../src/domain/search/service.ts';
import type { SqliteSearchIndex } from '../../src/storage/search/sqlite.ts';
import { processEnv, runCli } from '../support/server.ts';
import { STORES, type StoreKind } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { startWriteProbe } from '../support/write-probe.ts';
import { articles, DAY, gradeQuality, loadQualitySite, NOW, queries } from '../support/search-quality.ts';

interface Item {
  id: number;
  title: string;
  url: string;
  snippet: string;
  publishedAt: string;
}

/** Top results per store and query, compared once both stores have run. */
const topByStore = new Map<StoreKind, Map<string, string[]>>();

describe.each(STORES)('search on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  const keyOf = new Map<number, string>();
  const idOf = new Map<string, number>();

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { authorization: editor }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const search = async (params: Record<string, string>) => {
    await t.settled();
    const res = await t.app.inject({ url: `/api/v1/search?${new URLSearchParams(params).toString()}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: Item[]; total: number; nextCursor: string | null; partialFrom: number | null; suggestion: string | null }>(res);
  };
  const keys = (items: Item[]) => items.map((i) => keyOf.get(i.id) ?? `#${i.id}`);

  beforeAll(async () => {
    t = await startTestApp(kind);
    editor = (await t.user('editor')).auth;
    for (const [id, key] of await loadQualitySite(t)) {
      keyOf.set(id, key);
      idOf.set(key, id);
    }
  });
  afterAll(() => t.close());

  it(`ranks the test set well: MRR ≥ 0.9 and recall@5 = 1 over ${queries.length} queries`, async () => {
    await t.settled();
    const { mrr, recall, ranked, problems, tops } = await gradeQuality(t, keyOf);
    topByStore.set(kind, tops);
    console.log(
      `search quality on ${kind}: MRR ${mrr.toFixed(3)}, recall@5 ${recall.toFixed(3)} over ${ranked} queries with relevant articles, ${queries.length - ranked} that must find nothing (or only a typo's partial matches)`,
    );
    expect(problems).toEqual([]);
    expect(mrr).toBeGreaterThanOrEqual(0.9);
  });

  it('answers with the public contract: escaped snippets with <mark>, absolute URLs, ISO times', async () => {
    const { items, total, nextCursor } = await search({ q: '砚岚芯' });
    expect(total).toBe(1);
    expect(nextCursor).toBeNull();
    const [item] = items;
    expect(Object.keys(item!).sort()).toEqual(['id', 'publishedAt', 'snippet', 'title', 'url']);
    expect(item!.url).toBe(`http://news.example.test/a/${idOf.get('yanlanxin-chip')}`);
    expect(item!.snippet).toContain('<mark>砚岚芯</mark>');
    expect(new Date(item!.publishedAt).getTime()).toBe(NOW - 5 * DAY);
  });

  it('keeps markup in article text out of snippets', async () => {
    t.clock.set(NOW);
    const res = await api('POST', '/api/v1/articles', {
      title: '标题里的<b>尖括号</b>与暗语青溟砂',
      channel: 'keji',
      body: '<p>正文写着 &lt;img src=x onerror=alert(1)&gt; 和 &quot;引号&quot; 以及暗语青溟砂。</p>',
    });
    const { id } = json<{ id: number }>(res);
    await api('POST', `/api/v1/articles/${id}/publish`);
    const [item] = (await search({ q: '青溟砂' })).items;
    expect(item!.snippet).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(item!.snippet).toContain('<mark>青溟砂</mark>');
    expect(item!.snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    const page = await t.app.inject({ url: `/search?q=${encodeURIComponent('青溟砂')}` });
    expect(page.body).toContain('标题里的&lt;b&gt;尖括号&lt;/b&gt;与暗语<mark>青溟砂</mark>');
    expect(page.body).not.toContain('<img src=x');
    await api('POST', `/api/v1/articles/${id}/unpublish`);
  });

  it('finds a number with a decimal point as written, not its digits anywhere', async () => {
    t.clock.set(NOW);
    const ids: Record<string, number> = {};
    for (const [key, body] of [
      ['exact', '<p>琥珀港上月货物吞吐量同比增长7.3%，增速居全省首位。</p>'],
      ['reversed', '<p>琥珀港新建码头岸线长3.7公里，可停靠大型货轮。</p>'],
      ['apart', '<p>琥珀港今年新开7条航线，另有3条正在洽谈。</p>'],
    ] as const) {
      const { id } = json<{ id: number }>(await api('POST', '/api/v1/articles', { title: `琥珀港动态${key}`, channel: 'keji', body }));
      await api('POST', `/api/v1/articles/${id}/publish`);
      ids[key] = id;
    }
    const found = await search({ q: '琥珀港 7.3%' });
    // Only the story with 7.3 holds every word; the others follow as holding some of them (琥珀港).
    expect(found.partialFrom).toBe(1);
    expect(found.items[0]!.id).toBe(ids.exact);
    expect(found.items[0]!.snippet).toContain('<mark>7.3</mark>%');
    expect((await search({ q: '3.7公里' })).items.map((i) => i.id)[0]).toBe(ids.reversed);
    for (const id of Object.values(ids)) await api('POST', `/api/v1/articles/${id}/unpublish`);
  });

  it('keeps the index in step with publish, edit, unpublish and scheduled publishing', async () => {
    t.clock.set(NOW);
    const created = json<{ id: number }>(
      await api('POST', '/api/v1/articles', { title: '澄潭镇开通公交', channel: 'difang', body: '<p>澄潭镇今天开通第一条公交线路。</p>' }),
    );
    const found = async (q: string) => keys((await search({ q })).items).includes(`#${created.id}`);
    expect(await found('澄潭镇')).toBe(false);
    await api('POST', `/api/v1/articles/${created.id}/publish`);
    expect(await found('澄潭镇')).toBe(true);
    expect((await api('PATCH', `/api/v1/articles/${created.id}`, { title: '栖霞坞开通公交', body: '<p>栖霞坞今天开通第一条公交线路。</p>' })).statusCode).toBe(
      200,
    );
    expect(await found('栖霞坞')).toBe(true);
    expect(await found('澄潭镇')).toBe(false);
    // The body alone, twice: each text indexed as it is (fields made for the last text are not reused for another).
    for (const [body, there] of [
      ['<p>栖霞坞今天开通第一条公交线路，途经翠微巷。</p>', true],
      ['<p>栖霞坞今天开通第一条公交线路。</p>', false],
    ] as const) {
      expect((await api('PATCH', `/api/v1/articles/${created.id}`, { body })).statusCode).toBe(200);
      expect(await found('翠微巷')).toBe(there);
    }
    await api('POST', `/api/v1/articles/${created.id}/unpublish`);
    expect(await found('栖霞坞')).toBe(false);
    // Scheduled: invisible until the scheduler publishes it.
    const at = NOW + 3_600_000;
    await api('POST', `/api/v1/articles/${created.id}/schedule`, { at: new Date(at).toISOString() });
    expect(await found('栖霞坞')).toBe(false);
    t.clock.set(at + 1);
    expect(await publishDueArticles(t.ctx)).toEqual([created.id]);
    expect(await found('栖霞坞')).toBe(true);
    await api('POST', `/api/v1/articles/${created.id}/unpublish`);
    t.clock.set(NOW);
  });

  it('filters by channel (with its subchannels) and by dates in the site time zone', async () => {
    const all = await search({ q: '地铁' });
    expect(all.total).toBe(2);
    expect(keys((await search({ q: '地铁', channel: 'difang' })).items).sort()).toEqual(['metro-line-9', 'rainstorm-metro']);
    expect((await search({ q: '地铁', channel: 'keji' })).total).toBe(0);
    // metro-line-9 was published 3 days ago, rainstorm-metro 10 days ago (12:00 in Shanghai).
    const day = (daysAgo: number) => new Date(NOW - daysAgo * DAY + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(keys((await search({ q: '地铁', from: day(5) })).items)).toEqual(['metro-line-9']);
    expect(keys((await search({ q: '地铁', to: day(5) })).items)).toEqual(['rainstorm-metro']);
    expect(keys((await search({ q: '地铁', from: day(3), to: day(3) })).items)).toEqual(['metro-line-9']);
    expect(keys((await search({ q: '地铁', from: day(10), to: day(3) })).items).sort()).toEqual(['metro-line-9', 'rainstorm-metro']);
    expect((await search({ q: '地铁', from: new Date(NOW - 3 * DAY + 1).toISOString() })).total).toBe(0);
  });

  it('pages through results with cursors, without duplicates or gaps', async () => {
    const first = await search({ q: '的', limit: '4' });
    expect(first.total).toBeGreaterThan(8);
    const seen: number[] = first.items.map((i) => i.id);
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await search({ q: '的', limit: '4', cursor });
      seen.push(...next.items.map((i) => i.id));
      cursor = next.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(first.total);
    const everything = await search({ q: '的', limit: '50' });
    expect(seen).toEqual(everything.items.map((i) => i.id));
  });

  it('answers any query string with 200 or 400, never an error of ours', async () => {
    const nasty = [
      'NEAR(',
      'NEAR(地铁 暴雨, 2)',
      '"',
      '"地铁',
      '*',
      '地铁*',
      '-',
      '-地铁',
      'OR',
      '地铁 OR 暴雨',
      'AND NOT',
      '^',
      '{t k}: 地铁',
      'title:地铁',
      "'; drop table articles; --",
      "' or 1=1 --",
      '\\',
      '%',
      '_',
      '地铁 & | ! <-> :*',
      "to_tsquery('x')",
      '\u0000',
      '\ud800',
      '\udfff地铁\ud800',
      '地'.repeat(100),
      '地'.repeat(101),
      'x'.repeat(10_000),
      '砚'.repeat(10_000),
      '　',
      '🀄️🚇',
      'ＮＥＡＲ（',
    ];
    for (const q of nasty) {
      const res = await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q.replace(/[\ud800-\udfff]/g, '\ufffd'))}` });
      expect([200, 400], `${JSON.stringify(q.slice(0, 20))}: ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
      const page = await t.app.inject({ url: `/search?q=${encodeURIComponent(q.replace(/[\ud800-\udfff]/g, '\ufffd'))}` });
      expect([200, 400]).toContain(page.statusCode);
    }
    // Raw bytes that are not UTF-8 (a lone surrogate encoded, a cut sequence) and arrays of values.
    for (const raw of [
      'q=%ED%A0%80',
      'q=%E5%9C',
      'q=%',
      'q=a&q=b',
      'q=地铁&limit=abc',
      'q=地铁&cursor=%00',
      'q=地铁&cursor=bm90LWEtY3Vyc29y',
      'q=地铁&from=2026-02-30',
      'q=地铁&from=tomorrow',
      'q=地铁&from=2026-11-02&to=2026-11-01',
      'q=地铁&channel=nope',
      'q=地铁&limit=-5',
      'q=地铁&extra=1',
    ]) {
      const res = await t.app.inject({ url: `/api/v1/search?${raw}` });
      expect([200, 400], `${raw}: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
      const page = await t.app.inject({ url: `/search?${raw}` });
      expect([200, 400], `page ${raw}: ${page.statusCode}`).toContain(page.statusCode);
    }
    const tooLong = await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent('地'.repeat(101))}` });
    expect(json(tooLong).error).toMatchObject({ code: 'too_long', field: 'q' });
    expect(json(await t.app.inject({ url: '/api/v1/search?q=地铁&channel=nope' })).error).toMatchObject({ code: 'unknown_channel', field: 'channel' });
    expect(json(await t.app.inject({ url: '/api/v1/search?q=地铁&extra=1' })).error).toMatchObject({ code: 'unknown_field', field: 'extra' });
    expect((await t.app.inject({ url: '/api/v1/search' })).statusCode).toBe(400);
    // The store still answers normally afterwards.
    expect((await search({ q: '地铁' })).total).toBe(2);
  });

  it('serves the search page: form that works without scripts, highlighted results, paging, errors', async () => {
    const res = await t.app.inject({ url: `/search?q=${encodeURIComponent('博物馆')}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    const html = res.body;
    expect(html).toContain('<form class="search-form" role="search" action="/search" method="get">');
    expect(html).toContain('<label for="search-q" class="visually-hidden">');
    expect(html).toMatch(/<select name="channel">[\s\S]*<option value="difang\/yaowen">　要闻<\/option>/);
    expect(html).toContain('name="from"');
    expect(html).toContain('找到 2 篇与“博物馆”相关的稿件');
    expect(html).toContain(`href="/a/${idOf.get('museum-nights')}"`);
    expect(html).toMatch(/<mark>博物馆<\/mark>/);
    expect(html).toContain('<meta name="robots" content="noindex, follow"/>');
    // Each query is its own URL: none may take a slot of the page cache the shared pages live in.
    const again = await t.app.inject({ url: `/search?q=${encodeURIComponent('博物馆')}` });
    expect([res.headers['x-cache'], again.headers['x-cache']]).toEqual([undefined, undefined]);
    // The header box on every page.
    const home = await t.app.inject({ url: '/' });
    expect(home.body).toContain('<form class="site-search" role="search" action="/search" method="get">');
    expect(home.body).toContain('<label for="site-search-q" class="visually-hidden">');

    const paged = await t.app.inject({ url: '/search?q=的' });
    expect(paged.body).toContain('rel="next"');
    const next = /href="(\/search\?q=[^"]*cursor=[^"]+)"/.exec(paged.body)![1]!.replaceAll('&amp;', '&');
    const second = await t.app.inject({ url: next });
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('第 2 页');
    expect(second.body).toContain('rel="prev"');

    const nothingToSearch = await t.app.inject({ url: `/search?q=${encodeURIComponent('，。！')}` });
    expect(nothingToSearch.body).toContain('关键词里没有可以搜索的字词');
    const none = await t.app.inject({ url: `/search?q=${encodeURIComponent('量子引力')}` });
    expect(none.body).toContain('没有找到与“量子引力”相关的稿件');

    const bad = await t.app.inject({ url: '/search?q=地铁&from=2026-13-01' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('日期格式不对');

    const xss = await t.app.inject({ url: `/search?q=${encodeURIComponent('<script>alert(1)</script>')}` });
    expect(xss.body).not.toContain('<script>alert(1)</script>');
    expect(xss.body).toContain('&lt;script>alert(1)&lt;/script>');

    const empty = await t.app.inject({ url: '/search' });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).not.toContain('search-summary');
  });

  it('rebuilds the index from the published articles (inkstone reindex, and the first start of an older archive)', async () => {
    await t.settled();
    await sql`delete from search_docs`.execute(t.db.database.db);
    expect((await search({ q: '墨川湖' })).total).toBe(0);
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: articles.length });
    // A first start fills what is missing in the background, and a fill stopped half-way goes on where it stopped.
    const stop = new AbortController();
    expect(await fillSearchIndexes(t.ctx, { signal: stop.signal, progress: () => stop.abort() })).toBe(Math.min(200, articles.length));
    expect(await fillSearchIndexes(t.ctx)).toBe(Math.max(0, articles.length - 200));
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: 0 });
    expect(await fillSearchIndexes(t.ctx)).toBe(0);
    // Only what is missing is indexed again.
    await sql`delete from search_docs where article_id in (${idOf.get('mochuan-lake-birds')!}, ${[...idOf.values()][0]!})`.execute(t.db.database.db);
    expect(await searchBacklog(t.ctx)).toMatchObject({ published: 2 });
    expect(await fillSearchIndexes(t.ctx)).toBe(2);
    expect(keys((await search({ q: '墨川湖' })).items)).toEqual(['mochuan-lake-birds']);
    await sql`delete from search_docs`.execute(t.db.database.db);
    const report = await rebuildSearchIndex(t.ctx);
    expect(report.indexed).toBe(articles.length);
    expect(keys((await search({ q: '墨川湖' })).items)).toEqual(['mochuan-lake-birds']);
    expect((await t.ctx.store.search.stats()).documents).toBe(articles.length);
    // An article unpublished behind the index's back (a restored backup, a manual fix) leaves with the next rebuild.
    const birds = idOf.get('mochuan-lake-birds')!;
    await sql`update articles set status = 'unpublished' where id = ${birds}`.execute(t.db.database.db);
    expect(await rebuildSearchIndex(t.ctx)).toEqual({ indexed: articles.length - 1, removed: 1 });
    expect((await search({ q: '墨川湖' })).total).toBe(0);
    await sql`update articles set status = 'published' where id = ${birds}`.execute(t.db.database.db);
    expect(await rebuildSearchIndex(t.ctx)).toEqual({ indexed: articles.length, removed: 0 });

    if (kind === 'sqlite') {
      // A rebuild's own FTS5 settings (64 segments merged at a time, a transaction's postings kept in memory to its
      // commit, no segment rewritten for its deleted rows) give way to FTS5's defaults after it (read from its config
      // table), even after one that failed; it ends with everything in one segment.
      const db = t.db.database.db;
      const setting = async (k: string) => (await sql<{ v: number }>`select v from search_fts_config where k = ${k}`.execute(db)).rows[0]?.v;
      const automerge = async () => [await setting('automerge'), await setting('crisismerge'), await setting('hashsize'), await setting('deletemerge')];
      const segments = async () => Number((await sql<{ n: number }>`select count(distinct segid) as n from search_fts_idx`.execute(db)).rows[0]!.n);
      expect(await automerge()).toEqual([4, 16, 1024 * 1024, 10]);
      expect(await segments()).toBe(1);
      const dataBytes = async () => Number((await sql<{ n: number }>`select sum(length(block)) as n from search_fts_data`.execute(db)).rows[0]!.n);
      const oneIndex = await dataBytes();
      const real = documentMaker();
      let made = 0;
      const failing = Object.assign((article: Parameters<typeof real>[0]) => {
        if (++made > 1) throw new Error('document failed');
        return real(article);
      }, real);
      await expect(t.ctx.store.search.rebuild(failing)).rejects.toThrow('document failed');
      expect(await automerge()).toEqual([4, 16, 1024 * 1024, 10]);
      expect(await rebuildSearchIndex(t.ctx)).toEqual({ indexed: articles.length, removed: 0 });
      // Every document was replaced: the closing merge dropped the old ones' rows (not merged away as they were
      // deleted, the rebuild's setting), so the index is the size of one copy of them.
      expect(await segments()).toBe(1);
      expect(await dataBytes()).toBeLessThan(oneIndex * 1.1);

      // The closing merge goes a step at a time, each step its own write transaction, and the rebuild leaves the write
      // lock free now and then for as long as SQLite's busy handler sleeps: another process (the server publishing
      // while `inkstone reindex` runs), waiting with a busy timeout as the server does, gets it within the rebuild's
      // holding time. One 'optimize' held it to the end (~55 s at a million articles), and steps taken again at once
      // left gaps too short for the busy handler to wake in: the server's publishes failed at their busy timeout.
      // A larger archive (copies of the published articles), so that the merge takes many steps.
      const { rows: last } = await sql<{ id: number }>`select max(id) as id from articles`.execute(db);
      const { rows: columns } = await sql<{ name: string }>`select name from pragma_table_info('articles') where name <> 'id'`.execute(db);
      const list = sql.raw(columns.map((c) => `"${c.name}"`).join(', '));
      for (let i = 0; i < 20; i++)
        await sql`insert into articles (${list}) select ${list} from articles where status = 'published' and id <= ${last[0]!.id}`.execute(db);
      const { rows: count } = await sql<{ n: number }>`select count(*) as n from articles where status = 'published'`.execute(db);
      const index = t.ctx.store.search as SqliteSearchIndex;
      const saved = { batch: index.rebuildBatch, pages: index.mergeStepPages, hold: index.lockHoldMs };
      index.rebuildBatch = 50;
      index.mergeStepPages = 1;
      index.lockHoldMs = 20;
      const probe = await startWriteProbe(path.join(t.db.dataDir, 'inkstone.db'));
      let merging = 0;
      let merged = 0;
      try {
        const done = await rebuildSearchIndex(t.ctx, (n) => {
          if (n === Number(count[0]!.n)) merging = Date.now();
        });
        merged = Date.now();
        expect(done).toEqual({ indexed: Number(count[0]!.n), removed: 0 });
      } finally {
        await sql`delete from articles where id > ${last[0]!.id}`.execute(db);
        index.rebuildBatch = saved.batch;
        index.mergeStepPages = saved.pages;
        index.lockHoldMs = saved.hold;
      }
      const waits = await probe.stop();
      // The probe wrote again and again while the steps ran (taken again at once, they kept it out to the end), and
      // never waited long.
      const during = waits.filter((w) => w.at >= merging && w.at <= merged);
      expect(during.length).toBeGreaterThan(5);
      expect(Math.max(...during.map((w) => w.ms))).toBeLessThan(1000);
      expect(await segments()).toBe(1);
      expect(keys((await search({ q: '墨川湖' })).items)).toEqual(['mochuan-lake-birds']);
    }
  });

  it('indexes an article as it is when its batch is written, whatever the worker prepared from an earlier read', async () => {
    await t.settled();
    const birds = idOf.get('mochuan-lake-birds')!;
    await sql`delete from search_docs`.execute(t.db.database.db);
    // The article's text changes after the worker prepared its batch and before the batch is written.
    const { rows: before } = await sql<{ title: string; body_text: string }>`select title, body_text from articles where id = ${birds}`.execute(
      t.db.database.db,
    );
    const maker = documentMaker();
    const ahead = maker.ahead!;
    let changed = false;
    maker.ahead = async (batch) => {
      await ahead(batch);
      if (!changed && batch.some((a) => a.id === birds)) {
        changed = true;
        await sql`update articles set title = ${'砾洲湾迎来候鸟'}, body_text = ${'砾洲湾的滩涂上聚集了上千只候鸟。'} where id = ${birds}`.execute(
          t.db.database.db,
        );
      }
    };
    expect(await t.ctx.store.search.fill(maker)).toBe(articles.length);
    expect(changed).toBe(true);
    expect(keys((await search({ q: '砾洲湾' })).items)).toEqual(['mochuan-lake-birds']);
    // Put back as it was, for the tests after this one.
    await sql`update articles set title = ${before[0]!.title}, body_text = ${before[0]!.body_text} where id = ${birds}`.execute(t.db.database.db);
    await sql`delete from search_docs`.execute(t.db.database.db);
    expect((await rebuildSearchIndex(t.ctx)).indexed).toBe(articles.length);
  });

  it('writes a batch whose articles share a publication minute and a key slot, each under its own key', async () => {
    await t.settled();
    const ids = [...idOf.values()].sort((x, y) => x - y);
    const a = ids[0]!;
    const b = ids.find((id) => id !== a && (id - a) % 16 === 0)!;
    expect(b).toBeDefined();
    const at = Date.UTC(2026, 0, 1, 8, 30, 5);
    const docs = await Promise.all([a, b].map(async (id) => searchDocument({ ...(await t.ctx.store.articles.findById(id))!, publishedAt: at })));
    await t.ctx.store.search.putMany(docs);
    for (const id of [a, b]) {
      const title = (await t.ctx.store.articles.findById(id))!.title;
      expect((await search({ q: title })).items.map((i) => i.id)).toContain(id);
    }
    expect((await t.ctx.store.search.stats()).documents).toBe(articles.length);
    expect((await rebuildSearchIndex(t.ctx)).indexed).toBe(articles.length);
  });

  it('runs `inkstone reindex` from the command line, and resumes a run that stopped half-way', async () => {
    // spawnSync stops this process: its own outbox must not hold a transaction the command would wait for.
    await t.outbox.stop();
    const r = runCli(processEnv(t.db), 'reindex');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Published: indexed ${articles.length} articles, removed 0 stale entries`));
    const checkpoint = path.join(t.db.dataDir, 'reindex.checkpoint.json');
    expect(existsSync(checkpoint)).toBe(false);
    // A run killed after the article with the 10th id: the next one goes on from there, and --restart begins again.
    // On PostgreSQL a run writes a new table (search-postgres-rebuild.test.ts) and goes on from the last article it
    // holds: with no stopped run's table (this checkpoint is written by hand) it begins again.
    const ids = [...idOf.values()].sort((a, b) => a - b);
    writeFileSync(checkpoint, JSON.stringify({ phase: 'published', afterId: ids[9] }));
    const resumed = runCli(processEnv(t.db), 'reindex');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Resuming the reindex stopped after article ${ids[9]}`);
    const rest = kind === 'sqlite' ? ids.filter((id) => id > ids[9]!).length : articles.length;
    expect(resumed.stdout).toMatch(new RegExp(`Published: indexed ${rest} articles`));
    expect(existsSync(checkpoint)).toBe(false);
    writeFileSync(checkpoint, JSON.stringify({ phase: 'unpublished', afterId: 0 }));
    const restarted = runCli(processEnv(t.db), 'reindex', '--restart');
    expect(restarted.stdout).toMatch(new RegExp(`Published: indexed ${articles.length} articles`));
    // A damaged checkpoint is no checkpoint.
    writeFileSync(checkpoint, '{"phase":"published","afterId":');
    expect(runCli(processEnv(t.db), 'reindex').stdout).toMatch(new RegExp(`Published: indexed ${articles.length} articles`));
    // Four processes started one after another: more than the default 30 s on a loaded machine.
  }, 120_000);
});

describe.skipIf(STORES.length < 2)('search on both stores', () => {
  it('gives the same top results for the same data', () => {
    const sqlite = topByStore.get('sqlite');
    const postgres = topByStore.get('postgres');
    expect(sqlite && postgres, 'both store runs recorded their results').toBeTruthy();
    for (const q of queries) expect(postgres!.get(q.q), q.q).toEqual(sqlite!.get(q.q));
  });
});
