/**
 * Import benchmark: writes a WordPress export (WXR 1.2) of 100,000 Chinese text-only posts — our own generated text
 * (bench/search-corpus.ts), classic bodies with blank-line paragraphs, categories from the demo channel tree, tags, a
 * few drafts and shortcodes — then imports it into a fresh SQLite and/or PostgreSQL database with the importer of
 * `inkstone import` (both passes, channels, revisions, audit entries, search index entries, tags, old addresses,
 * related reading) and prints posts/s, with how many articles it analysed and gave a related list.
 * With --related-later the import leaves related reading to the server's backlog (ImportOptions.related false), and
 * the benchmark then runs that backlog over the first --related N imported articles (default all; 0: none) and prints
 * its rate apart, with what import and related reading give together. Never part of `npm test`.
 *
 *   npx tsx bench/import.ts [--posts 100000] [--store sqlite|postgres|sqlite,postgres] [--keep FILE] [--reuse] [--related-later [--related N|all|0]] [--probe]
 *
 * --digest: a digest of every related list as written (article, related article, score), to check that a change to
 * the scoring leaves the lists as they were (the same file and store give the same digest).
 * --batch N: posts per transaction (the importer's default, 500, without it).
 * --sql (SQLite): the statements of the import, and of the related-reading backlog after it, by time (bench/sql-time.ts).
 * --probe (SQLite): how long another process's writes wait for the lock during the import and during the backlog
 * (bench/support.ts lockProbe: the server publishing while `inkstone import` runs beside it, or while its primary
 * works through the backlog and its workers publish).
 *
 * --keep FILE writes the WXR there and leaves it; with --reuse an existing FILE is imported as it is (written by an
 * earlier --keep with the same --posts and --seed), so runs while iterating skip the generation. On PostgreSQL the
 * server's CPU (postmaster and every process under it, ended ones included) is printed beside ours when the server
 * runs on this machine, so the figure says what two free cores would give even when the machine is shared.
 *
 * PostgreSQL: DATABASE_URL names a server where the benchmark may create (and then drops) a database; without it a
 * throwaway cluster is started from Debian's binaries, as the tests do.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { createAccount, toActor } from '../src/domain/accounts/service.ts';
import { closeBodyPool } from '../src/domain/articles/body-pool.ts';
import { prepareRelatedBatch } from '../src/domain/articles/body.ts';
import { analyseRelatedBacklog, bulkTimings } from '../src/domain/articles/related-bulk.ts';
import { importArchive } from '../src/domain/imports/service.ts';
import { BULK_SQLITE_CACHE_MB, migrate, openDatabase } from '../src/storage/database.ts';
import type { DB } from '../src/storage/schema.ts';
import { readSource } from '../src/transfer/source.ts';
import { channelPaths, corpus, random } from './search-corpus.ts';
import { lockProbe, postgresServer, scratchPostgresDatabase } from './support.ts';
import { timeSql } from './sql-time.ts';

const sqlTimer = process.argv.includes('--sql') ? timeSql() : undefined;

const { values: args } = parseArgs({
  options: {
    posts: { type: 'string', default: '100000' },
    store: { type: 'string', default: 'sqlite,postgres' },
    keep: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    seed: { type: 'string', default: '11' },
    'related-later': { type: 'boolean', default: false },
    related: { type: 'string', default: 'all' },
    probe: { type: 'boolean', default: false },
    sql: { type: 'boolean', default: false },
    batch: { type: 'string' },
    digest: { type: 'boolean', default: false },
  },
});
const POSTS = Number(args.posts);
const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

const cdata = (s: string) => `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
const wpDate = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** Streams the WXR to `file` (the text is generated as it goes: 100,000 posts never sit in memory). */
async function writeWxr(file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  const site = 'https://bench.example.cn';
  await write(`<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>基准测试新闻网</title><link>${site}</link><description>生成的测试内容</description><language>zh-CN</language>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>${site}</wp:base_site_url><wp:base_blog_url>${site}</wp:base_blog_url>
`);
  const authors = ['zhou', 'li', 'wang', 'chen'];
  for (const a of authors)
    await write(`<wp:author><wp:author_login>${a}</wp:author_login><wp:author_display_name>${cdata(`${a} 记者`)}</wp:author_display_name></wp:author>\n`);
  const paths = channelPaths();
  const slugOf = (p: string) => p.split('/').pop()!;
  for (const [i, p] of paths.entries()) {
    const parent = p.includes('/') ? slugOf(p.slice(0, p.lastIndexOf('/'))) : '';
    await write(
      `<wp:category><wp:term_id>${i + 1}</wp:term_id><wp:category_nicename>${slugOf(p)}</wp:category_nicename><wp:category_parent>${parent}</wp:category_parent><wp:cat_name>${cdata(slugOf(p))}</wp:cat_name></wp:category>\n`,
    );
  }
  const rnd = random(Number(args.seed) + 1);
  let n = 0;
  for (const a of corpus(POSTS, { seed: Number(args.seed) }).articles) {
    n++;
    const status = rnd() < 0.9 ? 'publish' : 'draft';
    // Classic WordPress: paragraphs separated by blank lines, now and then a shortcode.
    const body = a.bodyParagraphs.join('\n\n') + (n % 50 === 0 ? '\n\n[embed]https://video.example.cn/v/1[/embed]' : '');
    const slug = `post-${n}`;
    const date = new Date(a.publishedAt);
    const link = `${site}/${date.getUTCFullYear()}/${String(date.getUTCMonth() + 1).padStart(2, '0')}/${String(date.getUTCDate()).padStart(2, '0')}/${slug}/`;
    await write(`<item>
<title>${cdata(a.title)}</title><link>${link}</link><pubDate>${date.toUTCString()}</pubDate><dc:creator>${cdata(authors[n % authors.length]!)}</dc:creator>
<guid isPermaLink="false">${site}/?p=${n}</guid><description></description>
<content:encoded>${cdata(body)}</content:encoded><excerpt:encoded>${cdata(a.summary)}</excerpt:encoded>
<wp:post_id>${n}</wp:post_id><wp:post_date>${wpDate(a.publishedAt + 8 * 3600_000)}</wp:post_date><wp:post_date_gmt>${wpDate(a.publishedAt)}</wp:post_date_gmt>
<wp:post_name>${slug}</wp:post_name><wp:status>${status}</wp:status><wp:post_parent>0</wp:post_parent><wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>
<category domain="category" nicename="${slugOf(a.channel)}">${cdata(slugOf(a.channel))}</category>
${a.tags.map((t) => `<category domain="post_tag" nicename="${encodeURIComponent(t)}">${cdata(t)}</category>`).join('')}
</item>
`);
  }
  await write('</channel>\n</rss>\n');
  out.end();
  await once(out, 'finish');
}

/** utime, stime, cutime, cstime (clock ticks) and the parent of a process, from /proc. */
function procTimes(pid: number, file = `/proc/${pid}/stat`): { ppid: number; own: number; children: number } | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of each thread of this process so far (Linux), kept at the most seen: the import's worker threads are
 * ended by the time it returns, so their figures are sampled while it runs (after every batch).
 */
const threadCpu = new Map<number, number>();
function sampleThreads(): void {
  try {
    for (const name of readdirSync('/proc/self/task')) {
      const t = procTimes(Number(name), `/proc/self/task/${name}/stat`);
      if (t) threadCpu.set(Number(name), Math.max(threadCpu.get(Number(name)) ?? 0, t.own / 100));
    }
  } catch {
    // Not Linux: only the process's total is printed.
  }
}

/**
 * CPU seconds the PostgreSQL server has used so far (its postmaster, its live processes, and those that ended), or
 * undefined when it does not run on this machine.
 */
async function serverCpuSeconds(db: Kysely<DB>): Promise<number | undefined> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  const backend = procTimes(Number(rows[0]!.pid));
  const postmaster = backend && procTimes(backend.ppid);
  if (!backend || !postmaster) return undefined;
  let ticks = postmaster.own + postmaster.children;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = procTimes(Number(name));
    if (p?.ppid === backend.ppid) ticks += p.own;
  }
  return ticks / 100;
}

/**
 * Related reading of the imported articles, which the import left to the server's background backlog: the same
 * backlog (analyseRelatedBacklog with the body worker threads, as jobs/backlog.ts runs it: the bulk path when many
 * articles wait) over the first `limit` of them
 * (all with --related all), timed, and what the import and its related reading give together.
 */
async function relatedAfter(
  ctx: ReturnType<typeof createContainer>['ctx'],
  limit: number,
  imported: number,
  importSeconds: number,
  serverCpu: () => Promise<number | undefined>,
  probeFile: string | undefined,
): Promise<void> {
  // The steps' times are the process's: each store's run counts its own.
  for (const step of Object.keys(bulkTimings) as (keyof typeof bulkTimings)[]) bulkTimings[step] = 0;
  const server0 = await serverCpu();
  const all = !Number.isFinite(limit);
  const controller = new AbortController();
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const probe = probeFile ? await lockProbe(probeFile) : undefined;
  sqlTimer?.start();
  const analysed = await analyseRelatedBacklog(ctx, {
    signal: controller.signal,
    prepare: prepareRelatedBatch,
    progress: (n) => {
      if (!all && n >= limit) controller.abort();
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu0);
  sqlTimer?.stop();
  if (probe) log(`during the backlog, ${(await probe.stop()).summary}`);
  if (sqlTimer) console.log(sqlTimer.report(analysed));
  const server1 = await serverCpu();
  await closeBodyPool();
  const serverMs =
    server0 === undefined || server1 === undefined ? '' : ` + the PostgreSQL server's ${(((server1 - server0) * 1000) / analysed).toFixed(2)} ms`;
  const perArticle = seconds / analysed;
  const cpuMs = ((used.user + used.system) / 1000 / analysed).toFixed(2);
  const whole = importSeconds + perArticle * imported;
  // The bulk path's event-loop time by step (all zero when the per-article path ran).
  log(
    `related reading's main thread by step, ms per article: ${Object.entries(bulkTimings)
      .filter(([step]) => step !== 'longestWrite' && step !== 'writes')
      .map(([step, ms]) => `${step} ${(ms / analysed).toFixed(2)}`)
      .join(', ')}; ${bulkTimings.writes} write transactions, the longest ${bulkTimings.longestWrite.toFixed(0)} ms`,
  );
  log(
    `related reading (the server's backlog, not part of the import above): ${analysed} articles in ${seconds.toFixed(1)} s = ${(analysed / seconds).toFixed(0)} articles/s, ${cpuMs} ms of this process's CPU each${serverMs}; ` +
      `import + related reading of all ${imported} ${all ? '' : '(extrapolated) '}≈ ${(imported / whole).toFixed(0)} posts/s; load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
}

async function countLists(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(distinct article_id) as n from related_items`.execute(db);
  return Number(rows[0]!.n);
}

async function run(kind: 'sqlite' | 'postgres', file: string, pgServer: ReturnType<typeof postgresServer>): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-import-'));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const scratch = await scratchPostgresDatabase(await pgServer.adminUrl(), `inkstone_bench_import_${process.pid}`);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const config = loadConfig({
    INKSTONE_DATA_DIR: dataDir,
    INKSTONE_DEMO: '0',
    INKSTONE_SECRET: 'bench-secret-0123456789',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  // As `inkstone import` opens it (its page cache on SQLite).
  const database = openDatabase({ ...config, sqliteCacheMB: BULK_SQLITE_CACHE_MB });
  const container = createContainer({ config, database });
  try {
    await migrate(database);
    const ctx = container.ctx;
    const admin = await createAccount(ctx, null, { username: 'admin', role: 'admin', password: 'bench password 123' });
    const server0 = kind === 'postgres' ? await serverCpuSeconds(database.db) : undefined;
    for (const step of Object.keys(bulkTimings) as (keyof typeof bulkTimings)[]) bulkTimings[step] = 0;
    sampleThreads();
    const threads0 = new Map(threadCpu);
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const probeFile = args.probe && kind === 'sqlite' ? path.join(dataDir, 'inkstone.db') : undefined;
    const probe = probeFile ? await lockProbe(probeFile) : undefined;
    let writingFrom = 0;
    sqlTimer?.start();
    const report = await importArchive(ctx, toActor(admin), 'wxr', () => readSource(file, 'wxr'), {
      related: !args['related-later'],
      ...(args.batch ? { batch: Number(args.batch) } : {}),
      progress: (p) => {
        if (p.phase === 'writing' && writingFrom === 0) writingFrom = Date.now();
        if (p.phase === 'writing') sampleThreads();
        if (p.phase === 'writing' && p.done % 20_000 === 0) log(kind, `${p.done} posts written`);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    sqlTimer?.stop();
    if (sqlTimer) console.log(sqlTimer.report(report.imported));
    if (probe) log(`during the import, ${(await probe.stop()).summary}`);
    sampleThreads();
    const used = process.cpuUsage(cpu0);
    const cpuSeconds = (used.user + used.system) / 1e6;
    const server1 = server0 === undefined ? undefined : await serverCpuSeconds(database.db);
    const serverSeconds = server0 === undefined || server1 === undefined ? undefined : server1 - server0;
    const articles = await ctx.store.articles.countByStatus('published');
    const indexed = await ctx.store.search.stats();
    const related = args['related-later']
      ? 'related reading left to the backlog'
      : `related reading of ${report.imported - (await ctx.store.related.unanalysed())} analysed, ${await countLists(database.db)} with a list`;
    log(
      `${kind}: ${report.imported} posts imported in ${seconds.toFixed(1)} s = ${Math.round(report.imported / seconds)} posts/s (both passes; ${articles} published, ${indexed.documents} in the search index, ${related}, ${report.redirects} old addresses)`,
    );
    // The machine may be shared: the CPU this process (main thread and import workers) spent says what 2 free cores give.
    log(
      `${kind}: this process used ${cpuSeconds.toFixed(1)} CPU s = ${((cpuSeconds * 1000) / report.imported).toFixed(2)} ms per post; on 2 free cores ≈ ${Math.round((2 * report.imported) / cpuSeconds)} posts/s${kind === 'postgres' && serverSeconds === undefined ? ' (plus the PostgreSQL server’s own CPU)' : ''}; load average ${os.loadavg()[0]!.toFixed(1)}`,
    );
    // By thread: the main thread (the file, the mapping, the SQL) and the others (the import's two workers, SQLite's
    // checkpointer, V8's helpers), heaviest first.
    const perThread = [...threadCpu]
      .map(([tid, s]) => ({ tid, ms: ((s - (threads0.get(tid) ?? 0)) * 1000) / report.imported }))
      .filter((t) => t.ms >= 0.01)
      .sort((a, b) => (a.tid === process.pid ? -1 : b.tid === process.pid ? 1 : b.ms - a.ms));
    if (perThread.length > 0)
      log(
        `${kind}: CPU per post by thread: main ${perThread[0]!.ms.toFixed(2)} ms; others ${perThread
          .slice(1)
          .map((t) => t.ms.toFixed(2))
          .join(' / ')} ms`,
      );
    if (!args['related-later'])
      log(
        `${kind}: related scoring (in its own thread from 200 posts), ms per post: ${(['frequencies', 'postings', 'shortlists', 'scoring'] as const)
          .map((step) => `${step} ${(bulkTimings[step] / report.imported).toFixed(2)}`)
          .join(', ')}`,
      );
    if (args['related-later'] && args.related !== '0')
      await relatedAfter(
        ctx,
        args.related === 'all' ? Number.POSITIVE_INFINITY : Number(args.related),
        report.imported,
        seconds,
        async () => (kind === 'postgres' ? serverCpuSeconds(database.db) : undefined),
        probeFile,
      );
    if (args.digest) log(`${kind}: related lists digest ${await listsDigest(database.db)}`);
    if (serverSeconds !== undefined) {
      const both = cpuSeconds + serverSeconds;
      log(
        `${kind}: the PostgreSQL server used ${serverSeconds.toFixed(1)} CPU s = ${((serverSeconds * 1000) / report.imported).toFixed(2)} ms per post; both together ${((both * 1000) / report.imported).toFixed(2)} ms per post ≈ ${Math.round((2 * report.imported) / both)} posts/s on 2 free cores`,
      );
    }
  } finally {
    await container.close();
    await database.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** SHA-256 of every related list item in order, its score to 12 significant digits (the stores keep doubles alike). */
async function listsDigest(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{
    article_id: number;
    related_id: number;
    score: number;
  }>`select article_id, related_id, score from related_items order by article_id, related_id`.execute(db);
  const hash = createHash('sha256');
  for (const r of rows) hash.update(`${r.article_id} ${r.related_id} ${Number(r.score).toPrecision(12)}\n`);
  return `${hash.digest('hex').slice(0, 16)} (${rows.length} items)`;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-bench-wxr-'));
const file = args.keep ?? path.join(dir, 'bench.wxr.xml');
if (args.reuse && args.keep && existsSync(args.keep)) log(`importing ${file} as it is (--reuse)`);
else {
  log(`writing ${POSTS} posts to ${file}…`);
  const t0 = Date.now();
  await writeWxr(file);
  log(`WXR written: ${(statSync(file).size / 1048576).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
const pgServer = postgresServer();
try {
  for (const kind of (args.store ?? '').split(',')) {
    if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`--store: sqlite or postgres, not ${kind}`);
    await run(kind, file, pgServer);
  }
} finally {
  pgServer.stop();
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
