/**
 * Related reading at publish time on a large archive: the candidate query (articles sharing the new article's
 * heaviest terms) as it runs now — each term's postings read newest first and cut — against the whole-archive scan
 * it replaced (every posting of every term, joined to the articles, grouped and sorted in SQL). Also the whole
 * refreshRelated a publish runs. SQLite. Never part of `npm test`.
 *
 *   npx tsx bench/related.ts [--articles 50000] [--samples 100] [--db FILE]
 *
 * `--db FILE`: a copy of an analysed SQLite archive (bench:scale's cached inkstone.db) instead of building one.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { analyseArticle, archiveDamping, refreshRelated, RELATED } from '../src/domain/articles/related.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';
import { load } from './search.ts';

const { values: args } = parseArgs({
  options: { articles: { type: 'string', default: '50000' }, samples: { type: 'string', default: '100' }, db: { type: 'string' } },
  strict: false,
});
const ARTICLES = Number(args.articles);
const SAMPLES = Number(args.samples);
const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-related-'));
  if (typeof args.db === 'string') copyFileSync(args.db, path.join(dataDir, 'inkstone.db'));
  const database = openDatabase({ databaseUrl: undefined, dataDir });
  try {
    await migrate(database);
    if (typeof args.db !== 'string') {
      log(`loading ${ARTICLES} articles`);
      await load(database);
    }
    const config = loadConfig({ INKSTONE_DATA_DIR: dataDir, INKSTONE_DEMO: '0', INKSTONE_SECRET: 'bench-secret-0123456789abcdef' });
    const { ctx } = createContainer({ config, database, clock: new ManualClock(Date.now()) });
    if (typeof args.db !== 'string') log('analysing every article (terms and fingerprints, no lists)');
    for (let after = 0; typeof args.db !== 'string'; ) {
      const articles = await database.db.selectFrom('articles').select('id').where('id', '>', after).orderBy('id').limit(1000).execute();
      if (articles.length === 0) break;
      const full = await ctx.store.articles.findMany(articles.map((a) => a.id));
      await ctx.store.transaction(async (store) => {
        for (const a of full) await store.related.saveDocument(a.id, analyseArticle(a), Date.now());
      });
      after = articles[articles.length - 1]!.id;
      if (after % 10_000 === 0) log(`  analysed ${after}`);
    }
    const ids = (await database.db.selectFrom('articles').select('id').where('status', '=', 'published').execute()).map((r) => r.id);
    const sample = Array.from({ length: SAMPLES }, (_, i) => ids[Math.floor(((i + 0.5) * ids.length) / SAMPLES)]!);
    const scan = async (articleId: number, terms: readonly [string, number][], limit: number) => {
      const weightHere = sql<number>`case ${sql.join(
        terms.map(([term, weight]) => sql`when t.term = ${term} then ${sql.lit(weight)}`),
        sql` `,
      )} else 0 end`;
      return sql`select t.article_id, a.channel_id, a.published_at, sum(t.weight * ${weightHere}) as similarity, count(*) as shared
            from related_terms t join articles a on a.id = t.article_id
            where t.term in (${sql.join(terms.map(([t]) => t))}) and t.article_id <> ${articleId} and a.status = 'published'
            group by t.article_id, a.channel_id, a.published_at order by similarity desc, t.article_id desc limit ${limit}`.execute(database.db);
    };
    const times = { bounded: [] as number[], scan: [] as number[], refresh: [] as number[] };
    let overlap = 0;
    for (const id of sample) {
      const terms = await ctx.store.related.terms(id);
      const corpus = await ctx.store.related.documentFrequencies(terms.map(([t]) => t));
      const query = terms.map(([t, w]): [string, number] => [t, w * archiveDamping(t, corpus) ** 2]);
      let t0 = performance.now();
      const bounded = await ctx.store.related.similarPublished(id, query, RELATED.candidates);
      times.bounded.push(performance.now() - t0);
      t0 = performance.now();
      const old = (await scan(id, query, RELATED.candidates)) as { rows: { article_id: number }[] };
      times.scan.push(performance.now() - t0);
      const top = new Set(old.rows.slice(0, 8).map((r) => r.article_id));
      overlap += bounded.slice(0, 8).filter((c) => top.has(c.articleId)).length / Math.max(1, top.size);
      const article = (await ctx.store.articles.findById(id))!;
      t0 = performance.now();
      await ctx.store.transaction((store) => refreshRelated(store, article, Date.now(), { wasPublished: true }));
      times.refresh.push(performance.now() - t0);
    }
    console.log(
      `\nRelated reading at publish, SQLite, ${typeof args.db === 'string' ? `${ids.length} published in ${args.db}` : `${ARTICLES} articles`}, ${SAMPLES} articles re-published\n`,
    );
    console.log('| step | p50 ms | p95 ms | max ms |');
    console.log('|---|---|---|---|');
    for (const [name, list] of [
      ['candidates, whole-archive scan (before)', times.scan],
      ['candidates, bounded postings (now)', times.bounded],
      ['refreshRelated, whole publish step (now)', times.refresh],
    ] as const) {
      const sorted = [...list].sort((a, b) => a - b);
      console.log(`| ${name} | ${pct(sorted, 50).toFixed(1)} | ${pct(sorted, 95).toFixed(1)} | ${sorted[sorted.length - 1]!.toFixed(1)} |`);
    }
    console.log(`\nThe scan's top 8 found by the bounded query: ${((overlap / SAMPLES) * 100).toFixed(1)} %`);
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
