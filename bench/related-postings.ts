/**
 * Related reading's cut postings (issue #12) on a PostgreSQL bench:scale archive: for published articles spread over
 * the archive, each one's exact top 8 (every posting of its terms, summed) against the top 8 that similarPublished's
 * method finds with a given budget, floor, ceiling and shortlist (each term's postings heaviest first, cut at its share
 * of the budget; the shortlist scored again exactly), and the database time of the cut read. Reads only. Never part
 * of `npm test`.
 *
 *   npx tsx bench/related-postings.ts --archive postgres-300000-… [--samples 60] [--variants '[[40000,500,8000,400],…]']
 *
 * Each variant is [budget, floor, ceiling, rescored]. Printed per variant: recall@8 (the exact top 8 found), score (the
 * found lists' exact similarity as a share of the exact lists'; on a synthetic archive many articles are nearly as
 * similar, so which eight win is close to a draw and the score says more), and the cut read's time, p50 and mean.
 * The weights are the stored terms' (no archive damping): the same on both sides, so the method is what is compared.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { archiveDatabase, keptCluster, withDatabase } from './support.ts';

const { values: args } = parseArgs({
  options: {
    archive: { type: 'string' },
    samples: { type: 'string', default: '60' },
    variants: { type: 'string', default: '[[40000,500,8000,400],[40000,250,8000,400],[20000,250,8000,400],[40000,250,8000,200]]' },
    cache: { type: 'string', default: process.env.INKSTONE_BENCH_CACHE ?? '/var/tmp/inkstone-bench-scale' },
  },
});
if (!args.archive?.startsWith('postgres-')) throw new Error('--archive: a PostgreSQL bench:scale archive (postgres-…)');
const KEEP = 8;
const SAMPLES = Number(args.samples);
const variants = JSON.parse(args.variants!) as [budget: number, floor: number, ceiling: number, rescored: number][];

const cluster = await keptCluster(path.resolve(args.cache!));
const db = new pg.Client({ connectionString: withDatabase(cluster.adminUrl, archiveDatabase(args.archive)) });
try {
  await db.connect();
  const ids = (
    await db.query<{ id: number }>(`select f.article_id as id from related_fingerprints f join articles a on a.id = f.article_id
      where a.status = 'published' order by f.article_id`)
  ).rows.map((r) => r.id);
  const sample = Array.from({ length: SAMPLES }, (_, i) => ids[Math.floor(((i + 0.5) * ids.length) / SAMPLES)]!);
  const results = variants.map(() => ({ recall: 0, score: 0, ms: [] as number[] }));
  // Exact scores of `among` (or of every article, for the exact top) by the article's terms, best first.
  const exactTop = async (terms: string[], weights: number[], articleId: number, among?: number[]) =>
    (
      await db.query<{ id: number; s: number }>(
        `select r.article_id as id, sum(r.weight * q.w) as s from related_terms r join unnest($1::text[], $2::float8[]) q(t, w) on r.term = q.t
         where r.article_id <> $3 ${among ? 'and r.article_id = any($4::int4[])' : ''} group by r.article_id order by s desc, r.article_id desc limit ${KEEP}`,
        among ? [terms, weights, articleId, among] : [terms, weights, articleId],
      )
    ).rows.map((r) => ({ id: r.id, s: Number(r.s) }));
  for (const articleId of sample) {
    const rows = (await db.query<{ term: string; weight: number }>('select term, weight from related_terms where article_id = $1', [articleId])).rows;
    if (rows.length === 0) continue;
    const terms = rows.map((r) => r.term);
    const weights = rows.map((r) => Number(r.weight));
    const exact = await exactTop(terms, weights, articleId);
    const exactScore = exact.reduce((sum, r) => sum + r.s, 0) || 1;
    const total = weights.reduce((a, w) => a + Math.max(0, w), 0);
    // The same statement as RelatedRepository's shortlist on PostgreSQL.
    const cutRead = async ([budget, floor, ceiling, rescored]: (typeof variants)[number]) => {
      const depths = weights.map((w) => Math.min(ceiling, Math.max(floor, Math.round((budget * Math.max(0, w)) / (total || 1)))));
      return (
        await db.query<{ id: number }>(
          `select p.article_id as id from unnest($2::text[], $3::float8[], $4::int4[]) q(t, w, d)
           cross join lateral (select article_id, weight from related_terms where term = q.t order by weight desc limit q.d) p
           where p.article_id <> $1 group by p.article_id order by sum(p.weight * q.w) desc, p.article_id desc limit ${rescored}`,
          [articleId, terms, weights, depths],
        )
      ).rows.map((r) => r.id);
    };
    // Every variant once untimed first: the first to read a term's pages would otherwise pay for the others' reads.
    for (const variant of variants) await cutRead(variant);
    for (const [v, variant] of variants.entries()) {
      const started = performance.now();
      const shortlist = await cutRead(variant);
      results[v]!.ms.push(performance.now() - started);
      const found = await exactTop(terms, weights, articleId, shortlist);
      results[v]!.score += found.reduce((sum, r) => sum + r.s, 0) / exactScore;
      results[v]!.recall += exact.filter((e) => found.some((f) => f.id === e.id)).length / Math.max(1, exact.length);
    }
  }
  console.log(`related postings: ${args.archive}, ${sample.length} published articles, top ${KEEP}`);
  for (const [v, variant] of variants.entries()) {
    const { recall, score, ms } = results[v]!;
    ms.sort((a, b) => a - b);
    console.log(
      `  [budget, floor, ceiling, rescored] ${JSON.stringify(variant).padEnd(22)} recall@${KEEP} ${(recall / sample.length).toFixed(3)}  score ${(score / sample.length).toFixed(3)}  cut read p50 ${ms[ms.length >> 1]!.toFixed(1)} ms, mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)} ms`,
    );
  }
} finally {
  await db.end();
  cluster.stop();
}
