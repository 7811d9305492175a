/**
 * Search benchmark: generates realistic synthetic articles (bench/search-corpus.ts), loads them into SQLite and
 * PostgreSQL, builds the index with the code `inkstone reindex` runs, and times searchArticles() (index query,
 * article loading, snippets) over a mix of reader queries. Never part of `npm test`.
 *
 *   npx tsx bench/search.ts [--articles 100000] [--queries 1000] [--stores sqlite,postgres]
 *   npx tsx bench/search.ts … --sql   (SQLite: the statements of the measured queries by time, and the slowest runs)
 *   npx tsx bench/search.ts … --methods   (each kind of query's average time in each call to the index and the articles)
 *   npx tsx bench/search.ts --stores sqlite --keep DIR   (SQLite in DIR, kept: a later run with the same --keep,
 *     --articles and --seed skips loading and indexing and only queries, e.g. under a profiler)
 *   DATABASE_URL=… npx tsx bench/search.ts --stores postgres --keep NAME   (PostgreSQL: database inkstone_bench_NAME on
 *     that server, kept likewise; needs DATABASE_URL, as a throwaway cluster goes at the end)
 *   … --keep … --reindex   (a kept database's index is built again: another index layout timed on the same articles)
 *   npx tsx bench/search.ts --archive NAME [--queries 1000]   (a bench:scale archive under INKSTONE_BENCH_CACHE, e.g.
 *     postgres-300000-…: its index as built, queried in place with this mix of its own articles; a PostgreSQL one in
 *     the kept cluster, which is started, or the server at DATABASE_URL; nothing is written)
 *
 * PostgreSQL: DATABASE_URL names a server where the benchmark may create (and then drops) a database;
 * without it a throwaway cluster is started from Debian's binaries, as the tests do.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { ManualClock } from '../src/domain/clock.ts';
import type { Ctx } from '../src/domain/context.ts';
import { bodyText } from '../src/domain/articles/html.ts';
import { rebuildSearchIndex, searchArticles, type SearchInput } from '../src/domain/search/service.ts';
import { migrate, openDatabase, type Database } from '../src/storage/database.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { archiveDatabase, keptCluster, postgresServer, scratchPostgresDatabase, withDatabase } from './support.ts';
import { timeSql } from './sql-time.ts';
import { channelPaths, corpus, random, toTraditional, zipfRank, type SyntheticArticle } from './search-corpus.ts';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'string' },
    sql: { type: 'boolean' },
    reindex: { type: 'boolean' },
    archive: { type: 'string' },
    methods: { type: 'boolean' },
  },
  // Other benchmarks import load() and have options of their own.
  strict: false,
});
const ARTICLES = Number(args.articles);
const QUERIES = Number(args.queries);
const STORES = String(args.stores);
const SEED = Number(args.seed);
const TIME_ZONE = 'Asia/Shanghai';
const LOAD_BATCH = 1000;
const sqlTimer = args.sql ? timeSql() : undefined;

const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

interface Sample {
  title: string;
  body: string;
  channel: string;
  publishedAt: number;
}

export interface Loaded {
  samples: Sample[];
  entities: string[];
  vocabulary: { word: string; count: number }[];
  loadSeconds: number;
}

/**
 * Channels, one author and ARTICLES published articles, written straight to the tables (the index comes later). With
 * `write: false` nothing is written: the same corpus is generated for its samples (a kept database already holds it).
 */
export async function load(database: Database, { write = true }: { write?: boolean } = {}): Promise<Loaded> {
  const started = Date.now();
  const db = database.db;
  const now = Date.now();
  const channelIds = new Map<string, number>();
  for (const p of write ? channelPaths() : []) {
    const slug = p.split('/').pop()!;
    const parent = p.includes('/') ? channelIds.get(p.slice(0, p.lastIndexOf('/')))! : null;
    const { id } = await db
      .insertInto('channels')
      .values({ slug, name: slug, parent_id: parent, path: p, position: 0, description: '', created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    channelIds.set(p, id);
  }
  const authorId = write
    ? (
        await db
          .insertInto('accounts')
          .values({ username: 'bench', display_name: 'bench', role: 'admin', password_hash: 'x', disabled_at: null, created_at: now, updated_at: now })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id
    : 0;

  const c = corpus(ARTICLES, { seed: SEED });
  const samples: Sample[] = [];
  const tagIds = new Map<string, number>();
  let nextTag = 1;
  let id = 0;
  let batch: SyntheticArticle[] = [];
  const rnd = random(SEED + 1);
  /** About 3,000 articles kept aside for the query mix (the same ones whether the corpus is written or not). */
  const sample = (a: SyntheticArticle) => {
    if (samples.length < 3000 && rnd() < 3000 / ARTICLES)
      samples.push({ title: a.title, body: a.bodyParagraphs.join(''), channel: a.channel, publishedAt: a.publishedAt });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    if (!write) {
      for (const a of batch) {
        id++;
        sample(a);
      }
      batch = [];
      return;
    }
    const rows = batch.map((a) => {
      id++;
      const html = a.bodyParagraphs.map((p) => `<p>${p}</p>`).join('');
      sample(a);
      return {
        id,
        row: {
          id,
          title: a.title,
          subtitle: '',
          summary: a.summary,
          body_html: html,
          body_text: bodyText(html),
          channel_id: channelIds.get(a.channel)!,
          source: '',
          byline: '',
          editor: '',
          cover: '',
          status: 'published',
          published_at: a.publishedAt,
          scheduled_at: null,
          created_at: a.publishedAt,
          updated_at: a.publishedAt,
          author_id: authorId,
          revision: 1,
        },
        tags: a.tags,
      };
    });
    const newTags: { id: number; name: string }[] = [];
    for (const r of rows)
      for (const t of r.tags)
        if (!tagIds.has(t)) {
          tagIds.set(t, nextTag);
          newTags.push({ id: nextTag++, name: t });
        }
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('articles')
        .values(rows.map((r) => r.row) as never)
        .execute();
      if (newTags.length)
        await tx
          .insertInto('tags')
          .values(newTags as never)
          .execute();
      const links = rows.flatMap((r) => r.tags.map((t, position) => ({ article_id: r.id, tag_id: tagIds.get(t)!, position })));
      if (links.length) await tx.insertInto('article_tags').values(links).execute();
    });
    batch = [];
    if (id % 20_000 === 0) log(`  loaded ${id} articles`);
  };
  for (const a of c.articles) {
    batch.push(a);
    if (batch.length === LOAD_BATCH) await flush();
  }
  await flush();
  if (write && database.dialect === 'postgres') {
    // Explicit ids bypassed the sequences.
    for (const t of ['articles', 'tags']) await sqlRaw(database, `select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`);
    await sqlRaw(database, 'analyze');
  }
  return { samples, entities: c.entities, vocabulary: c.vocabulary, loadSeconds: (Date.now() - started) / 1000 };
}

async function sqlRaw(database: Database, text: string): Promise<void> {
  await sql.raw(text).execute(database.db);
}

interface Query {
  kind: string;
  input: Omit<SearchInput, 'timeZone'>;
}

/** A reader's mix: mostly specific words, some broad ones, names jieba does not know, 繁體, filters, misses. */
export function queryMix(loaded: Loaded, seed = SEED): Query[] {
  const rnd = random(seed + 2);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const sampleSize = Math.min(2000, ARTICLES);
  const df = (w: { count: number }) => w.count / sampleSize;
  const words = loaded.vocabulary.filter((w) => w.word.length >= 2);
  const broad = words
    .filter((w) => df(w) > 0.2)
    .slice(0, 40)
    .map((w) => w.word);
  const common = words.slice(0, 150).map((w) => w.word);
  const specific = words.filter((w) => df(w) >= 0.001 && df(w) <= 0.05).map((w) => w.word);
  const titleWords = (s: Sample) => (s.title.match(/[\u4e00-\u9fff]{2,4}/g) ?? []).filter((w) => w.length >= 2);
  const zipfEntity = () => loaded.entities[zipfRank(rnd(), loaded.entities.length)]!;
  const topChannels = channelPaths().filter((p) => !p.includes('/'));
  const kinds: [string, number, () => Query['input']][] = [
    [
      'title words',
      25,
      () => {
        const w = titleWords(pick(loaded.samples));
        return { q: w.length >= 2 ? `${w[0]} ${w[w.length - 1]}` : pick(specific) };
      },
    ],
    [
      'two words of one article',
      15,
      () => {
        const s = pick(loaded.samples);
        const inBody = specific.filter((w) => s.body.includes(w));
        return { q: inBody.length >= 2 ? `${pick(inBody)}${pick(inBody)}` : pick(specific) };
      },
    ],
    ['specific word', 15, () => ({ q: pick(specific) })],
    ['broad word', 10, () => ({ q: pick(broad) })],
    ['two common words', 5, () => ({ q: `${pick(common)} ${pick(common)}` })],
    ['name (not in dictionary)', 10, () => ({ q: zipfEntity() })],
    ['traditional characters', 5, () => ({ q: toTraditional(`${pick(specific)} ${pick(common)}`) })],
    ['with channel', 5, () => ({ q: pick(common), channel: pick(topChannels) })],
    [
      'with dates',
      5,
      () => {
        const s = pick(loaded.samples);
        const day = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
        return { q: pick(common), from: day(s.publishedAt - 45 * 86400_000), to: day(s.publishedAt + 45 * 86400_000) };
      },
    ],
    ['nothing', 5, () => ({ q: `${pick(Array.from('鑫鳌龘犇淼焱垚'))}${pick(Array.from('翀翃翚翛'))}${pick(Array.from('囧槑嫑巭'))}` })],
  ];
  const total = kinds.reduce((n, [, w]) => n + w, 0);
  const out: Query[] = [];
  for (const [kind, weight, make] of kinds) for (let i = 0; i < Math.round((QUERIES * weight) / total); i++) out.push({ kind, input: make() });
  // Interleave kinds so caches warm evenly.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`;

interface StoreReport {
  store: string;
  loadSeconds: number;
  indexSeconds: number;
  indexBytes: number;
  /** UTF-8 bytes of the indexed texts (titles, subtitles, summaries, bodies, tag names): what the index is measured against. */
  textBytes: number;
  databaseBytes: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** This process's peak resident memory while the queries ran (the search code runs in-process, as in the server). */
  rssPeak: number;
  byKind: { kind: string; n: number; p50: number; p95: number; max: number; avgTotal: number }[];
}

/**
 * --methods: the time spent in each call the search makes to the index and the articles, by kind of query (calls are
 * sequential, so their times add up to most of a query's).
 */
function timeMethods(ctx: Ctx): { kind: string | undefined; report: (counts: Map<string, number>) => string } {
  const spent = new Map<string, Map<string, number>>();
  const state: { kind: string | undefined; report: (counts: Map<string, number>) => string } = {
    kind: undefined,
    report: (counts) =>
      [...spent]
        .map(
          ([kind, methods]) =>
            `  ${kind.padEnd(26)} ${[...methods]
              .sort((a, b) => b[1] - a[1])
              .map(([m, t]) => `${m} ${(t / counts.get(kind)!).toFixed(1)}`)
              .join(', ')} ms a query`,
        )
        .join('\n'),
  };
  const wrap = (target: object, name: string, label: string) => {
    const o = target as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const original = o[name]!.bind(target);
    o[name] = async (...a: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original(...a);
      } finally {
        if (state.kind !== undefined) {
          const methods = spent.get(state.kind) ?? new Map<string, number>();
          methods.set(label, (methods.get(label) ?? 0) + performance.now() - t0);
          spent.set(state.kind, methods);
        }
      }
    };
  };
  for (const m of ['search', 'termMatches', 'anyMatch', 'matching']) wrap(ctx.store.search, m, m);
  wrap(ctx.store.articles, 'findMany', 'articles');
  return state;
}

export async function measure(ctx: Ctx, queries: Query[]) {
  for (const q of queries.slice(0, 100)) await searchArticles(ctx, { ...q.input, timeZone: TIME_ZONE });
  const methods = args.methods ? timeMethods(ctx) : undefined;
  sqlTimer?.start();
  const times: { kind: string; t: number; total: number }[] = [];
  for (const q of queries) {
    if (methods) methods.kind = q.kind;
    const t0 = process.hrtime.bigint();
    const r = await searchArticles(ctx, { ...q.input, timeZone: TIME_ZONE });
    times.push({ kind: q.kind, t: Number(process.hrtime.bigint() - t0) / 1e6, total: r.total });
  }
  sqlTimer?.stop();
  if (methods) {
    const counts = new Map<string, number>();
    for (const t of times) counts.set(t.kind, (counts.get(t.kind) ?? 0) + 1);
    console.log(`time by call, average over each kind's queries:\n${methods.report(counts)}`);
  }
  return times;
}

type Sizes = Pick<StoreReport, 'loadSeconds' | 'indexSeconds' | 'indexBytes' | 'textBytes' | 'databaseBytes'>;

/** The mix timed on `ctx` (the peak RSS sampled meanwhile), overall and by kind of query. */
async function timed(kind: StoreReport['store'], ctx: Ctx, queries: Query[], sizes: Sizes): Promise<StoreReport> {
  // Bulk work is over: what remains is what a server holds while it searches.
  (globalThis as { gc?: () => void }).gc?.();
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 50);
  const times = await measure(ctx, queries).finally(() => clearInterval(sampler));
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  const sorted = times.map((t) => t.t).sort((a, b) => a - b);
  const kinds = [...new Set(times.map((t) => t.kind))];
  return {
    store: kind,
    ...sizes,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    rssPeak,
    byKind: kinds.map((k) => {
      const mine = times.filter((t) => t.kind === k);
      const s = mine.map((t) => t.t).sort((a, b) => a - b);
      return {
        kind: k,
        n: s.length,
        p50: percentile(s, 50),
        p95: percentile(s, 95),
        max: s[s.length - 1]!,
        avgTotal: mine.reduce((n, t) => n + t.total, 0) / mine.length,
      };
    }),
  };
}

/**
 * A bench:scale archive's index as built, queried in place (--archive): the sizes bench:scale reached (a PostgreSQL
 * archive of 300,000 articles takes half an hour to build) without building another. Its own articles make the mix.
 */
async function runArchive(name: string): Promise<StoreReport> {
  const cache = process.env.INKSTONE_BENCH_CACHE ?? '/var/tmp/inkstone-bench-scale';
  const meta = JSON.parse(readFileSync(path.join(cache, `${name}.json`), 'utf8')) as { store: 'sqlite' | 'postgres'; loaded: Omit<Loaded, 'loadSeconds'> };
  const cluster = meta.store === 'postgres' ? await keptCluster(cache) : undefined;
  const dataDir = cluster ? mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-')) : path.join(cache, name);
  const databaseUrl = cluster && withDatabase(cluster.adminUrl, archiveDatabase(name));
  const database = openDatabase({ databaseUrl, dataDir, poolSize: 4 });
  try {
    log(`${meta.store}: querying the archive ${name} in place`);
    const config = loadConfig({ INKSTONE_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, INKSTONE_DEMO: '0' });
    const ctx: Ctx = createContainer({ config, database, clock: new ManualClock() }).ctx;
    const { bytes: indexBytes } = await ctx.store.search.stats();
    const sizes = {
      loadSeconds: Number.NaN,
      indexSeconds: Number.NaN,
      indexBytes,
      textBytes: await indexedTextBytes(database),
      databaseBytes: await databaseSize(database),
    };
    return await timed(meta.store, ctx, queryMix({ ...meta.loaded, loadSeconds: 0 }).slice(0, QUERIES), sizes);
  } finally {
    await database.close();
    cluster?.stop();
    if (cluster) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runStore(kind: 'sqlite' | 'postgres', pgAdminUrl: () => Promise<string>): Promise<StoreReport> {
  const corpusId = JSON.stringify({ articles: ARTICLES, seed: SEED });
  // A kept SQLite database is reused when an earlier run finished building it from the same corpus (its marker file says so).
  const keep = kind === 'sqlite' && typeof args.keep === 'string' ? path.resolve(args.keep) : undefined;
  const marker = keep && path.join(keep, 'bench-search.json');
  let reuse = marker !== undefined && existsSync(marker) && readFileSync(marker, 'utf8') === corpusId;
  if (keep && !reuse) {
    // Only a folder this benchmark made (its marker) or an empty one is emptied: --keep never deletes anything else.
    if (existsSync(keep) && readdirSync(keep).length > 0 && !existsSync(marker!))
      throw new Error(`--keep ${keep}: not empty and not a kept benchmark database; name a new or empty folder`);
    rmSync(keep, { recursive: true, force: true });
    mkdirSync(keep, { recursive: true });
    // Marks the folder ours at once: a run stopped half-way leaves a folder the next run may empty.
    writeFileSync(marker!, 'building');
  }
  const dataDir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-'));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  const keepPg = kind === 'postgres' && typeof args.keep === 'string' ? `inkstone_bench_${args.keep.replace(/\W/g, '_')}` : undefined;
  if (keepPg && !process.env.DATABASE_URL) throw new Error('--keep on PostgreSQL needs DATABASE_URL (a throwaway cluster is stopped at the end)');
  if (kind === 'postgres') {
    const scratch = await scratchPostgresDatabase(await pgAdminUrl(), keepPg ?? `inkstone_bench_${process.pid}`, { reuse: keepPg !== undefined });
    databaseUrl = scratch.url;
    if (!keepPg) drop = scratch.drop;
  }
  const database = openDatabase({ databaseUrl, dataDir, poolSize: 4 });
  try {
    if (keepPg) {
      // The marker row says which corpus the kept database holds, written once its index is built.
      await sql`create table if not exists bench_search_marker (corpus text not null)`.execute(database.db);
      const { rows } = await sql<{ corpus: string }>`select corpus from bench_search_marker`.execute(database.db);
      reuse = rows[0]?.corpus === corpusId;
      if (!reuse && rows.length === 0) {
        const { rows: tables } = await sql`select 1 from information_schema.tables where table_schema = current_schema() and table_name = 'articles'`.execute(
          database.db,
        );
        if (tables.length > 0) throw new Error(`--keep ${keepPg}: holds an unfinished or other corpus; drop that database first`);
      } else if (!reuse) throw new Error(`--keep ${keepPg}: holds another corpus (${rows[0]?.corpus}); drop that database first`);
    }
    log(reuse ? `${kind}: reusing the kept database (${ARTICLES} articles)` : `${kind}: generating and loading ${ARTICLES} articles`);
    await migrate(database);
    const loaded = await load(database, { write: !reuse });
    const build = !reuse || args.reindex === true;
    if (!reuse) log(`${kind}: loaded in ${loaded.loadSeconds.toFixed(0)} s; building the index (inkstone reindex)`);
    const config = loadConfig({ INKSTONE_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, INKSTONE_DEMO: '0' });
    const ctx: Ctx = createContainer({ config, database, clock: new ManualClock() }).ctx;
    const t0 = Date.now();
    if (build)
      await rebuildSearchIndex(ctx, (n) => {
        if (n % 20_000 === 0) log(`  indexed ${n}`);
      });
    const indexSeconds = build ? (Date.now() - t0) / 1000 : Number.NaN;
    if (marker && !reuse) writeFileSync(marker, corpusId);
    if (keepPg && !reuse) await sql`insert into bench_search_marker (corpus) values (${corpusId})`.execute(database.db);
    const { bytes: indexBytes, documents } = await ctx.store.search.stats();
    const databaseBytes = await databaseSize(database);
    const textBytes = await indexedTextBytes(database);
    if (kind === 'sqlite') {
      const { rows: parts } = await sql<{ name: string; bytes: number }>`select name, sum(pgsize) as bytes from dbstat
        where name like 'search%' or name like 'sqlite_autoindex_search%' group by name order by bytes desc`.execute(database.db);
      log(`  index tables: ${parts.map((p) => `${p.name} ${(Number(p.bytes) / 1048576).toFixed(1)} MB`).join(', ')}`);
    }
    log(
      `${kind}: ${documents} articles indexed${Number.isNaN(indexSeconds) ? '' : ` in ${indexSeconds.toFixed(0)} s`}, index ${(indexBytes / 1048576).toFixed(0)} MB`,
    );
    return await timed(kind, ctx, queryMix(loaded), {
      loadSeconds: reuse ? Number.NaN : loaded.loadSeconds,
      indexSeconds,
      indexBytes,
      textBytes,
      databaseBytes,
    });
  } finally {
    await database.close();
    await drop();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function indexedTextBytes(database: Database): Promise<number> {
  const db = database.db;
  const length = (column: string) => (database.dialect === 'sqlite' ? sql.raw(`length(cast(${column} as blob))`) : sql.raw(`octet_length(${column})`));
  const { rows } = await sql<{
    n: number;
  }>`select coalesce(sum(${length('title')} + ${length('subtitle')} + ${length('summary')} + ${length('body_text')}), 0) as n
    from articles where status = 'published'`.execute(db);
  const { rows: tags } = await sql<{
    n: number;
  }>`select coalesce(sum(${length('t.name')}), 0) as n from article_tags at join tags t on t.id = at.tag_id`.execute(db);
  return Number(rows[0]?.n ?? 0) + Number(tags[0]?.n ?? 0);
}

async function databaseSize(database: Database): Promise<number> {
  if (database.dialect === 'sqlite') {
    const { rows } = await sql<{ n: number }>`select page_count * page_size as n from pragma_page_count(), pragma_page_size()`.execute(database.db);
    return Number(rows[0]?.n ?? 0);
  }
  const { rows } = await sql<{ n: number }>`select pg_database_size(current_database()) as n`.execute(database.db);
  return Number(rows[0]?.n ?? 0);
}

async function main() {
  const stores = STORES.split(',').filter((s): s is 'sqlite' | 'postgres' => s === 'sqlite' || s === 'postgres');
  const postgres = postgresServer();
  const pgAdminUrl = postgres.adminUrl;
  const reports: StoreReport[] = [];
  try {
    if (typeof args.archive === 'string') reports.push(await runArchive(args.archive));
    else for (const s of stores) reports.push(await runStore(s, pgAdminUrl));
  } finally {
    postgres.stop();
  }
  const what = typeof args.archive === 'string' ? `the archive ${args.archive}` : `${ARTICLES} articles`;
  console.log(`\nSearch benchmark: ${what}, ${QUERIES} queries (searchArticles: index query + articles + snippets), ${os.cpus().length} CPUs`);
  for (const r of reports) {
    console.log(`\n${r.store}: p50 ${ms(r.p50)}, p95 ${ms(r.p95)}, p99 ${ms(r.p99)}, max ${ms(r.max)}`);
    console.log(
      `  ${Number.isNaN(r.indexSeconds) ? 'kept database reused' : `${Number.isNaN(r.loadSeconds) ? 'kept database reindexed' : `load ${r.loadSeconds.toFixed(0)} s`}, index build ${r.indexSeconds.toFixed(0)} s (${Math.round(ARTICLES / r.indexSeconds)} articles/s)`}, index ${(r.indexBytes / 1048576).toFixed(0)} MB (${(r.indexBytes / r.textBytes).toFixed(2)}× the ${(r.textBytes / 1048576).toFixed(0)} MB of text), database ${(r.databaseBytes / 1048576).toFixed(0)} MB, peak RSS while searching ${(r.rssPeak / 1048576).toFixed(0)} MB`,
    );
    for (const k of r.byKind)
      console.log(
        `  ${k.kind.padEnd(26)} n=${String(k.n).padStart(4)}  p50 ${ms(k.p50).padStart(9)}  p95 ${ms(k.p95).padStart(9)}  max ${ms(k.max).padStart(9)}  avg total ${k.avgTotal.toFixed(0)}`,
      );
  }
  if (sqlTimer) console.log(`\nSQLite statements of the measured queries, by time (ms per query)\n\n${sqlTimer.report(QUERIES, 10)}`);
  const missed = reports.filter((r) => r.p95 >= 50);
  if (missed.length) {
    console.log(`\np95 target (< 50 ms) missed on ${missed.map((r) => r.store).join(', ')}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
