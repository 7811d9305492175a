import { describe, expect, it } from 'vitest';
import { rebuildDraftIndex, rebuildSearchIndex } from '../../src/domain/search/service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { articles, gradeQuality, loadQualitySite } from '../support/search-quality.ts';
import { STORES } from '../support/stores.ts';

/**
 * The search quality suite (test/fixtures/search, as test/integration/search.test.ts runs it on the built-in index)
 * against a real external engine: set INKSTONE_TEST_SEARCH_URL to an OpenSearch or Elasticsearch the tests may create
 * and delete indexes on (e.g. `http://127.0.0.1:9200`; docs/DEPLOY.md says how to start one). Each run uses its own
 * index prefix and deletes its indexes afterwards. Without it the suite is skipped, and says why.
 */
const ENGINE_URL = process.env.INKSTONE_TEST_SEARCH_URL?.trim() || undefined;
const SKIP_REASON = 'skipped: INKSTONE_TEST_SEARCH_URL is not set (no OpenSearch/Elasticsearch to run against)';

describe.skipIf(!ENGINE_URL)(`search quality on an external engine${ENGINE_URL ? '' : ` (${SKIP_REASON})`}`, () => {
  it.each(STORES)(
    'on %s: the same test set as the built-in index, MRR ≥ 0.9 and recall@5 = 1',
    async (kind) => {
      const base = new URL(ENGINE_URL!);
      const prefix = `inkstone-test-${process.pid}-${Date.now().toString(36)}-${kind}`;
      base.pathname = `/${prefix}`;
      const t: TestApp = await startTestApp(kind, { INKSTONE_SEARCH_URL: base.toString(), INKSTONE_SEARCH_TIMEOUT_MS: '10000' });
      try {
        const keyOf = await loadQualitySite(t);
        await t.settled();
        // The outbox filled the engine; a rebuild (inkstone reindex) gives the same index and removes nothing.
        expect(await t.ctx.store.search.count()).toBe(articles.length);
        expect((await rebuildSearchIndex(t.ctx)).removed).toBe(0);
        await rebuildDraftIndex(t.ctx);

        const { mrr, recall, ranked, problems } = await gradeQuality(t, keyOf);
        console.log(`search quality on an external engine (${kind}): MRR ${mrr.toFixed(3)}, recall@5 ${recall.toFixed(3)} over ${ranked} queries`);
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
