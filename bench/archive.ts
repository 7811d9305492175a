/**
 * Archive (稿件库) benchmark: 100,000 synthetic articles (bench/search-corpus.ts) — most published, some drafts,
 * submitted, scheduled and unpublished, several authors and channels, some with pictures — written in batches to
 * SQLite and PostgreSQL at once, each article's search document made once (jieba) and put into the public or the
 * draft index of both stores. Then times pages of `GET /api/v1/articles` (in-process inject, an editor's token:
 * routing, validation, the domain, the queries, presenting) per case, and prints p50/p95/max. Never part of `npm test`.
 *
 *   npx tsx bench/archive.ts [--articles 100000] [--runs 40] [--stores sqlite,postgres]
 *
 * PostgreSQL: DATABASE_URL names a server where the benchmark may create (and then drops) a database; without it a
 * throwaway cluster is started from Debian's binaries, as the tests do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { createAccount, createApiToken } from '../src/domain/accounts/service.ts';
import { bodyText } from '../src/domain/articles/html.ts';
import type { ArticleStatus } from '../src/domain/articles/status.ts';
import { ManualClock } from '../src/domain/clock.ts';
import type { Ctx } from '../src/domain/context.ts';
import { searchDocument } from '../src/domain/search/document.ts';
import { migrate, openDatabase, type Database } from '../src/storage/database.ts';
import { searchIndex } from '../src/storage/search/index.ts';
import { documentVectors } from '../src/storage/search/postgres.ts';
import { postgresServer, scratchPostgresDatabase } from './support.ts';
import { channelPaths, corpus, random, type SyntheticArticle } from './search-corpus.ts';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '40' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    seed: { type: 'string', default: '7' },
  },
});
const ARTICLES = Number(args.articles);
const RUNS = Number(args.runs);
const SEED = Number(args.seed);
const BATCH = 500;
const AUTHORS = ['zhou', 'li', 'wang', 'chen', 'zhao', 'sun'];

const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

interface Target {
  kind: 'sqlite' | 'postgres';
  database: Database;
  dataDir: string;
  databaseUrl: string | undefined;
  ctx: Ctx;
  app: FastifyInstance;
  auth: string;
  reporterAuth: string;
  channelIds: Map<string, number>;
  authorIds: number[];
  drop: () => Promise<void>;
}

async function openTarget(kind: 'sqlite' | 'postgres', pgAdminUrl: () => Promise<string>): Promise<Target> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-archive-'));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const scratch = await scratchPostgresDatabase(await pgAdminUrl(), `inkstone_bench_archive_${process.pid}`);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const database = openDatabase({ databaseUrl, dataDir, poolSize: 4 });
  await migrate(database);
  const config = loadConfig({ INKSTONE_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, INKSTONE_DEMO: '0', INKSTONE_SECRET: 'bench-secret-0123456789abcdef' });
  const { app, ctx } = await buildApp({ container: createContainer({ config, database, clock: new ManualClock(Date.now()) }) });
  await app.ready();
  const now = Date.now();
  const channelIds = new Map<string, number>();
  for (const p of channelPaths()) {
    const slug = p.split('/').pop()!;
    const parent = p.includes('/') ? channelIds.get(p.slice(0, p.lastIndexOf('/')))! : null;
    const { id } = await database.db
      .insertInto('channels')
      .values({ slug, name: slug, parent_id: parent, path: p, position: 0, description: '', created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    channelIds.set(p, id);
  }
  const authorIds: number[] = [];
  for (const [i, username] of AUTHORS.entries()) {
    const account = await createAccount(ctx, null, { username, role: i === 0 ? 'editor' : 'reporter', password: 'bench password 123' });
    authorIds.push(account.id);
  }
  const token = async (username: string) => `Bearer ${(await createApiToken(ctx, null, { username })).token}`;
  return { kind, database, dataDir, databaseUrl, ctx, app, auth: await token('zhou'), reporterAuth: await token('li'), channelIds, authorIds, drop };
}

interface Planned {
  article: SyntheticArticle;
  status: ArticleStatus;
  author: number;
  image: 'cover' | 'body' | null;
  createdAt: number;
  updatedAt: number;
  publishedAt: number | null;
  html: string;
}

/** Statuses as an archive has them: most published, a tail of drafts and the rest. */
function plan(a: SyntheticArticle, rnd: () => number): Planned {
  const r = rnd();
  const status: ArticleStatus = r < 0.84 ? 'published' : r < 0.93 ? 'draft' : r < 0.96 ? 'submitted' : r < 0.98 ? 'unpublished' : 'scheduled';
  const author = Math.floor(rnd() * AUTHORS.length);
  const image = rnd() < 0.25 ? 'cover' : rnd() < 0.2 ? 'body' : null;
  const createdAt = a.publishedAt - Math.floor(rnd() * 6 * 3600_000);
  const updatedAt = a.publishedAt + Math.floor(rnd() * rnd() * 30 * 86400_000);
  const publishedAt = status === 'published' || status === 'unpublished' ? a.publishedAt : null;
  const paragraphs = a.bodyParagraphs.map((p) => `<p>${p}</p>`);
  if (image === 'body') paragraphs.splice(1, 0, '<figure><img src="/media/2026/01/bench-960.jpg" alt=""><figcaption>图</figcaption></figure>');
  return { article: a, status, author, image, createdAt, updatedAt, publishedAt, html: paragraphs.join('') };
}

async function load(targets: Target[]): Promise<{ seconds: number; words: { body: string[]; broad: string[] } }> {
  const started = Date.now();
  const c = corpus(ARTICLES, { seed: SEED });
  const rnd = random(SEED + 1);
  const tagIds = new Map<string, number>();
  let id = 0;
  let batch: Planned[] = [];
  const spent = { segment: 0, sqlite: 0, postgres: 0 };
  const flush = async () => {
    if (batch.length === 0) return;
    const first = id + 1;
    const rows = batch.map((p) => ({ id: ++id, p }));
    const newTags: { id: number; name: string }[] = [];
    for (const { p } of rows)
      for (const t of p.article.tags)
        if (!tagIds.has(t)) {
          tagIds.set(t, tagIds.size + 1);
          newTags.push({ id: tagIds.size, name: t });
        }
    // Each document is made once (segmenting is the slow part) and written to both stores.
    const s0 = Date.now();
    const docs = rows.map(({ id, p }) => ({
      published: p.status === 'published',
      doc: searchDocument({
        id,
        title: p.article.title,
        subtitle: '',
        summary: p.article.summary,
        bodyText: bodyText(p.html),
        tags: p.article.tags,
        channelId: 0,
        publishedAt: p.publishedAt,
        updatedAt: p.updatedAt,
      }),
    }));
    spent.segment += Date.now() - s0;
    for (const t of targets) {
      const w0 = Date.now();
      const values = rows.map(({ id, p }) => ({
        id,
        title: p.article.title,
        subtitle: '',
        summary: p.article.summary,
        body_html: p.html,
        body_text: bodyText(p.html),
        channel_id: t.channelIds.get(p.article.channel)!,
        source: '',
        byline: '',
        editor: '',
        cover: p.image === 'cover' ? '/media/2026/01/bench-960.jpg' : '',
        status: p.status,
        published_at: p.publishedAt,
        scheduled_at: p.status === 'scheduled' ? Date.now() + 86400_000 : null,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
        author_id: t.authorIds[p.author]!,
        revision: 1,
        has_image: p.image ? 1 : 0,
      }));
      await t.database.db.transaction().execute(async (db) => {
        const indexes = { published: searchIndex(db, t.kind), others: searchIndex(db, t.kind, 'unpublished') };
        const indexed = docs.map((d, i) => ({ published: d.published, doc: { ...d.doc, channelId: values[i]!.channel_id } }));
        await db
          .insertInto('articles')
          .values(values as never)
          .execute();
        if (newTags.length)
          await db
            .insertInto('tags')
            .values(newTags as never)
            .execute();
        const links = rows.flatMap(({ id, p }) => p.article.tags.map((tag, position) => ({ article_id: id, tag_id: tagIds.get(tag)!, position })));
        if (links.length) await db.insertInto('article_tags').values(links).execute();
        if (t.kind === 'postgres') {
          // One insert per table and batch, the vectors made as the adapter makes them (its put is one row at a time).
          for (const [table, published] of [
            ['search_docs', true],
            ['draft_search_docs', false],
          ] as const) {
            const mine = indexed.filter((d) => d.published === published);
            if (mine.length === 0) continue;
            const rowsSql = mine.map(({ doc }) => {
              const v = documentVectors(doc);
              return sql`(${doc.articleId}, ${doc.publishedAt}, ${v.words}::tsvector, ${v.grams}::tsvector, ${doc.head})`;
            });
            await sql`insert into ${sql.table(table)} (article_id, published_at, words, grams, head) values ${sql.join(rowsSql)}`.execute(db);
          }
        } else {
          for (const d of indexed) await (d.published ? indexes.published : indexes.others).put(d.doc);
        }
      });
      spent[t.kind] += Date.now() - w0;
    }
    batch = [];
    if (id % 10_000 < BATCH && id >= 10_000)
      log(
        `  loaded ${id} articles (${first}…${id}); seconds segmenting ${spent.segment / 1000}, writing sqlite ${spent.sqlite / 1000}, postgres ${spent.postgres / 1000}`,
      );
  };
  for (const a of c.articles) {
    batch.push(plan(a, rnd));
    if (batch.length === BATCH) await flush();
  }
  await flush();
  for (const t of targets) {
    if (t.kind === 'postgres') {
      for (const table of ['articles', 'tags'])
        await sql.raw(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`).execute(t.database.db);
      await sql`analyze`.execute(t.database.db);
    } else {
      await sql`analyze`.execute(t.database.db);
      await sql`insert into search_fts (search_fts) values ('optimize')`.execute(t.database.db);
      await sql`insert into draft_fts (draft_fts) values ('optimize')`.execute(t.database.db);
    }
  }
  const sampleSize = Math.min(2000, ARTICLES);
  const words = c.vocabulary.filter((w) => w.word.length >= 2 && !/^[a-z0-9]+$/.test(w.word));
  return {
    seconds: (Date.now() - started) / 1000,
    words: {
      // A word of a body: in 0.1–1 % of articles (a name, a place, a subject).
      body: words.filter((w) => w.count / sampleSize >= 0.001 && w.count / sampleSize <= 0.01).map((w) => w.word),
      // A common word: in over 10 % of them (more than the 5,000 matches taken per index).
      broad: words.filter((w) => w.count / sampleSize > 0.1).map((w) => w.word),
    },
  };
}

interface Case {
  name: string;
  /** The query string of each run (the page to time); `walk` pages first when set. */
  query: (i: number) => string;
  /** Pages walked by cursor before the timed one (its predecessors, untimed). */
  walk?: number;
  reporter?: boolean;
}

function cases(words: { body: string[]; broad: string[] }, channels: string[]): Case[] {
  const rnd = random(SEED + 3);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const enc = encodeURIComponent;
  const top = channels.filter((c) => !c.includes('/'));
  return [
    { name: 'q: a body word', query: () => `q=${enc(pick(words.body))}` },
    { name: 'q: a body word, relevance', query: () => `q=${enc(pick(words.body))}&sort=relevance` },
    { name: 'q: a common word (capped)', query: () => `q=${enc(pick(words.broad))}` },
    { name: 'q + status=draft', query: () => `q=${enc(pick(words.body))}&status=draft` },
    { name: 'q + channel + hasImage', query: () => `q=${enc(pick(words.broad))}&channel=${enc(pick(top))}&hasImage=true` },
    { name: 'q + author + dates', query: () => `q=${enc(pick(words.broad))}&author=${pick(AUTHORS)}&from=2025-01-01&to=2025-12-31` },
    { name: 'q as a reporter', query: () => `q=${enc(pick(words.body))}`, reporter: true },
    { name: 'sort=updated', query: () => '' },
    { name: 'sort=published', query: () => 'sort=published' },
    { name: 'sort=created', query: () => 'sort=created' },
    { name: 'status=submitted', query: () => 'status=submitted' },
    { name: 'status=draft,scheduled', query: () => 'status=draft,scheduled&sort=created' },
    { name: 'channel + author', query: () => `channel=${enc(pick(top))}&author=${pick(AUTHORS)}` },
    { name: 'hasImage + dates', query: () => `hasImage=true&from=2025-03-01&to=2025-03-31` },
    { name: 'as a reporter', query: () => '', reporter: true },
    { name: '50th page (updated)', query: () => '', walk: 49 },
    { name: '50th page (published)', query: () => 'sort=published', walk: 49 },
    { name: '50th page, q common word', query: () => `q=${enc(pick(words.broad))}`, walk: 49 },
  ];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`.padStart(9);

interface CaseResult {
  name: string;
  p50: number;
  p95: number;
  max: number;
  items: number;
  capped: number;
}

async function measure(t: Target, list: Case[]): Promise<CaseResult[]> {
  const get = async (auth: string, query: string) => {
    const res = await t.app.inject({ url: `/api/v1/articles?limit=30${query ? `&${query}` : ''}`, headers: { authorization: auth } });
    if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body) as { items: unknown[]; next: string | null; capped?: boolean };
  };
  const out: CaseResult[] = [];
  for (const c of list) {
    const times: number[] = [];
    let items = 0;
    let capped = 0;
    const runs = c.walk ? Math.max(3, Math.floor(RUNS / 8)) : RUNS;
    for (let i = 0; i < runs + 3; i++) {
      const auth = c.reporter ? t.reporterAuth : t.auth;
      const base = c.query(i);
      let cursor: string | null = null;
      for (let w = 0; w < (c.walk ?? 0); w++) {
        const page = await get(auth, `${base}${cursor ? `&cursor=${cursor}` : ''}`);
        cursor = page.next;
        if (!cursor) break;
      }
      const query = `${base}${cursor ? `&cursor=${cursor}` : ''}`;
      const t0 = process.hrtime.bigint();
      const page = await get(auth, query);
      const took = Number(process.hrtime.bigint() - t0) / 1e6;
      // The first runs warm caches and are not counted.
      if (i < 3) continue;
      times.push(took);
      items += page.items.length;
      if (page.capped) capped++;
    }
    times.sort((a, b) => a - b);
    out.push({ name: c.name, p50: percentile(times, 50), p95: percentile(times, 95), max: times[times.length - 1]!, items: items / times.length, capped });
  }
  return out;
}

async function main() {
  const stores = (args.stores ?? '').split(',').filter((s): s is 'sqlite' | 'postgres' => s === 'sqlite' || s === 'postgres');
  const postgres = postgresServer();
  const pgAdminUrl = postgres.adminUrl;
  const targets: Target[] = [];
  const results = new Map<string, CaseResult[]>();
  let loadSeconds = 0;
  try {
    for (const s of stores) targets.push(await openTarget(s, pgAdminUrl));
    log(`loading ${ARTICLES} articles into ${stores.join(' and ')}`);
    // A bulk load builds the full-text indexes of PostgreSQL once at the end, not row by row.
    for (const t of targets.filter((t) => t.kind === 'postgres')) {
      await sql`drop index search_docs_terms`.execute(t.database.db);
      await sql`drop index draft_search_docs_terms`.execute(t.database.db);
    }
    const loaded = await load(targets);
    for (const t of targets.filter((t) => t.kind === 'postgres')) {
      const g0 = Date.now();
      await t.database.db.connection().execute(async (c) => {
        await sql`set maintenance_work_mem = '256MB'`.execute(c);
        await sql`create index search_docs_terms on search_docs using gin (words, grams)`.execute(c);
        await sql`create index draft_search_docs_terms on draft_search_docs using gin (words, grams)`.execute(c);
      });
      await sql`analyze`.execute(t.database.db);
      log(`postgres: GIN indexes built in ${((Date.now() - g0) / 1000).toFixed(0)} s`);
    }
    loadSeconds = loaded.seconds;
    log(`loaded and indexed in ${loadSeconds.toFixed(0)} s; ${loaded.words.body.length} body words, ${loaded.words.broad.length} common ones`);
    for (const t of targets) {
      log(`${t.kind}: timing pages`);
      results.set(t.kind, await measure(t, cases(loaded.words, channelPaths())));
    }
  } finally {
    for (const t of targets) {
      await t.app.close();
      await t.drop();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
    postgres.stop();
  }
  console.log(
    `\nArchive benchmark: ${ARTICLES} articles (84 % published), pages of 30 through GET /api/v1/articles (inject), ${RUNS} runs a case, ${os.cpus().length} CPUs; load ${loadSeconds.toFixed(0)} s`,
  );
  let worst = 0;
  for (const [store, list] of results) {
    console.log(`\n${store}`);
    for (const r of list) {
      worst = Math.max(worst, r.p95);
      console.log(
        `  ${r.name.padEnd(30)} p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  max ${ms(r.max)}  items ${r.items.toFixed(0).padStart(2)}${r.capped ? `  capped ${r.capped}×` : ''}`,
      );
    }
  }
  console.log(`\nworst p95 ${ms(worst).trim()} (target < 100 ms a page)`);
  if (worst >= 100) process.exitCode = 1;
}

await main();
