import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rebuildDraftIndex, rebuildSearchIndex } from '../../src/domain/search/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';

/**
 * The search quality suite (test/fixtures/search, as test/integration/search.test.ts runs it on the built-in index)
 * against a real external engine: set INKSTONE_TEST_SEARCH_URL to an OpenSearch or Elasticsearch the tests may create
 * and delete indexes on (e.g. `http://127.0.0.1:9200`; docs/DEPLOY.md says how to start one). Each run uses its own
 * index prefix and deletes its indexes afterwards. Without it the suite is skipped, and says why.
 */
const ENGINE_URL = process.env.INKSTONE_TEST_SEARCH_URL?.trim() || undefined;
const SKIP_REASON = 'skipped: INKSTONE_TEST_SEARCH_URL is not set (no OpenSearch/Elasticsearch to run against)';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/search');
const articles = JSON.parse(readFileSync(path.join(fixtures, 'articles.json'), 'utf8')) as {
  key: string;
  channel: string;
  daysAgo: number;
  title: string;
  summary: string;
  tags: string[];
  body: string;
}[];
const queries = JSON.parse(readFileSync(path.join(fixtures, 'queries.json'), 'utf8')) as {
  q: string;
  kind: string;
  relevant: string[];
  exact?: boolean;
  allWords?: string[];
  partial?: string[];
  suggestion?: string;
  partialOk?: boolean;
}[];
const SYNONYMS = [
  ['北大', '北京大学'],
  ['发改委', '国家发展和改革委员会'],
  ['新能源车', '新能源汽车'],
];
const CHANNELS = [
  { slug: 'difang', name: '地方' },
  { slug: 'yaowen', name: '要闻', parent: 'difang' },
  { slug: 'keji', name: '科技' },
  { slug: 'caijing', name: '财经' },
  { slug: 'tiyu', name: '体育' },
  { slug: 'wenhua', name: '文化' },
  { slug: 'jiankang', name: '健康' },
  { slug: 'guoji', name: '国际' },
  { slug: 'shehui', name: '社会' },
];
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 29, 4, 0, 0);

describe.skipIf(!ENGINE_URL)(`search quality on an external engine${ENGINE_URL ? '' : ` (${SKIP_REASON})`}`, () => {
  it.each(STORES)(
    'on %s: the same test set as the built-in index, MRR ≥ 0.9 and recall@5 = 1',
    async (kind) => {
      const base = new URL(ENGINE_URL!);
      const prefix = `inkstone-test-${process.pid}-${Date.now().toString(36)}-${kind}`;
      base.pathname = `/${prefix}`;
      const t: TestApp = await startTestApp(kind, { INKSTONE_SEARCH_URL: base.toString(), INKSTONE_SEARCH_TIMEOUT_MS: '10000' });
      try {
        const editor = (await t.user('editor')).auth;
        const admin = (await t.user('admin')).auth;
        for (const c of CHANNELS) {
          const res = await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: { authorization: admin }, payload: c });
          expect(res.statusCode, res.body).toBe(201);
        }
        const keyOf = new Map<number, string>();
        for (const a of [...articles].sort((x, y) => y.daysAgo - x.daysAgo)) {
          t.clock.set(NOW - a.daysAgo * DAY);
          const res = await t.app.inject({
            method: 'POST',
            url: '/api/v1/articles',
            headers: { authorization: editor },
            payload: { title: a.title, channel: a.channel, body: a.body, summary: a.summary, tags: a.tags },
          });
          expect(res.statusCode, res.body).toBe(201);
          const { id } = json<{ id: number }>(res);
          expect((await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/publish`, headers: { authorization: editor } })).statusCode).toBe(200);
          keyOf.set(id, a.key);
        }
        t.clock.set(NOW);
        for (const words of SYNONYMS) {
          const res = await t.app.inject({ method: 'POST', url: '/api/v1/search/synonyms', headers: { authorization: admin }, payload: { words } });
          expect(res.statusCode, res.body).toBe(201);
        }
        await t.settled();
        // The outbox filled the engine; a rebuild (inkstone reindex) gives the same index and removes nothing.
        expect(await t.ctx.store.search.count()).toBe(articles.length);
        expect((await rebuildSearchIndex(t.ctx)).removed).toBe(0);
        await rebuildDraftIndex(t.ctx);

        let reciprocal = 0;
        let recall = 0;
        let ranked = 0;
        const problems: string[] = [];
        const same = (a: string[], b: string[]) => [...a].sort().join() === [...b].sort().join();
        for (const q of queries) {
          const res = await t.app.inject({ url: `/api/v1/search?${new URLSearchParams({ q: q.q, limit: '10' })}` });
          expect(res.statusCode, res.body).toBe(200);
          const answer = json<{ items: { id: number }[]; partialFrom: number | null; suggestion: string | null }>(res);
          const found = answer.items.map((i) => keyOf.get(i.id) ?? `#${i.id}`);
          const cut = answer.partialFrom ?? found.length;
          const allWords = found.slice(0, cut);
          const partial = found.slice(cut);
          if (q.suggestion !== undefined && answer.suggestion !== q.suggestion)
            problems.push(`${q.q} should suggest ${q.suggestion}, suggested ${answer.suggestion}`);
          if (q.allWords && !same(allWords, q.allWords))
            problems.push(`${q.q}: articles with every word should be ${q.allWords.join(', ')}, were ${allWords.join(', ')}`);
          for (const k of q.partial ?? []) if (!partial.includes(k)) problems.push(`${q.q}: ${k} not among the partial results (${partial.join(', ')})`);
          if (q.relevant.length === 0) {
            if ((q.partialOk ? allWords : found).length > 0) problems.push(`${q.q} should find nothing, found ${found.join(', ')}`);
            continue;
          }
          ranked++;
          const first = found.findIndex((k) => q.relevant.includes(k));
          reciprocal += first < 0 ? 0 : 1 / (first + 1);
          const missing = q.relevant.filter((k) => !found.slice(0, 5).includes(k));
          recall += (q.relevant.length - missing.length) / q.relevant.length;
          if (missing.length) problems.push(`${q.q} (${q.kind}): ${missing.join(', ')} not in the top 5 (${found.join(', ')})`);
          if (q.exact && !same(allWords, q.relevant)) problems.push(`${q.q} must find exactly ${q.relevant.join(', ')}, found ${allWords.join(', ')}`);
        }
        const mrr = reciprocal / ranked;
        console.log(`search quality on an external engine (${kind}): MRR ${mrr.toFixed(3)}, recall@5 ${(recall / ranked).toFixed(3)} over ${ranked} queries`);
        expect(problems).toEqual([]);
        expect(mrr).toBeGreaterThanOrEqual(0.9);
      } finally {
        await t.close();
        const root = new URL(ENGINE_URL!);
        const auth = root.username
          ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(root.username)}:${decodeURIComponent(root.password)}`).toString('base64')}` }
          : undefined;
        for (const index of [`${prefix}-published`, `${prefix}-drafts`])
          await fetch(`${root.protocol.replace(/^(opensearch|elasticsearch):$/, 'http:')}//${root.host}/${index}`, { method: 'DELETE', headers: auth }).catch(
            () => undefined,
          );
      }
    },
    300_000,
  );
});
