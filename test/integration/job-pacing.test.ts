import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import { analyseRelatedBacklog, BULK } from '../../src/domain/articles/related-bulk.ts';
import { importArchive } from '../../src/domain/imports/service.ts';
import type { Store } from '../../src/domain/store.ts';
import { readSource } from '../../src/transfer/source.ts';
import { corpus } from '../../bench/search-corpus.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { runsOn } from '../support/stores.ts';
import { type ProbeWait, startWriteProbe } from '../support/write-probe.ts';

/**
 * A long job beside the server on SQLite (an import from the command line, the related-reading backlog in the primary
 * while the workers publish): another process's write waits for the database's one write lock. A job that takes it
 * again within a turn of the event loop, transaction after transaction, leaves no gap that process's busy handler
 * wakes up in (it sleeps up to 100 ms between tries), so its publish waited for the whole job, and past its busy timeout
 * failed. Store.jobTransactions paces them. PostgreSQL has no database-wide write lock.
 */

const longest = (waits: readonly ProbeWait[]) => Math.max(0, ...waits.map((w) => w.ms));

describe.skipIf(!runsOn('sqlite'))('a long job’s write transactions beside another process on SQLite', () => {
  let t: TestApp;
  let dir: string;
  let adminId: number;
  const file = () => path.join(t.db.dataDir, 'inkstone.db');

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-pacing-'));
    adminId = (await t.user('admin')).id;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Short write transactions one after another for `ms`, each ~10 ms of writes (a synonym group made and taken away
   * again), a turn of the event loop between.
   */
  async function job(transaction: (fn: (store: Store) => Promise<void>) => Promise<void>, ms: number): Promise<{ from: number; to: number }> {
    const from = Date.now();
    let n = 0;
    while (Date.now() - from < ms) {
      await transaction(async (store) => {
        const until = performance.now() + 10;
        while (performance.now() < until) {
          const word = `节奏测试${n++}`;
          const made = await store.synonyms.insert({ words: [word, `${word}乙`], keys: [word, `${word}乙`], actorId: adminId, at: Date.now() });
          if (!('id' in made)) throw new Error(`taken: ${made.taken.join(' ')}`);
          await store.synonyms.remove(made.id);
        }
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { from, to: Date.now() };
  }

  it('lets the other process write about every second, where unpaced it waited for the whole job', { timeout: 60_000 }, async () => {
    // Unpaced, as the import and the backlog were: the other writer gets in by chance if at all, most often only when
    // the job ends. Six seconds of it: on a loaded machine (the whole suite running) the writer once got in by chance
    // after a second of a four-second job, and its longest wait was 1.03 s.
    let probe = await startWriteProbe(file());
    const unpaced = await job((fn) => t.ctx.store.transaction(fn), 6_000);
    let waits = await probe.stop();
    expect(longest(waits.filter((w) => w.at >= unpaced.from && w.at <= unpaced.to + 500))).toBeGreaterThan(1_200);

    probe = await startWriteProbe(file());
    const jobs = t.ctx.store.jobTransactions();
    const paced = await job((fn) => jobs.transaction(fn), 3_000);
    waits = await probe.stop();
    const during = waits.filter((w) => w.at >= paced.from && w.at <= paced.to);
    expect(during.length).toBeGreaterThan(2);
    expect(longest(during)).toBeLessThan(1_600);
  });

  it('paces an import’s batches and the related-reading backlog after it', { timeout: 180_000 }, async () => {
    // What goes through the paced transactions of a job (the test above shows what pacing gives).
    const store = t.ctx.store;
    const original = store.jobTransactions.bind(store);
    const paced = { runs: 0, transactions: 0 };
    store.jobTransactions = () => {
      paced.runs++;
      const jobs = original();
      return {
        transaction: (fn) => {
          paced.transactions++;
          return jobs.transaction(fn);
        },
      };
    };
    try {
      const account = await store.accounts.findById(adminId);
      const site = 'https://old.example.cn';
      const cdata = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
      const items: string[] = [];
      let n = 0;
      for (const a of corpus(600, { seed: 5 }).articles) {
        n++;
        const at = new Date(a.publishedAt).toISOString().slice(0, 19).replace('T', ' ');
        items.push(`<item><title>${cdata(a.title)}</title><link>${site}/?p=${n}</link><guid isPermaLink="false">${site}/?p=${n}</guid>
<content:encoded>${cdata(a.bodyParagraphs.join('\n\n'))}</content:encoded><excerpt:encoded>${cdata(a.summary)}</excerpt:encoded>
<wp:post_id>${n}</wp:post_id><wp:post_date_gmt>${at}</wp:post_date_gmt><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
${a.tags.map((tag) => `<category domain="post_tag" nicename="${encodeURIComponent(tag)}">${cdata(tag)}</category>`).join('')}</item>`);
      }
      const wxr = path.join(dir, 'archive.xml');
      writeFileSync(
        wxr,
        `<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>旧站</title><link>${site}</link><description></description><wp:wxr_version>1.2</wp:wxr_version>
${items.join('\n')}
</channel></rss>
`,
      );
      // 600 posts in batches of 200: three transactions, all paced, in one run.
      const report = await importArchive(t.ctx, toActor(account!), 'wxr', () => readSource(wxr, 'wxr'), { related: false, batch: 200 });
      expect(report.imported).toBe(600);
      expect(paced).toEqual({ runs: 1, transactions: 3 });

      // The backlog (the bulk path past 300 articles): every part it writes.
      const saved = { ...BULK };
      BULK.write = 50;
      paced.runs = 0;
      paced.transactions = 0;
      try {
        expect(await analyseRelatedBacklog(t.ctx)).toBe(600);
      } finally {
        Object.assign(BULK, saved);
      }
      expect(paced.runs).toBe(1);
      expect(paced.transactions).toBeGreaterThanOrEqual(12);
      expect(await store.related.unanalysed()).toBe(0);
    } finally {
      store.jobTransactions = original;
    }
  });
});
