/**
 * The search index build alone (what `inkstone reindex` runs), timed with each thread's CPU, on a copy of a database
 * `bench/search.ts --stores sqlite --keep DIR` loaded: the copy's index is emptied, the build runs, and the figures
 * are printed, with how long another process's writes waited for the lock meanwhile (a thread writing every 20 ms with
 * a busy timeout, as the server does during `inkstone reindex`). Never part of `npm test`; Linux only (threads' CPU
 * from /proc).
 *
 *   npx tsx bench/search-build.ts --from DIR [--work /var/tmp/search-build] [--cpu-prof FILE]
 *
 * --cpu-prof writes the main thread's profile (node:inspector) to FILE. The work folder is deleted at the end.
 */
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { ManualClock } from '../src/domain/clock.ts';
import { rebuildSearchIndex } from '../src/domain/search/service.ts';
import { closeBodyPool } from '../src/domain/articles/body-pool.ts';
import { migrate, openDatabase } from '../src/storage/database.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { lockProbe } from './support.ts';

const { values: args } = parseArgs({
  options: { from: { type: 'string' }, work: { type: 'string', default: '/var/tmp/search-build' }, 'cpu-prof': { type: 'string' } },
});
if (!args.from) throw new Error('--from DIR: a folder bench/search.ts --keep made');
const work = path.resolve(args.work!);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
for (const f of readdirSync(args.from).filter((f) => f.startsWith('inkstone.db'))) {
  copyFileSync(path.join(args.from, f), path.join(work, f));
  // On disk before the clock starts: a million articles' copy is 9 GB, whose write-back would otherwise run during the build.
  const fd = openSync(path.join(work, f), 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

/** CPU seconds of each thread of this process, by thread id. */
function threadCpu(): Map<number, { name: string; seconds: number }> {
  const out = new Map<number, { name: string; seconds: number }>();
  const tick = 100;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { name, seconds: (Number(fields[11]) + Number(fields[12])) / tick });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

const database = openDatabase({ databaseUrl: undefined, dataDir: work, poolSize: 4 });
await migrate(database);
const db = database.db;
// An upgrade's legacy index (migration 2026-12-05T0100) is not part of a build: dropped first, untimed.
for (const t of ['search_docs_legacy', 'search_fts_legacy']) await sql.raw(`drop table if exists ${t}`).execute(db);
// An empty index, as after the keys migration: no old tokens to delete while building.
for (const [docs, fts] of [['search_docs', 'search_fts']] as const) {
  const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where name = ${fts}`.execute(db);
  const { rows: trig } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'trigger' and tbl_name = ${docs}`.execute(db);
  const names = trig.map((t) => /create trigger (?:if not exists )?(\w+)/i.exec(t.sql)![1]!);
  for (const name of names) await sql.raw(`drop trigger ${name}`).execute(db);
  await sql.raw(`drop table ${fts}`).execute(db);
  await sql.raw(`delete from ${docs}`).execute(db);
  await sql.raw(rows[0]!.sql).execute(db);
  for (const t of trig) await sql.raw(t.sql).execute(db);
}
await sql`pragma wal_checkpoint(truncate)`.execute(db);
const { rows: count } = await sql<{ n: number }>`select count(*) as n from articles where status = 'published'`.execute(db);
const articles = Number(count[0]!.n);

const config = loadConfig({ INKSTONE_DATA_DIR: work, INKSTONE_DEMO: '0' });
const ctx = createContainer({ config, database, clock: new ManualClock() }).ctx;
const session = args['cpu-prof'] ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const probe = await lockProbe(path.join(work, 'inkstone.db'));
const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const before = threadCpu();
const t0 = process.hrtime.bigint();
let written = 0;
await rebuildSearchIndex(ctx, (n) => {
  written = Number(process.hrtime.bigint() - t0) / 1e9;
  if (n % 20_000 === 0) console.log(`  indexed ${n} (${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(0)} s)`);
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const after = threadCpu();
const { summary: lockWaits } = await probe.stop();
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(args['cpu-prof']!, JSON.stringify(profile));
}
const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const { bytes, documents } = await ctx.store.search.stats();
const { rows: parts } = await sql<{ name: string; bytes: number }>`select name, sum(pgsize) as bytes from dbstat
  where name like 'search%' or name like 'sqlite_autoindex_search%' group by name order by bytes desc`.execute(db);
const { rows: text } = await sql<{ n: number }>`select coalesce(sum(length(cast(title as blob)) + length(cast(subtitle as blob))
  + length(cast(summary as blob)) + length(cast(body_text as blob))), 0) as n from articles where status = 'published'`.execute(db);
const { rows: tags } = await sql<{
  n: number;
}>`select coalesce(sum(length(cast(t.name as blob))), 0) as n from article_tags at join tags t on t.id = at.tag_id`.execute(db);
const textBytes = Number(text[0]!.n) + Number(tags[0]!.n);
console.log(
  `\n${documents} of ${articles} articles indexed in ${seconds.toFixed(1)} s: ${Math.round(articles / seconds)} articles/s (load ${load0} → ${load1})`,
);
console.log(
  `every document written at ${written.toFixed(1)} s (${Math.round(articles / written)} articles/s); the segments merged into one after ${(seconds - written).toFixed(1)} s more`,
);
console.log(`index ${(bytes / 1048576).toFixed(1)} MB, ${(bytes / textBytes).toFixed(3)}× the ${(textBytes / 1048576).toFixed(0)} MB of text`);
console.log(`  ${parts.map((p) => `${p.name} ${(Number(p.bytes) / 1048576).toFixed(1)} MB`).join(', ')}`);
console.log(lockWaits);
console.log('CPU by thread during the build (s, ms per article):');
const rows = [...after].map(([tid, a]) => ({ tid, name: a.name, s: a.seconds - (before.get(tid)?.seconds ?? 0) })).filter((r) => r.s >= 0.05);
rows.sort((a, b) => b.s - a.s);
for (const r of rows)
  console.log(
    `  ${String(r.tid).padStart(8)} ${r.name.padEnd(16)} ${r.s.toFixed(1).padStart(7)} s ${((r.s * 1000) / articles).toFixed(3)} ms${r.tid === process.pid ? ' (main)' : ''}`,
  );
const { rows: segs } = await sql<{ n: number }>`select count(distinct segid) as n from search_fts_idx`.execute(db);
console.log(`FTS5 segments after the build: ${segs[0]!.n}`);
await closeBodyPool();
await database.close();
rmSync(work, { recursive: true, force: true });
