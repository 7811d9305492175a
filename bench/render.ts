/**
 * Uncached reader pages: the CPU one render costs (loading, rendering, compressing) on an archive of synthetic
 * articles — what a crawler walking the archive costs, since it misses the page cache every time. Never part of
 * `npm test`.
 *
 *   npx tsx bench/render.ts [--articles 100000] [--renders 1000]
 *   npx tsx bench/render.ts … --profile FILE.cpuprofile   (a CPU profile of the random-article renders alone)
 *   npx tsx bench/render.ts … --sql   (the SQL statements of the random-article renders, by total time)
 *
 * The page cache is off (INKSTONE_PAGE_CACHE_MB=0) so every request renders; related lists are filled with eight
 * random neighbours per article (the analysis itself is not what is measured here).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';
import { random } from './search-corpus.ts';
import { timeSql } from './sql-time.ts';
import { load } from './search.ts';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '100000' },
    renders: { type: 'string', default: '1000' },
    profile: { type: 'string' },
    sql: { type: 'boolean' },
  },
  strict: false,
});
const ARTICLES = Number(args.articles);
const RENDERS = Number(args.renders);

const sqlTimer = args.sql ? timeSql() : undefined;

const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-render-'));
  const database = openDatabase({ databaseUrl: undefined, dataDir });
  try {
    await migrate(database);
    log(`loading ${ARTICLES} articles`);
    await load(database);
    const rnd = random(7);
    const db = database.db;
    for (let from = 1; from <= ARTICLES; from += 5000) {
      const rows: { article_id: number; related_id: number; score: number }[] = [];
      for (let id = from; id < Math.min(from + 5000, ARTICLES + 1); id++) {
        const near = new Set<number>();
        while (near.size < 8) near.add(1 + Math.floor(rnd() * ARTICLES));
        near.delete(id);
        for (const related of near) rows.push({ article_id: id, related_id: related, score: rnd() });
      }
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < rows.length; i += 2000)
          await tx
            .insertInto('related_items' as never)
            .values(rows.slice(i, i + 2000) as never)
            .execute();
      });
    }
    const config = loadConfig({
      INKSTONE_DATA_DIR: dataDir,
      INKSTONE_DEMO: '0',
      INKSTONE_PAGE_CACHE_MB: '0',
      INKSTONE_SECRET: 'bench-secret-0123456789abcdef',
      INKSTONE_SITE_URL: 'http://bench.example',
    });
    const { app } = await buildApp({ container: createContainer({ config, database }) });
    await app.ready();
    const channel = (await db.selectFrom('channels').select('path').where('parent_id', 'is', null).executeTakeFirstOrThrow()).path;
    // The 50th page of a channel and of the home feed, reached by following each page's own 更多 link (keyset cursors).
    const deep = async (first: string) => {
      let url = first;
      for (let i = 1; i < 50; i++) {
        const html = (await app.inject({ url })).body;
        const cursor = /[?&]cursor=([A-Za-z0-9_-]+)/.exec(html)?.[1];
        if (!cursor) break;
        url = `${first}?cursor=${cursor}`;
      }
      return url;
    };
    const deepChannel = await deep(`/c/${channel}`);
    const deepHome = await deep('/');
    const pages: { name: string; url: () => string }[] = [
      { name: 'article (random)', url: () => `/a/${1 + Math.floor(rnd() * ARTICLES)}` },
      { name: 'home', url: () => '/' },
      { name: 'home, 50th feed page', url: () => deepHome },
      { name: 'channel', url: () => `/c/${channel}` },
      { name: 'channel, 50th page', url: () => deepChannel },
    ];
    const rows: string[] = [];
    for (const page of pages) {
      for (let i = 0; i < 30; i++) await app.inject({ url: page.url() });
      const n = page.name === 'article (random)' ? RENDERS : Math.max(100, RENDERS / 5);
      const walls: number[] = [];
      const profiled = typeof args.profile === 'string' && page.name === 'article (random)';
      const session = profiled ? new Session() : undefined;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      if (page.name === 'article (random)') sqlTimer?.start();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const res = await app.inject({ url: page.url(), headers: { 'accept-encoding': 'br, gzip' } });
        walls.push(performance.now() - t);
        if (res.statusCode !== 200) throw new Error(`${page.name}: ${res.statusCode}`);
        if (res.headers['x-cache'] === 'hit') throw new Error('the page cache answered: the benchmark must render');
      }
      const cpu = process.cpuUsage(cpu0);
      sqlTimer?.stop();
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(args.profile as string, JSON.stringify(profile));
        session.disconnect();
        log(`profile of the article renders: ${args.profile as string}`);
      }
      walls.sort((a, b) => a - b);
      const cpuMs = (cpu.user + cpu.system) / 1000 / n;
      rows.push(
        `| ${page.name} | ${cpuMs.toFixed(2)} | ${Math.round(1000 / cpuMs)} | ${walls[Math.floor(n / 2)]!.toFixed(2)} | ${walls[Math.floor(n * 0.95)]!.toFixed(2)} |`,
      );
    }
    console.log(`\nUncached renders, SQLite, ${ARTICLES} articles (${RENDERS} random articles)\n`);
    console.log('| page | CPU ms / render | renders/s of one core | p50 ms | p95 ms |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    if (sqlTimer) console.log(`\nSQL of the ${RENDERS} random-article renders, by time (ms per render)\n\n${sqlTimer.report(RENDERS)}`);
    await app.close();
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
