import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynonymCache } from '../../src/domain/search/synonym-cache.ts';
import { warmSuggestions } from '../../src/domain/search/suggest.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Search as readers type (#13, round two): Hong Kong vocabulary, partial matches after the articles holding every
 * word, the newsroom's synonyms applied at query time (admins keep the list), and 您是不是要找 for a query whose
 * words no article holds together.
 */

interface Answer {
  items: { id: number; title: string }[];
  total: number;
  nextCursor: string | null;
  partialFrom: number | null;
  suggestion: string | null;
}

describe.each(STORES)('search round two on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string };
  let editor: { auth: string };
  let reporter: { auth: string };
  const ids: Record<string, number> = {};

  const search = async (q: string, extra: Record<string, string> = {}) => {
    // Articles reach the index after their commit (the outbox).
    await t.settled();
    const res = await t.app.inject({ url: `/api/v1/search?${new URLSearchParams({ q, ...extra }).toString()}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<Answer>(res);
  };
  const synonyms = (auth: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path = '', payload?: object) =>
    t.app.inject({ method, url: `/api/v1/search/synonyms${path}`, headers: { authorization: auth }, ...(payload ? { payload } : {}) });
  const article = async (key: string, fields: Record<string, unknown>) => {
    const { id } = await createArticle(t.app, editor.auth, { tags: [], summary: '', ...fields });
    await publish(t.app, editor.auth, id);
    ids[key] = id;
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.user('admin');
    editor = await t.user('editor');
    reporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
    await article('both', { title: '全省光伏装机容量再创新高', body: '<p>全省光伏装机容量突破一千万千瓦。</p>' });
    await article('grid', { title: '山区光伏电站并网发电', body: '<p>山区首座光伏电站并网发电，年发电量可供三万户家庭使用。</p>' });
    await article('taxi', { title: '香港的士業界試行電動的士', channel: 'keji', body: '<p>首批五十輛電動的士投入服務，司機午飯時間要排隊充電。</p>' });
    await article('plastic', { title: '北大团队研发可降解塑料', channel: 'keji', body: '<p>北大化学学院团队研发出一种可在海水中降解的塑料。</p>' });
    await article('ndrc', {
      title: '国家发展和改革委员会部署今冬能源保供',
      channel: 'keji',
      body: '<p>国家发展和改革委员会要求各地电煤库存保持合理水平。</p>',
    });
    // The long name only in a body (bodies keep grams only where jieba knows no word), and its words apart in another.
    await article('ndrcBody', { title: '今冬天然气保供会议召开', channel: 'keji', body: '<p>国家发展和改革委员会召开会议，要求优先保障居民取暖用气。</p>' });
    await article('ndrcApart', { title: '街道取暖保障会', channel: 'keji', body: '<p>国家统计局说，发展要靠改革，居委会和委员会都要参与。</p>' });
    // Twelve articles about wetlands, one of them also about migrating birds: a partial list longer than a page.
    for (let i = 0; i < 12; i++)
      await article(`wetland${i}`, {
        title: `第${i + 1}处城市湿地公园开放`,
        channel: 'keji',
        body: `<p>城市湿地公园第${i + 1}期向市民开放，步道长三公里。</p>`,
      });
    await article('birds', { title: '湿地迎来越冬候鸟', channel: 'keji', body: '<p>城市湿地迎来今年第一批越冬候鸟。</p>' });
    await article('ai', { title: '人工智能走进社区医院', channel: 'keji', body: '<p>社区医院用人工智能读片。</p>' });
    await article('apart', { title: '人工湖畔的老茶馆', channel: 'keji', body: '<p>茶馆只能容纳二十位客人。</p>' });
  });
  afterAll(() => t.close());

  it('finds Hong Kong copy by mainland words and mainland copy by Hong Kong words', async () => {
    expect((await search('出租车 充电')).items.map((i) => i.id)).toEqual([ids.taxi]);
    expect((await search('電動的士')).items.map((i) => i.id)).toEqual([ids.taxi]);
    expect((await search('的士')).items.map((i) => i.id)).toEqual([ids.taxi]);
    // 的士兵 (a soldier of…) is not a taxi.
    expect((await search('的士兵')).total).toBe(0);
  });

  it('lists articles holding every word first, then those holding some, and says where they begin', async () => {
    const answer = await search('光伏 装机');
    expect(answer.items.map((i) => i.id)).toEqual([ids.both, ids.grid]);
    expect(answer.partialFrom).toBe(1);
    expect(answer.total).toBe(2);
    const page = await t.app.inject({ url: `/search?q=${encodeURIComponent('光伏 装机')}` });
    expect(page.body).toContain('找到 1 篇与“光伏 装机”相关的稿件，另有 1 篇包含其中部分关键词');
    expect(page.body).toContain('<h2 class="search-partial-heading">以下稿件只包含部分关键词</h2>');
    expect(page.body.indexOf(`/a/${ids.both}"`)).toBeLessThan(page.body.indexOf('search-partial-heading'));
    expect(page.body.indexOf(`/a/${ids.grid}"`)).toBeGreaterThan(page.body.indexOf('search-partial-heading'));
    // A page's worth holding every word: no partial matches at all.
    expect((await search('湿地', { limit: '5' })).partialFrom).toBeNull();
  });

  it('pages through all-word and partial results with cursors, without duplicates or gaps, the same on every page', async () => {
    const whole = await search('候鸟 湿地 公园', { limit: '50' });
    expect(whole.partialFrom).toBe(0);
    expect(whole.items.length).toBe(13);
    // No article holds all three: the parks hold 湿地 and 公园, the birds article 湿地 and the rarer 候鸟, which puts it first.
    expect(whole.items[0]!.id).toBe(ids.birds);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await search('候鸟 湿地 公园', { limit: '4', ...(cursor ? { cursor } : {}) });
      expect(page.partialFrom).toBe(0);
      expect(page.total).toBe(13);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(whole.items.map((i) => i.id));
    // Twelve parks hold both words: more than a page, so no partial matches are added.
    const parks = await search('湿地 公园', { limit: '4' });
    expect(parks.partialFrom).toBeNull();
  });

  it('never shows an article sharing no word of substance with the query', async () => {
    expect(await search('克苏鲁 独角兽')).toMatchObject({ items: [], total: 0, partialFrom: null });
    // A single character in common is not enough (光 is in every solar article's title).
    expect((await search('克苏鲁 光')).items).toEqual([]);
    expect((await search('量子 车')).items).toEqual([]);
  });

  it('keeps the synonyms list for admins only, and refuses bad input with 4xx, changing nothing', async () => {
    expect((await t.app.inject({ url: '/api/v1/search/synonyms' })).statusCode).toBe(401);
    expect((await synonyms(editor.auth, 'GET')).statusCode).toBe(403);
    expect((await synonyms(reporter.auth, 'POST', '', { words: ['北大', '北京大学'] })).statusCode).toBe(403);
    expect((await synonyms(editor.auth, 'DELETE', '/1')).statusCode).toBe(403);
    const bad: [unknown, string][] = [
      [{ words: ['北大'] }, 'too_short'],
      [{ words: ['北大', ''] }, 'required'],
      [{ words: ['北大', '   '] }, 'required'],
      [{ words: ['北大', '北大'] }, 'duplicate'],
      [{ words: ['北大', '北大 '] }, 'duplicate'],
      [{ words: ['北大', '北京 大学'] }, 'invalid_input'],
      [{ words: ['北大', '！！'] }, 'invalid_input'],
      [{ words: ['北大', '字'.repeat(31)] }, 'too_long'],
      [{ words: Array.from({ length: 21 }, (_, i) => `词${i}`) }, 'too_many'],
      [{ words: '北大' }, 'invalid_input'],
      [{ words: ['北大', 3] }, 'invalid_input'],
      [{ words: ['北大', '北京大学'], extra: 1 }, 'unknown_field'],
      [{}, 'required'],
    ];
    for (const [payload, code] of bad) {
      const res = await synonyms(admin.auth, 'POST', '', payload as object);
      expect(res.statusCode, `${JSON.stringify(payload)} ${res.body}`).toBe(400);
      expect(json(res).error.code, JSON.stringify(payload)).toBe(code);
    }
    expect((await synonyms(admin.auth, 'PATCH', '/999999', { words: ['甲', '乙'] })).statusCode).toBe(404);
    expect((await synonyms(admin.auth, 'DELETE', '/999999')).statusCode).toBe(404);
    expect((await synonyms(admin.auth, 'DELETE', '/abc')).statusCode).toBe(400);
    expect(json(await synonyms(admin.auth, 'GET')).items).toEqual([]);
  });

  it('applies a synonym at once, with no reindex, both ways, and audits every change', async () => {
    expect((await search('北京大学 塑料')).partialFrom).toBe(0);
    expect((await search('发改委')).total).toBe(0);
    const created = await synonyms(admin.auth, 'POST', '', { words: ['北大', '北京大学'] });
    expect(created.statusCode, created.body).toBe(201);
    const group = json<{ id: number; words: string[]; updatedAt: string }>(created);
    expect(group.words).toEqual(['北大', '北京大学']);
    const found = await search('北京大学 塑料');
    expect(found.items.map((i) => i.id)).toEqual([ids.plastic]);
    expect(found.partialFrom).toBeNull();
    // A word that is part of a longer one is not the synonym: 东北大学 is another university.
    expect((await search('东北大学')).items).toEqual([]);

    const ndrc = json<{ id: number }>(await synonyms(admin.auth, 'POST', '', { words: ['发改委', '国家发展和改革委员会'] }));
    const coal = await search('发改委 电煤');
    expect(coal.items[0]!.id).toBe(ids.ndrc);
    expect(coal.partialFrom).toBe(1);
    expect((await search('發改委 电煤')).items[0]!.id).toBe(ids.ndrc);
    // In a body, found as its words in a row; the same words apart are not the name.
    const inBody = await search('发改委 取暖');
    expect(inBody.items[0]!.id).toBe(ids.ndrcBody);
    expect(inBody.partialFrom).toBe(1);
    expect((await search('发改委')).items.map((i) => i.id).sort()).toEqual([ids.ndrc, ids.ndrcBody].sort());

    // A word already in a group is refused: one group per word, whichever way it is written.
    const taken = await synonyms(admin.auth, 'POST', '', { words: ['北京大學', '燕园'] });
    expect(taken.statusCode).toBe(409);
    expect(json(taken).error.code).toBe('synonym_taken');
    expect(json(await synonyms(admin.auth, 'GET')).items).toHaveLength(2);

    const changed = await synonyms(admin.auth, 'PATCH', `/${group.id}`, { words: ['北大', '北京大学', '燕园'] });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await search('燕园')).items.map((i) => i.id)).toEqual([ids.plastic]);
    expect((await synonyms(admin.auth, 'DELETE', `/${ndrc.id}`)).statusCode).toBe(204);
    expect((await search('发改委')).total).toBe(0);
    // The deleted group's words are free again.
    expect((await synonyms(admin.auth, 'POST', '', { words: ['发改委', '国家发改委'] })).statusCode).toBe(201);

    const audit = json<{ items: { action: string; detail: Record<string, unknown> }[] }>(
      await t.app.inject({ url: '/api/v1/audit?action=curation&limit=50', headers: { authorization: admin.auth } }),
    );
    const actions = audit.items.filter((e) => e.action.startsWith('synonym.')).map((e) => e.action);
    expect(actions).toEqual(['synonym.create', 'synonym.delete', 'synonym.update', 'synonym.create', 'synonym.create']);
    expect(audit.items.find((e) => e.action === 'synonym.update')!.detail).toEqual({ before: ['北大', '北京大学'], words: ['北大', '北京大学', '燕园'] });
  });

  it('lets only one of two admins claiming the same word at once succeed', async () => {
    for (let round = 0; round < 4; round++) {
      const word = `同词${round}`;
      const results = await Promise.all([
        synonyms(admin.auth, 'POST', '', { words: [word, `甲方${round}`] }),
        synonyms(admin.auth, 'POST', '', { words: [`乙方${round}`, word] }),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    }
    const words = json<{ items: { words: string[] }[] }>(await synonyms(admin.auth, 'GET')).items.flatMap((g) => g.words);
    expect(new Set(words).size).toBe(words.length);
  });

  it('reaches another process within the bounded staleness (each copy reloads when older than its limit)', async () => {
    const other = new SynonymCache(150);
    const before = await other.get(t.ctx.store);
    expect(before.groupOf('候鸟')).toBeUndefined();
    const res = await synonyms(admin.auth, 'POST', '', { words: ['候鸟', '迁徙鸟类'] });
    expect(res.statusCode).toBe(201);
    // This process dropped its copy at once; the other still answers from its own until it is stale.
    expect((await t.ctx.synonyms.get(t.ctx.store)).groupOf('候鸟')).toEqual(['候鸟', '迁徙鸟类']);
    expect((await other.get(t.ctx.store)).groupOf('候鸟')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await other.get(t.ctx.store)).groupOf('迁徙鸟类')).toEqual(['迁徙鸟类', '候鸟']);
    expect((await search('迁徙鸟类')).items.map((i) => i.id)).toEqual([ids.birds]);
  });

  it('suggests a query one character away when no article holds every word, in the JSON and as a link on the page', async () => {
    const answer = await search('光伏装鸡');
    expect(answer.suggestion).toBe('光伏装机');
    // Its other word still finds articles, as partial matches.
    expect(answer.partialFrom).toBe(0);
    const page = await t.app.inject({ url: `/search?q=${encodeURIComponent('光伏装鸡')}&channel=keji` });
    expect(page.statusCode).toBe(200);
    // The suggestion keeps the filters; here nothing in 科技 holds 光伏装机, so none is offered.
    expect(page.body).not.toContain('您是不是要找');
    const plain = await t.app.inject({ url: `/search?q=${encodeURIComponent('光伏装鸡')}` });
    expect(plain.body).toContain(`您是不是要找：<a href="/search?q=${encodeURIComponent('光伏装机')}" rel="nofollow">光伏装机</a>`);
    // Results holding every word: no suggestion.
    expect((await search('光伏 装机')).suggestion).toBeNull();
    expect((await search('克苏鲁')).suggestion).toBeNull();
  });

  it('suggests a correction for a short query whose words are found only apart, never for one found as typed', async () => {
    await warmSuggestions();
    // 人工 and 只能 are both in one article, far apart; 人工智能 is in another.
    const apart = await search('人工只能');
    expect(apart.items.map((i) => i.id)).toContain(ids.apart);
    expect(apart.suggestion).toBe('人工智能');
    // 人工湖 is in an article as typed: whatever one character could make of it, nothing is suggested.
    expect((await search('人工湖')).suggestion).toBeNull();
    expect((await search('光伏电站')).suggestion).toBeNull();
  });

  it('bounds the work of a query without results, whatever is typed', async () => {
    for (const q of ['鸡'.repeat(100), '鸡鸭 '.repeat(33), 'zzzz qqqq', '的的的的的的']) {
      const started = performance.now();
      const res = await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q)}` });
      expect(res.statusCode).toBe(200);
      expect(performance.now() - started, q.slice(0, 10)).toBeLessThan(3_000);
    }
  });
});
