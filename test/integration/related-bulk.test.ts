import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import { analyseArticle, analyseBacklog, rebuildRelated } from '../../src/domain/articles/related.ts';
import { POSTINGS } from '../../src/domain/articles/related-candidates.ts';
import { analyseBacklogInBulk, analyseRelatedBacklog, BULK, bulkTimings } from '../../src/domain/articles/related-bulk.ts';
import { importArchive } from '../../src/domain/imports/service.ts';
import { readSource } from '../../src/transfer/source.ts';
import { corpus } from '../../bench/search-corpus.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { articles as fixtureArticles, CHANNELS, DAY, NOW } from '../support/search-quality.ts';
import { STORES } from '../support/stores.ts';

/**
 * The bulk path of related reading (a large backlog after an import): an imported archive — the search quality
 * suite's 52 stories on real subjects, two syndicated copies of them, 300 generated stories and some drafts — analysed
 * by the per-article path and by the bulk path in small batches, compared as a reader would see the lists.
 */
const SLUG_PARENT = new Map(CHANNELS.map((c) => [c.slug, c.parent ?? '']));
const cdata = (s: string) => `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
const wpDate = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

interface Post {
  key: string;
  title: string;
  body: string;
  summary: string;
  tags: string[];
  channel: string;
  at: number;
  draft: boolean;
}

function posts(): Post[] {
  const out: Post[] = fixtureArticles.map((a) => ({
    key: a.key,
    title: a.title,
    body: a.body,
    summary: a.summary,
    tags: a.tags,
    channel: a.channel.split('/').pop()!,
    at: NOW - a.daysAgo * DAY,
    draft: false,
  }));
  // Syndicated copies: another paper's headline over the same text, a few days later.
  for (const key of [fixtureArticles[0]!.key, fixtureArticles[20]!.key]) {
    const a = out.find((p) => p.key === key)!;
    out.push({ ...a, key: `${key}-copy`, title: `（转载）${a.title.slice(0, 12)}`, at: a.at + 3 * DAY, summary: '' });
  }
  const slugs = CHANNELS.map((c) => c.slug);
  let i = 0;
  for (const a of corpus(300, { seed: 7, start: NOW - 400 * DAY, end: NOW }).articles) {
    out.push({
      key: `gen-${i}`,
      title: a.title,
      body: a.bodyParagraphs.join('\n\n'),
      summary: a.summary,
      tags: a.tags,
      channel: slugs[i % slugs.length]!,
      at: a.publishedAt,
      // Drafts among them, some on the fixture's subjects: never a candidate.
      draft: i % 12 === 0,
    });
    i++;
  }
  for (const [n, key] of [fixtureArticles[0]!.key, fixtureArticles[5]!.key].entries()) {
    const a = out.find((p) => p.key === key)!;
    out.push({ ...a, key: `${key}-draft`, title: `${a.title}（草稿${n}）`, draft: true });
  }
  // The import writes in file order; ids follow time, as in a real archive.
  return out.sort((x, y) => x.at - y.at);
}

function wxr(list: readonly Post[]): string {
  const site = 'https://old.example.cn';
  const categories = CHANNELS.map(
    (c, i) =>
      `<wp:category><wp:term_id>${i + 1}</wp:term_id><wp:category_nicename>${c.slug}</wp:category_nicename><wp:category_parent>${SLUG_PARENT.get(c.slug)}</wp:category_parent><wp:cat_name>${cdata(c.name)}</wp:cat_name></wp:category>`,
  );
  const items = list.map(
    (p, n) => `<item><title>${cdata(p.title)}</title><link>${site}/?p=${n + 1}</link><dc:creator>${cdata('zhou')}</dc:creator>
<guid isPermaLink="false">${site}/?p=${n + 1}</guid><description></description>
<content:encoded>${cdata(p.body)}</content:encoded><excerpt:encoded>${cdata(p.summary)}</excerpt:encoded>
<wp:post_id>${n + 1}</wp:post_id><wp:post_date>${wpDate(p.at + 8 * 3600_000)}</wp:post_date><wp:post_date_gmt>${wpDate(p.at)}</wp:post_date_gmt>
<wp:post_name>p-${n + 1}</wp:post_name><wp:status>${p.draft ? 'draft' : 'publish'}</wp:status><wp:post_parent>0</wp:post_parent><wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>
<category domain="category" nicename="${p.channel}">${cdata(p.channel)}</category>
${p.tags.map((t) => `<category domain="post_tag" nicename="${encodeURIComponent(t)}">${cdata(t)}</category>`).join('')}</item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>旧站</title><link>${site}</link><description></description><language>zh-CN</language>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>${site}</wp:base_site_url><wp:base_blog_url>${site}</wp:base_blog_url>
<wp:author><wp:author_login>zhou</wp:author_login><wp:author_display_name>${cdata('周记者')}</wp:author_display_name></wp:author>
${categories.join('\n')}
${items.join('\n')}
</channel></rss>
`;
}

/** Of the per-article path's best eight per article, the share the other lists also have in their best eight. */
const overlap = (reference: Map<number, number[]>, other: Map<number, number[]>) => {
  let compared = 0;
  let found = 0;
  for (const [id, list] of reference) {
    const mine = new Set((other.get(id) ?? []).slice(0, 8));
    compared += Math.min(8, list.length);
    found += list.slice(0, 8).filter((x) => mine.has(x)).length;
  }
  return { compared, share: found / compared };
};

/**
 * Lists made in batches against the per-article path's, in order (each article against those before it) and rebuilt
 * over the whole archive: most of the best eight the same, and nearly as many lists.
 */
function expectLikePerArticle(batched: Map<number, number[]>, inOrder: Map<number, number[]>, rebuilt: Map<number, number[]>): void {
  for (const reference of [inOrder, rebuilt]) {
    const { compared, share } = overlap(reference, batched);
    expect(compared).toBeGreaterThan(300);
    expect(share).toBeGreaterThan(0.8);
  }
  expect(batched.size).toBeGreaterThan(inOrder.size * 0.95);
}

describe.each(STORES)('related reading of a large backlog in bulk on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let dir: string;
  const idOf = new Map<string, number>();
  let articleCount = 0;
  const saved = { ...BULK };

  const db = () => t.db.database.db;
  const forget = async () => {
    for (const table of ['related_items', 'related_terms', 'related_buckets', 'related_fingerprints']) await sql`delete from ${sql.table(table)}`.execute(db());
  };
  /** Every computed list, best first (as the store keeps them). */
  const lists = async () => {
    const { rows } = await sql<{ article_id: number; related_id: number; score: number }>`select article_id, related_id, score from related_items`.execute(
      db(),
    );
    const out = new Map<number, number[]>();
    const sorted = rows
      .map((r) => ({ a: Number(r.article_id), r: Number(r.related_id), s: Number(r.score) }))
      .sort((x, y) => x.a - y.a || y.s - x.s || y.r - x.r);
    for (const r of sorted) out.set(r.a, [...(out.get(r.a) ?? []), r.r]);
    return out;
  };
  const shown = async (articleId: number) => {
    const res = await t.app.inject({ url: `/api/v1/articles/${articleId}/related` });
    expect(res.statusCode).toBe(200);
    return json<{ items: { id: number; pinned: boolean }[] }>(res).items;
  };
  const count = async (table: string) => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db())).rows[0]!.n);

  beforeAll(async () => {
    // Small batches and parts, so that a few hundred articles cross batch and transaction boundaries.
    BULK.batch = 90;
    BULK.write = 25;
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bulk-related-'));
    const file = path.join(dir, 'archive.xml');
    const list = posts();
    writeFileSync(file, wxr(list));
    const account = await t.ctx.store.accounts.findById(admin.id);
    // The backlog is what is tested here: the import leaves its related reading to it.
    const report = await importArchive(t.ctx, toActor(account!), 'wxr', () => readSource(file, 'wxr'), { related: false });
    expect(report.imported).toBe(list.length);
    articleCount = list.length;
    const { rows } = await sql<{ id: number; source_key: string }>`select article_id as id, source_key from import_sources`.execute(db());
    // Source keys end in the post's id (wxr:<site>#<post id>), its place in the file.
    for (const r of rows) {
      const post = Number(/#(\d+)$/.exec(r.source_key)?.[1]);
      if (list[post - 1]) idOf.set(list[post - 1]!.key, Number(r.id));
    }
    expect(idOf.size).toBe(list.length);
  });
  afterAll(async () => {
    Object.assign(BULK, saved);
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the per-article path’s lists: the same with the whole backlog in one batch, nearly so in small batches', { timeout: 120_000 }, async () => {
    expect(await t.ctx.store.related.unanalysed()).toBe(articleCount);
    expect(await analyseBacklog(t.ctx)).toBe(articleCount);
    const backlog = await lists();
    // The per-article path once every article is analysed (the first articles of its backlog were scored against an
    // archive of a few): each article made again against the whole archive.
    expect(await rebuildRelated(t.ctx)).toBe(articleCount);
    const rebuilt = await lists();
    expect(rebuilt.size).toBeGreaterThan(150);

    await forget();
    BULK.batch = 1_000;
    expect(await analyseBacklogInBulk(t.ctx)).toBe(articleCount);
    BULK.batch = 90;
    expect(await lists()).toEqual(rebuilt);

    // In batches of 90, each batch's damping comes from the archive analysed so far, as the per-article path's does
    // from the articles before it: pairs at the similarity threshold may fall either side of it.
    await forget();
    expect(await analyseBacklogInBulk(t.ctx)).toBe(articleCount);
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
    const bulk = await lists();
    expectLikePerArticle(bulk, backlog, rebuilt);

    // A syndicated copy and its original head each other's lists.
    for (const key of [fixtureArticles[0]!.key, fixtureArticles[20]!.key]) {
      const original = idOf.get(key)!;
      const copy = idOf.get(`${key}-copy`)!;
      expect((await shown(original)).map((i) => i.id)[0]).toBe(copy);
      expect((await shown(copy)).map((i) => i.id)[0]).toBe(original);
    }

    // Drafts are analysed (their terms kept) but in no list, nor have one.
    const { rows } = await sql<{ n: number }>`select count(*) as n from related_items i join articles a on a.id = i.related_id or a.id = i.article_id
      where a.status <> 'published'`.execute(db());
    expect(Number(rows[0]!.n)).toBe(0);
    const draft = idOf.get(`${fixtureArticles[0]!.key}-draft`)!;
    expect(await t.ctx.store.related.sourceHash(draft)).toBeDefined();
    // Each list kept to 16.
    for (const list of bulk.values()) expect(list.length).toBeLessThanOrEqual(16);
  });

  it('keeps each term’s postings from batch to batch and scores as if it had read them again, cut short or not', { timeout: 120_000 }, async () => {
    const related = t.ctx.store.related;
    const original = related.postings.bind(related);
    let termsRead = 0;
    related.postings = (terms) => {
      termsRead += terms.length;
      return original(terms);
    };
    const savedPostings = { ...POSTINGS };
    const run = async (kept: number) => {
      await forget();
      BULK.kept = kept;
      termsRead = 0;
      expect(await analyseBacklogInBulk(t.ctx)).toBe(articleCount);
      return { lists: await lists(), termsRead };
    };
    try {
      // Read again batch after batch, then kept: the same lists from fewer reads.
      const read = await run(0);
      const kept = await run(saved.kept);
      expect(read.lists.size).toBeGreaterThan(150);
      expect(kept.lists).toEqual(read.lists);
      expect(kept.termsRead).toBeLessThan(read.termsRead / 2);
      // Postings read a few deep: a term's are cut where it was read, and read again deeper when a batch needs more.
      Object.assign(POSTINGS, { budget: 120, floor: 3, ceiling: 30 });
      const shallowRead = await run(0);
      const shallowKept = await run(saved.kept);
      expect(shallowKept.termsRead).toBeLessThan(shallowRead.termsRead);
      if (kind === 'sqlite') expect(shallowKept.lists).toEqual(shallowRead.lists);
      // PostgreSQL orders postings of equal weight (a syndicated copy's) as it finds them: one may fall either side of a cut.
      else expect(overlap(shallowRead.lists, shallowKept.lists).share).toBeGreaterThan(0.97);
      expect(shallowKept.lists).not.toEqual(read.lists);
    } finally {
      related.postings = original;
      Object.assign(POSTINGS, savedPostings);
      BULK.kept = saved.kept;
    }
  });

  it('leaves the editors’ picks as they are: pinned first and excluded never, on the page too', { timeout: 120_000 }, async () => {
    const article = idOf.get(fixtureArticles[0]!.key)!;
    const copy = idOf.get(`${fixtureArticles[0]!.key}-copy`)!;
    const unrelated = idOf.get('gen-5')!;
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/articles/${article}/related`,
      headers: { authorization: editor },
      payload: { pinned: [unrelated], excluded: [copy] },
    });
    expect(res.statusCode).toBe(200);
    await forget();
    // A backlog this large takes the bulk path by itself.
    const writes = bulkTimings.writes;
    expect(await analyseRelatedBacklog(t.ctx)).toBe(articleCount);
    expect(bulkTimings.writes).toBeGreaterThan(writes);
    const items = await shown(article);
    expect(items[0]).toMatchObject({ id: unrelated, pinned: true });
    expect(items.map((i) => i.id)).not.toContain(copy);
    expect(items.length).toBeGreaterThan(1);
    const page = (await t.app.inject({ url: `/a/${article}` })).body;
    const section = /<section class="related".*?<\/section>/s.exec(page)![0];
    expect(section).toContain(`/a/${unrelated}"`);
    expect(section).not.toContain(`/a/${copy}"`);
    expect(await count('related_picks')).toBe(2);
  });

  it('resumes after a stop mid-way: what was written stays, the rest is done once, nothing twice', { timeout: 120_000 }, async () => {
    await forget();
    const complete = async () => {
      expect(await t.ctx.store.related.unanalysed()).toBe(0);
      // One fingerprint per article, and every term row belongs to an analysed article's kept terms (at most 40).
      expect(await count('related_fingerprints')).toBe(articleCount);
      const { rows } = await sql<{ n: number }>`select max(n) as n from (select article_id, count(*) as n from related_terms group by article_id) c`.execute(
        db(),
      );
      expect(Number(rows[0]!.n)).toBeLessThanOrEqual(40);
      // Each with its term vector, which a publish scores it from (none left for the background fill).
      const unvectored = await sql<{ n: number }>`select count(*) as n from related_fingerprints where terms is null`.execute(db());
      expect(Number(unvectored.rows[0]!.n)).toBe(0);
    };
    const controller = new AbortController();
    const first = await analyseBacklogInBulk(t.ctx, { signal: controller.signal, progress: (n) => n >= 100 && controller.abort() });
    expect(first).toBeGreaterThanOrEqual(100);
    expect(first).toBeLessThan(articleCount);
    expect(await t.ctx.store.related.unanalysed()).toBe(articleCount - first);
    const second = await analyseBacklogInBulk(t.ctx);
    expect(second).toBe(articleCount - first);
    await complete();
    const resumed = await lists();
    // Against a run that was never stopped: the same lists but for batch boundaries.
    await forget();
    await analyseBacklogInBulk(t.ctx);
    await complete();
    const whole = await lists();
    expect(overlap(whole, resumed).share).toBeGreaterThan(0.9);
    expect(await analyseBacklogInBulk(t.ctx)).toBe(0);
  });

  it('keeps the analysis of an article edited while its batch was being analysed', { timeout: 120_000 }, async () => {
    await forget();
    const target = idOf.get(fixtureArticles[3]!.key)!;
    let edited = false;
    const analysed = await analyseBacklogInBulk(t.ctx, {
      prepare: async (articles) => {
        const docs = articles.map((a) => analyseArticle(a));
        if (!edited && articles.some((a) => a.id === target)) {
          edited = true;
          // Rewritten onto another subject, and its outbox work done, after the batch read it and before its write.
          const res = await t.app.inject({
            method: 'PATCH',
            url: `/api/v1/articles/${target}`,
            headers: { authorization: editor },
            payload: { title: '海豚救助站放归三头江豚', body: '<p>长江江豚救助站今天把三头康复的江豚放归长江，志愿者沿岸观察江豚的活动。</p>' },
          });
          expect(res.statusCode, res.body).toBe(200);
          await t.settled();
        }
        return docs;
      },
    });
    expect(edited).toBe(true);
    expect(analysed).toBe(articleCount - 1);
    const now = await t.ctx.store.articles.findById(target);
    expect(await t.ctx.store.related.sourceHash(target)).toBe(analyseArticle(now!).sourceHash);
    const terms = (await t.ctx.store.related.terms(target)).map(([term]) => term);
    expect(terms).toContain('江豚');
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
  });
});

describe.each(STORES)('related reading made by the import itself on %s', (kind) => {
  let t: TestApp;
  let dir: string;
  let admin: Parameters<typeof toActor>[0];
  const db = () => t.db.database.db;
  const count = async (table: string) => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db())).rows[0]!.n);
  const lists = async () => {
    const { rows } = await sql<{ article_id: number; related_id: number; score: number }>`select article_id, related_id, score from related_items`.execute(
      db(),
    );
    const out = new Map<number, number[]>();
    for (const r of rows
      .map((r) => ({ a: Number(r.article_id), r: Number(r.related_id), s: Number(r.score) }))
      .sort((x, y) => x.a - y.a || y.s - x.s || y.r - x.r))
      out.set(r.a, [...(out.get(r.a) ?? []), r.r]);
    return out;
  };
  const ids = async () => {
    const { rows } = await sql<{ id: number; source_key: string }>`select article_id as id, source_key from import_sources`.execute(db());
    return new Map(rows.map((r) => [r.source_key, Number(r.id)]));
  };
  const shown = async (articleId: number) => {
    const res = await t.app.inject({ url: `/api/v1/articles/${articleId}/related` });
    expect(res.statusCode).toBe(200);
    return json<{ items: { id: number }[] }>(res).items.map((i) => i.id);
  };
  const importFile = async (name: string, list: readonly Post[], options: Parameters<typeof importArchive>[4] = {}) => {
    const file = path.join(dir, name);
    writeFileSync(file, wxr(list).replaceAll('https://old.example.cn', `https://${name}.example.cn`));
    return importArchive(t.ctx, toActor(admin), 'wxr', () => readSource(file, 'wxr'), options);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const { id } = await t.user('admin');
    admin = (await t.ctx.store.accounts.findById(id))!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-import-related-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves every imported article analysed, with the lists the per-article path makes, batch after batch', { timeout: 120_000 }, async () => {
    const list = posts();
    // Batches of 90: the archive's postings read once and kept, each batch's own articles scored against each other.
    const report = await importFile('first', list, { batch: 90 });
    expect(report.imported).toBe(list.length);
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
    expect(await count('related_fingerprints')).toBe(list.length);
    const imported = await lists();
    // Drafts are analysed but in no list, nor have one; every list is kept to 16.
    const { rows } = await sql<{ n: number }>`select count(*) as n from related_items i join articles a on a.id = i.related_id or a.id = i.article_id
      where a.status <> 'published'`.execute(db());
    expect(Number(rows[0]!.n)).toBe(0);
    for (const l of imported.values()) expect(l.length).toBeLessThanOrEqual(16);

    // The per-article path, for reference: in import order (each article scored against those before it, as batches
    // are), and over the whole archive. The same best eight, but for pairs at the thresholds (each batch's damping is
    // the archive's as far as it was imported).
    for (const table of ['related_items', 'related_terms', 'related_buckets', 'related_fingerprints']) await sql`delete from ${sql.table(table)}`.execute(db());
    expect(await analyseBacklog(t.ctx)).toBe(list.length);
    const inOrder = await lists();
    expect(await rebuildRelated(t.ctx)).toBe(list.length);
    const rebuilt = await lists();
    expectLikePerArticle(imported, inOrder, rebuilt);

    // A syndicated copy and its original head each other's lists.
    const idOf = await ids();
    const key = (p: Post) => `wxr:https://first.example.cn#${list.indexOf(p) + 1}`;
    for (const original of [fixtureArticles[0]!.key, fixtureArticles[20]!.key]) {
      const a = idOf.get(key(list.find((p) => p.key === original)!))!;
      const copy = idOf.get(key(list.find((p) => p.key === `${original}-copy`)!))!;
      expect((await shown(a))[0]).toBe(copy);
      expect((await shown(copy))[0]).toBe(a);
    }
    // Nothing was left to the server's backlog.
    expect(await analyseRelatedBacklog(t.ctx)).toBe(0);

    // A second file into the archive: its articles are offered into the archive's lists. A copy of a story that had
    // none heads the original's list, and the original heads the copy's.
    const original = list.find((p) => p.key === fixtureArticles[5]!.key)!;
    const second = await importFile('second', [{ ...original, key: 'copy-5', title: `（转载）${original.title.slice(0, 10)}`, at: original.at + 86_400_000 }]);
    expect(second.imported).toBe(1);
    const after = await ids();
    const copy = after.get('wxr:https://second.example.cn#1')!;
    const a = after.get(key(original))!;
    expect((await shown(copy))[0]).toBe(a);
    expect((await shown(a))[0]).toBe(copy);
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
  });

  /** Each article's list by source key (ids differ from one database to another), with the scores as written. */
  const listsByKey = async (app: TestApp) => {
    const { rows } = await sql<{ a: string; r: string; score: number }>`select sa.source_key as a, sr.source_key as r, i.score from related_items i
      join import_sources sa on sa.article_id = i.article_id join import_sources sr on sr.article_id = i.related_id
      order by sa.source_key, i.score desc, sr.source_key`.execute(app.db.database.db);
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.a, [...(out.get(r.a) ?? []), `${r.r} ${Number(r.score).toFixed(9)}`]);
    return out;
  };

  it('scores in a thread of its own the very lists it scores on its own thread', { timeout: 180_000 }, async () => {
    const list = posts();
    expect(list.length).toBeGreaterThanOrEqual(200);
    const file = path.join(dir, 'threads');
    writeFileSync(file, wxr(list));
    const made: Map<string, string[]>[] = [];
    let apart = 0;
    // From 200 posts the import scores in a thread of its own (RelatedRepository.scoringApart); without its worker
    // threads (workers: false) everything is done on its own thread.
    for (const workers of [true, false]) {
      const app = await startTestApp(kind);
      try {
        const related = app.ctx.store.related;
        const start = related.scoringApart.bind(related);
        related.scoringApart = () => {
          apart++;
          return start();
        };
        const { id } = await app.user('admin');
        const account = (await app.ctx.store.accounts.findById(id))!;
        const report = await importArchive(app.ctx, toActor(account), 'wxr', () => readSource(file, 'wxr'), { batch: 60, workers });
        expect(report.imported).toBe(list.length);
        expect(await app.ctx.store.related.unanalysed()).toBe(0);
        made.push(await listsByKey(app));
      } finally {
        await app.close();
      }
    }
    expect(apart).toBe(1);
    expect(made[0]!.size).toBeGreaterThan(150);
    expect(made[0]).toEqual(made[1]);
  });

  it('goes on when its scoring thread fails: that batch left to the server’s backlog, the batches after it scored on its own thread', {
    timeout: 120_000,
  }, async () => {
    const related = t.ctx.store.related;
    const start = related.scoringApart.bind(related);
    // The thread ends while the second batch is being scored, its transaction (on SQLite holding the connection)
    // waiting for the lists.
    related.scoringApart = () => {
      const thread = start()!;
      let batches = 0;
      return {
        ...thread,
        score: async (articles, docs) => {
          if (++batches === 2) await thread.close();
          return thread.score(articles, docs);
        },
      };
    };
    const before = await count('articles');
    try {
      const list = posts().map((p) => ({ ...p, key: `fails-${p.key}` }));
      const report = await importFile('fails', list, { batch: 50 });
      expect(report.imported).toBe(list.length);
      expect(await count('articles')).toBe(before + list.length);
    } finally {
      related.scoringApart = start;
    }
    // The second batch's published articles and drafts alike, and no other.
    expect(await t.ctx.store.related.unanalysed()).toBe(50);
    expect(await analyseRelatedBacklog(t.ctx)).toBe(50);
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
  });

  it('imports all the same when related reading fails, and leaves those articles to the server’s backlog', async () => {
    const related = t.ctx.store.related;
    const original = related.postings.bind(related);
    related.postings = () => Promise.reject(new Error('postings unreadable'));
    const before = await count('articles');
    try {
      const list = posts().slice(0, 40);
      const report = await importFile('third', list);
      expect(report.imported).toBe(40);
    } finally {
      related.postings = original;
    }
    expect(await count('articles')).toBe(before + 40);
    expect(await t.ctx.store.related.unanalysed()).toBe(40);
    expect(await analyseRelatedBacklog(t.ctx)).toBe(40);
    expect(await t.ctx.store.related.unanalysed()).toBe(0);
  });
});
