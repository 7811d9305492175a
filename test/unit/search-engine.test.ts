import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseSearchEngine } from '../../src/config.ts';
import { parseQuery } from '../../src/domain/search/query.ts';
import { searchDocument } from '../../src/domain/search/document.ts';
import type { SearchRequest } from '../../src/domain/search/search-index.ts';
import {
  bestField,
  bulkBody,
  candidatesFrom,
  checkBulk,
  engineDocument,
  INDEX_BODY,
  matchesFrom,
  matchingBody,
  OpenSearchIndex,
  searchBody,
  termMatchesBody,
  termMatchesFrom,
  termQuery,
} from '../../src/storage/search/opensearch.ts';

/**
 * The OpenSearch/Elasticsearch adapter's request building and answer mapping. The answers below are the shapes the
 * engines document for their Search, Multi search, Bulk and Count APIs (OpenSearch "Search" and "Bulk" API pages,
 * Elasticsearch's "Search API" response body: hits.total {value, relation}, hits.hits[] with _id, _score, sort and
 * matched_queries; bulk items keyed by their action with status and error), with our ids and fields.
 */

const synonyms = {
  groupOf: (w: string) => (w === '北大' || w === '北京大学' ? ['北大', '北京大学'] : undefined),
  longest: 4,
};
const request = (q: string, more: Partial<SearchRequest> = {}): SearchRequest => ({ terms: parseQuery(q, synonyms).terms, ...more });

describe('OpenSearch adapter: requests', () => {
  it('makes a word a term query on the four word fields, boosted as the built-in bm25 weights', () => {
    expect(termQuery({ kind: 'word', token: '地铁' })).toEqual({
      bool: {
        should: [
          { term: { t: { value: '地铁', boost: 10 } } },
          { term: { k: { value: '地铁', boost: 6 } } },
          { term: { s: { value: '地铁', boost: 3 } } },
          { term: { b: { value: '地铁', boost: 1 } } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('makes exact text a phrase of bigrams on the gram fields, a prefix phrase when it ends in one character, named per field when asked', () => {
    const [name] = parseQuery('砚岚芯').terms;
    expect(name?.kind).toBe('text');
    const q = termQuery(name!, true) as { bool: { should: Record<string, Record<string, { query: string; _name?: string }>>[] } };
    expect(q.bool.should[0]).toEqual({ match_phrase: { gt: { query: '砚岚 岚芯', boost: 10, _name: 't' } } });
    expect(q.bool.should.map((c) => Object.values(Object.values(c)[0]!)[0]!._name)).toEqual(['t', 'k', 's', 'b']);
    const prefix = termQuery({ kind: 'text', text: 'ab岚', phrase: { grams: ['ab', '岚'], prefix: true } }) as {
      bool: { should: Record<string, unknown>[] };
    };
    expect(prefix.bool.should[3]).toEqual({ match_phrase_prefix: { gb: { query: 'ab 岚', boost: 1, max_expansions: 500 } } });
  });

  it('makes a synonym group any of its members, every term required, channels and dates as filters', () => {
    const body = searchBody(request('北大 招生', { channelIds: [3, 4], from: 1000, to: 2000 })) as {
      size: number;
      track_total_hits: number;
      _source: boolean;
      query: { bool: { must: { bool: { should: unknown[] } }[]; filter: unknown[] } };
      sort: unknown[];
    };
    expect(body.size).toBe(500);
    expect(body.track_total_hits).toBe(1_000);
    expect(body._source).toBe(false);
    expect(body.query.bool.must).toHaveLength(2);
    // 北大 | 北京大学: two alternatives, each over the fields.
    expect(body.query.bool.must[0]!.bool.should).toHaveLength(2);
    expect(body.query.bool.filter).toEqual([{ terms: { channelId: [3, 4] } }, { range: { publishedAt: { gte: 1000, lt: 2000 } } }]);
    expect(body.sort).toEqual([{ _score: 'desc' }, { publishedAt: 'desc' }, { articleId: 'desc' }]);
    // An empty channel list matches nothing (terms of []), as the built-in's "none".
    expect((searchBody(request('招生', { channelIds: [] })) as { query: { bool: { filter: unknown[] } } }).query.bool.filter).toEqual([
      { terms: { channelId: [] } },
    ]);
  });

  it('asks for the newest matches of each term alone, and for one more than the cap when listing matches', () => {
    const r = request('光伏 装机');
    const one = termMatchesBody(r, r.terms[1]!, 200) as { size: number; track_total_hits: number; sort: unknown[]; query: { bool: { must: unknown[] } } };
    expect(one.size).toBe(200);
    // A term is counted further than a search's total: its rarity weighs it in partial matches.
    expect(one.track_total_hits).toBe(10_000);
    expect(one.sort).toEqual([{ publishedAt: 'desc' }, { articleId: 'desc' }]);
    expect(one.query.bool.must).toEqual([termQuery(r.terms[1]!, true)]);
    expect((matchingBody(r, 5000) as { size: number }).size).toBe(5001);
    // Never past the engine's result window.
    expect((matchingBody(r, 20_000) as { size: number }).size).toBe(10_000);
  });

  it('sends the documents the built-in index keeps, tokens joined by spaces, and index settings with a whitespace analyzer', () => {
    const d = searchDocument({
      id: 7,
      title: '軟體園區地鐵開通',
      subtitle: '',
      summary: '江城',
      bodyText: '砚岚芯发布新品',
      tags: ['科技'],
      channelId: 2,
      publishedAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
    const doc = engineDocument(d);
    expect(doc.articleId).toBe(7);
    expect(doc.channelId).toBe(2);
    // Normalized and segmented here: 軟體 (Taiwan) is indexed as 软件.
    expect(String(doc.t).split(' ')).toContain('软件');
    expect(String(doc.gb).split(' ')).toContain('砚岚');
    const lines = bulkBody([
      { op: 'index', document: d },
      { op: 'delete', id: 9 },
      { op: 'create', document: d },
    ]).split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ index: { _id: '7' } });
    expect(JSON.parse(lines[1]!)).toEqual(doc);
    expect(JSON.parse(lines[2]!)).toEqual({ delete: { _id: '9' } });
    expect(JSON.parse(lines[3]!)).toEqual({ create: { _id: '7' } });
    expect(lines[5]).toBe('');
    expect(INDEX_BODY.settings.index.number_of_shards).toBe(1);
    expect((INDEX_BODY.mappings.properties as Record<string, unknown>).gb).toEqual({ type: 'text', analyzer: 'whitespace' });
  });
});

describe('OpenSearch adapter: answers', () => {
  // A _search answer as the engines document it.
  const answer = {
    took: 5,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: {
      total: { value: 10_000, relation: 'gte' },
      max_score: null,
      hits: [
        { _index: 'inkstone-published', _id: '42', _score: 12.5, sort: [12.5, 1_700_000_000_000, 42] },
        { _index: 'inkstone-published', _id: '7', _score: 3.1, sort: [3.1, 1_600_000_000_000, 7] },
      ],
    },
  };

  it('reads ids in order and a bounded total', () => {
    expect(candidatesFrom(answer)).toEqual({ ids: [42, 7], total: 1_000 });
    expect(termMatchesFrom(answer).count).toBe(10_000);
    // Elasticsearch 6 and rest_total_hits_as_int: a plain number.
    expect(candidatesFrom({ hits: { total: 3, hits: [{ _id: '1' }] } })).toEqual({ ids: [1], total: 3 });
    expect(matchesFrom(answer, 1)).toEqual({ ids: [42], capped: true });
    expect(matchesFrom(answer, 2)).toEqual({ ids: [42, 7], capped: false });
  });

  it("reads each hit's best field from its matched named queries, its time from the sort", () => {
    const named = {
      hits: {
        total: { value: 2, relation: 'eq' },
        hits: [
          { _id: '5', _score: null, sort: [1_700_000_000_000, 5], matched_queries: ['b', 's'] },
          { _id: '3', _score: null, sort: [1_600_000_000_000, 3], matched_queries: { k: 1.2 } },
          { _id: '2', _score: null, sort: [1_500_000_000_000, 2], matched_queries: ['t', 'b'] },
        ],
      },
    };
    expect(termMatchesFrom(named)).toEqual({
      hits: [
        { id: 5, at: 1_700_000_000_000, field: 2 },
        { id: 3, at: 1_600_000_000_000, field: 1 },
        { id: 2, at: 1_500_000_000_000, field: 0 },
      ],
      count: 2,
    });
    expect(bestField(undefined)).toBe(3);
  });

  it('turns an answer it cannot read, and failed bulk items, into 503 search_unavailable', () => {
    const error = { error: { root_cause: [], type: 'index_not_found_exception', reason: 'no such index [x]' }, status: 404 };
    expect(() => candidatesFrom(error)).toThrow(expect.objectContaining({ code: 'search_unavailable', kind: 'unavailable' }));
    const bulk = {
      took: 30,
      errors: true,
      items: [
        { index: { _index: 'test', _id: '1', _version: 1, result: 'created', status: 201 } },
        { create: { _index: 'test', _id: '2', status: 409, error: { type: 'version_conflict_engine_exception', reason: '[2]: version conflict' } } },
      ],
    };
    expect(() => checkBulk(bulk, [409])).not.toThrow();
    expect(() => checkBulk(bulk)).toThrow(expect.objectContaining({ code: 'search_unavailable' }));
    expect(() => checkBulk({ took: 1, errors: false, items: [] })).not.toThrow();
  });
});

describe('INKSTONE_SEARCH_URL', () => {
  it('reads the engine, credentials, index prefix and timeout; refuses what it cannot use', () => {
    expect(parseSearchEngine({})).toBeUndefined();
    expect(parseSearchEngine({ INKSTONE_SEARCH_URL: 'opensearch://search.internal:9200/news' })).toEqual({
      kind: 'opensearch',
      endpoint: { base: 'http://search.internal:9200', authorization: undefined, timeoutMs: 3000 },
      prefix: 'news',
    });
    const tls = parseSearchEngine({
      INKSTONE_SEARCH_URL: 'https://admin:p%40ss@es.example:9243',
      INKSTONE_SEARCH_TIMEOUT_MS: '800',
      INKSTONE_SEARCH_ENGINE: 'elasticsearch',
    });
    expect(tls?.endpoint).toEqual({ base: 'https://es.example:9243', authorization: `Basic ${Buffer.from('admin:p@ss').toString('base64')}`, timeoutMs: 800 });
    expect(tls?.prefix).toBe('inkstone');
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'ftp://x' })).toThrow(/unknown scheme/);
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'meili://x:7700?key=k' })).toThrow(/Meilisearch is not supported yet/);
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'http://x:7700', INKSTONE_SEARCH_ENGINE: 'meilisearch' })).toThrow(/Meilisearch/);
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'http://x:9200/Bad/Prefix' })).toThrow(/prefix/);
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'http://x:9200/a?key=1' })).toThrow(/no query/);
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'http://x:9200', INKSTONE_SEARCH_TIMEOUT_MS: '0' })).toThrow(/TIMEOUT/);
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'http://x:9200', INKSTONE_SEARCH_ENGINE: 'solr' })).toThrow(/INKSTONE_SEARCH_ENGINE/);
    // A password never appears in the message.
    expect(() => parseSearchEngine({ INKSTONE_SEARCH_URL: 'http://u:secret@x:9200/A' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    );
    expect(loadConfig({ INKSTONE_DATA_DIR: '/tmp/inkstone-engine-config', INKSTONE_SECRET: 'x'.repeat(32) }).searchEngine).toBeUndefined();
  });
});

describe('OpenSearch adapter over HTTP', () => {
  /**
   * A server that records what the adapter sends and answers with the engines' documented answer shapes (no engine
   * logic: what is checked is the adapter's requests and how it reads the answers).
   */
  async function replay(answer: (method: string, url: string, body: string) => { status: number; body?: unknown }) {
    const seen: { method: string; url: string; body: string; type?: string; auth?: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'], auth: req.headers.authorization });
        const a = answer(req.method!, req.url!, body);
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body === undefined ? '' : JSON.stringify(a.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorization: 'Basic aW5rOnN0b25l', timeoutMs: 1000 };
    return { seen, endpoint, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('creates the index once when it is missing, writes documents searchable at once, and reads searches, counts and stats', async () => {
    let exists = false;
    const r = await replay((method, url) => {
      if (method === 'HEAD') return { status: exists ? 200 : 404 };
      if (method === 'PUT' && url === '/news-published') {
        exists = true;
        return { status: 200, body: { acknowledged: true, shards_acknowledged: true, index: 'news-published' } };
      }
      if (url.startsWith('/news-published/_doc/'))
        return { status: method === 'DELETE' ? 404 : 201, body: { _index: 'news-published', _id: '7', result: 'created' } };
      if (url === '/news-published/_search')
        return { status: 200, body: { took: 1, timed_out: false, hits: { total: { value: 1, relation: 'eq' }, hits: [{ _id: '7', _score: 2 }] } } };
      if (url === '/news-published/_msearch')
        return {
          status: 200,
          body: {
            took: 2,
            responses: [
              { took: 1, hits: { total: { value: 1, relation: 'eq' }, hits: [{ _id: '7', sort: [5, 7], matched_queries: ['s'] }] }, status: 200 },
              { took: 1, hits: { total: { value: 0, relation: 'eq' }, hits: [] }, status: 200 },
            ],
          },
        };
      if (url === '/news-published/_count') return { status: 200, body: { count: 1, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } } };
      if (url === '/news-published/_stats/docs,store')
        return { status: 200, body: { _all: { primaries: { docs: { count: 1, deleted: 0 }, store: { size_in_bytes: 5120 } }, total: {} } } };
      return { status: 400, body: { error: { type: 'unexpected', reason: url }, status: 400 } };
    });
    try {
      const index = new OpenSearchIndex(r.endpoint, 'news-published', undefined as never, 'published');
      const d = searchDocument({ id: 7, title: '光伏装机', subtitle: '', summary: '', bodyText: '', tags: [], channelId: 1, publishedAt: 5, updatedAt: 5 });
      await index.put(d);
      await index.remove(7);
      expect(await index.search(request('光伏'))).toEqual({ ids: [7], total: 1 });
      expect(await index.termMatches(request('光伏 装机'), 200)).toEqual([
        { hits: [{ id: 7, at: 5, field: 2 }], count: 1 },
        { hits: [], count: 0 },
      ]);
      expect(await index.count()).toBe(1);
      expect(await index.stats()).toEqual({ documents: 1, bytes: 5120 });
      const calls = r.seen.map((s) => `${s.method} ${s.url}`);
      // One HEAD and one PUT of the settings: made once, then remembered.
      expect(calls.filter((c) => c.startsWith('HEAD') || c === 'PUT /news-published')).toEqual(['HEAD /news-published', 'PUT /news-published']);
      expect(calls).toContain('PUT /news-published/_doc/7?refresh=true');
      expect(calls).toContain('DELETE /news-published/_doc/7?refresh=true');
      expect(JSON.parse(r.seen.find((s) => s.method === 'PUT' && s.url === '/news-published')!.body)).toEqual(JSON.parse(JSON.stringify(INDEX_BODY)));
      expect(JSON.parse(r.seen.find((s) => s.url.startsWith('/news-published/_doc/7') && s.method === 'PUT')!.body)).toEqual(engineDocument(d));
      const msearch = r.seen.find((s) => s.url.endsWith('_msearch'))!;
      expect(msearch.type).toBe('application/x-ndjson');
      expect(msearch.body.trimEnd().split('\n')).toHaveLength(4);
      expect(r.seen.every((s) => s.auth === 'Basic aW5rOnN0b25l')).toBe(true);
    } finally {
      await r.close();
    }
  });

  it('takes an index another process created meanwhile, and answers 503 to anything else it cannot use', async () => {
    const r = await replay((method, url) => {
      if (method === 'HEAD') return { status: 404 };
      if (method === 'PUT' && url === '/a')
        return { status: 400, body: { error: { type: 'resource_already_exists_exception', reason: 'index [a/x] already exists' }, status: 400 } };
      if (method === 'PUT' && url === '/b') return { status: 400, body: { error: { type: 'mapper_parsing_exception', reason: 'bad mapping' }, status: 400 } };
      if (url === '/a/_count') return { status: 200, body: { count: 3 } };
      return { status: 503, body: { error: { type: 'cluster_block_exception', reason: 'blocked' }, status: 503 } };
    });
    try {
      expect(await new OpenSearchIndex(r.endpoint, 'a', undefined as never, 'published').count()).toBe(3);
      const b = new OpenSearchIndex(r.endpoint, 'b', undefined as never, 'published');
      await expect(b.count()).rejects.toMatchObject({ code: 'search_unavailable', kind: 'unavailable' });
      // A failed creation is tried again on the next use, not remembered.
      await expect(b.count()).rejects.toMatchObject({ code: 'search_unavailable' });
      expect(r.seen.filter((s) => s.method === 'PUT' && s.url === '/b')).toHaveLength(2);
    } finally {
      await r.close();
    }
  });
});
