/**
 * Export and restore benchmark (#9): the demo site plus N generated articles (bench/search-corpus.ts: Chinese text,
 * tags, channels of the demo; each with a revision as the newsroom writes one), then
 *   - a full `export` (exportInkstoneArchive: every table and the media files, one tar.gz),
 *   - a restore of that archive into an empty install of the same store (importInkstoneArchive: rows in one
 *     transaction, then both search indexes rebuilt; related reading is left to the server's backlog),
 * and prints the times and the archive's size. Never part of `npm test`.
 *
 *   npx tsx bench/transfer.ts [--articles 100000] [--stores sqlite,postgres]
 *
 * PostgreSQL: DATABASE_URL names a server where the benchmark may create (and then drops) databases; without it a
 * throwaway cluster is started from Debian's binaries, as the tests do.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepare } from '../src/bootstrap.ts';
import { loadConfig } from '../src/config.ts';
import { type Container, createContainer } from '../src/container.ts';
import { bodyText } from '../src/domain/articles/html.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';
import { exportInkstoneArchive, importInkstoneArchive } from '../src/transfer/inkstone-archive.ts';
import { channelPaths, corpus, random, type SyntheticArticle } from './search-corpus.ts';
import { postgresServer, scratchPostgresDatabase } from './support.ts';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '100000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    seed: { type: 'string', default: '11' },
  },
});
const ARTICLES = Number(args.articles);
const BATCH = 500;

const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Install {
  container: Container;
  dataDir: string;
  close(): Promise<void>;
}

async function install(kind: 'sqlite' | 'postgres', label: string, pgAdminUrl: () => Promise<string>): Promise<Install> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `inkstone-bench-transfer-${label}-`));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const scratch = await scratchPostgresDatabase(await pgAdminUrl(), `inkstone_bench_transfer_${label}_${process.pid}`);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const config = loadConfig({ INKSTONE_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, INKSTONE_DEMO: '0', INKSTONE_SECRET: 'bench-secret-0123456789abcdef' });
  const database = openDatabase({ databaseUrl, dataDir, poolSize: 4 });
  await migrate(database);
  const container = createContainer({ config, database });
  return {
    container,
    dataDir,
    async close() {
      await container.close();
      await database.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo site (as a first start loads it) plus ARTICLES generated articles with tags and one revision each. */
async function fill(source: Install): Promise<void> {
  const { container } = source;
  await prepare(container, { demo: true });
  const db = container.database.db;
  const channels = new Map((await db.selectFrom('channels').select(['id', 'path']).execute()).map((c) => [c.path, c.id]));
  const paths = channelPaths();
  const admin = (await db.selectFrom('accounts').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id;
  const tagIds = new Map((await db.selectFrom('tags').select(['id', 'name']).execute()).map((t) => [t.name, t.id]));
  let id =
    (
      await db
        .selectFrom('articles')
        .select((eb) => eb.fn.max('id').as('m'))
        .executeTakeFirstOrThrow()
    ).m ?? 0;
  const rnd = random(Number(args.seed) + 1);
  const started = Date.now();
  let batch: { id: number; a: SyntheticArticle }[] = [];
  const c = corpus(ARTICLES, { seed: Number(args.seed) });
  const next = (): SyntheticArticle => c.articles.next().value as SyntheticArticle;
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const newTags = [...new Set(rows.flatMap((r) => r.a.tags))].filter((t) => !tagIds.has(t));
    await db.transaction().execute(async (trx) => {
      for (const name of newTags) {
        const { id: tagId } = await trx.insertInto('tags').values({ name }).returning('id').executeTakeFirstOrThrow();
        tagIds.set(name, tagId);
      }
      const values = rows.map(({ id, a }) => {
        const html = a.bodyParagraphs.map((p) => `<p>${p}</p>`).join('');
        const published = rnd() < 0.85;
        return {
          id,
          title: a.title,
          subtitle: '',
          summary: a.summary,
          body_html: html,
          body_text: bodyText(html),
          channel_id: channels.get(a.channel) ?? channels.get(paths[0]!)!,
          source: '',
          byline: '本报记者',
          editor: '',
          cover: '',
          status: published ? 'published' : 'draft',
          published_at: published ? a.publishedAt : null,
          scheduled_at: null,
          created_at: a.publishedAt - 3600_000,
          updated_at: a.publishedAt,
          author_id: admin,
          revision: 1,
          deleted_at: null,
          deleted_by: null,
          has_image: 0,
        };
      });
      await trx.insertInto('articles').values(values).execute();
      const links = rows.flatMap(({ id, a }) => [...new Set(a.tags)].map((tag, position) => ({ article_id: id, tag_id: tagIds.get(tag)!, position })));
      if (links.length) await trx.insertInto('article_tags').values(links).execute();
      await trx
        .insertInto('revisions')
        .values(
          values.map((v) => ({
            article_id: v.id,
            number: 1,
            account_id: admin,
            action: 'create',
            snapshot: JSON.stringify({ title: v.title, summary: v.summary, body: v.body_html, channel: v.channel_id, tags: [] }),
            created_at: v.created_at,
          })),
        )
        .execute();
    });
  };
  for (let i = 0; i < ARTICLES; i++) {
    batch.push({ id: ++id, a: next() });
    if (batch.length >= BATCH) await flush();
    if ((i + 1) % 20_000 === 0) log(`  generated ${i + 1} articles`);
  }
  await flush();
  if (container.database.dialect === 'postgres') {
    const { sql } = await import('kysely');
    for (const table of ['articles', 'tags', 'revisions'])
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(db);
  }
  log(`  loaded the demo site + ${ARTICLES} articles in ${seconds(Date.now() - started)}`);
}

/** The largest JS heap seen while fn runs (sampled every 50 ms): streaming keeps it flat however big the archive. */
async function peakHeap<T>(fn: () => Promise<T>): Promise<{ result: T; heapMb: number }> {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
  try {
    const result = await fn();
    return { result, heapMb: Math.round(peak / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

const pg = postgresServer();
try {
  const results: string[] = [];
  for (const kind of args.stores.split(',') as ('sqlite' | 'postgres')[]) {
    log(`${kind}: filling the source install`);
    const source = await install(kind, 'src', pg.adminUrl);
    const target = await install(kind, 'dst', pg.adminUrl);
    try {
      await fill(source);
      const file = path.join(source.dataDir, 'site.tar.gz');
      let t0 = Date.now();
      const { result: exported, heapMb: exportHeap } = await peakHeap(() => exportInkstoneArchive(source.container, file));
      const exportMs = Date.now() - t0;
      const size = statSync(file).size;
      log(
        `${kind}: export ${seconds(exportMs)}: ${exported.counts.articles} articles, ${exported.counts.revisions} revisions, ${exported.mediaFiles} media files, ${(size / 1048576).toFixed(0)} MB`,
      );
      t0 = Date.now();
      let rowsDoneAt = 0;
      const { result: imported, heapMb: importHeap } = await peakHeap(() =>
        importInkstoneArchive(target.container, file, {
          progress: (what) => {
            if (!rowsDoneAt && what === 'search index') rowsDoneAt = Date.now();
          },
        }),
      );
      const importMs = Date.now() - t0;
      const rowsMs = (rowsDoneAt || Date.now()) - t0;
      log(
        `${kind}: restore ${seconds(importMs)} (rows and files ${seconds(rowsMs)}, search indexes ${seconds(importMs - rowsMs)}): ${imported.counts.articles} articles, ${imported.indexed.published} + ${imported.indexed.unpublished} indexed`,
      );
      results.push(
        `${kind.padEnd(8)} articles ${imported.counts.articles}  export ${seconds(exportMs)}  restore ${seconds(importMs)} (rows ${seconds(rowsMs)} + reindex ${seconds(importMs - rowsMs)})  archive ${(size / 1048576).toFixed(0)} MB  peak heap export ${exportHeap} MB / restore ${importHeap} MB`,
      );
    } finally {
      await source.close();
      await target.close();
    }
  }
  console.log(`\nDemo site + ${ARTICLES} generated articles, ${os.availableParallelism()} CPUs:`);
  for (const r of results) console.log(r);
} finally {
  pg.stop();
}
