import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { json, type TestApp } from './app.ts';

/**
 * The search quality suite (test/fixtures/search): its articles, queries and the newsroom synonyms they assume, the
 * site they are loaded into, and the grading of the answers. test/integration/search.test.ts runs it on the built-in
 * index of both stores, search-engine.test.ts on an external engine.
 */
const fixtures = path.resolve(import.meta.dirname, '../fixtures/search');

export interface FixtureArticle {
  key: string;
  channel: string;
  daysAgo: number;
  title: string;
  summary: string;
  tags: string[];
  body: string;
}

export interface FixtureQuery {
  q: string;
  kind: string;
  /** Each must be in the top 5 (recall@5); the first found gives the reciprocal rank. Empty: nothing may be found. */
  relevant: string[];
  /** The results must be exactly the relevant articles (those holding every word, when some hold only part). */
  exact?: boolean;
  /** The articles holding every word, exactly (the results before `partialFrom`). */
  allWords?: string[];
  /** Articles that must be among the partial results (those holding only some of the words). */
  partial?: string[];
  /** The did-you-mean suggestion the answer must carry. */
  suggestion?: string;
  /** With no relevant articles: partial results may be shown (a typo's other words), articles holding every word not. */
  partialOk?: boolean;
}

/** The newsroom's synonyms the test set assumes (the list starts empty; see docs/API.md). */
export const SYNONYMS = [
  ['北大', '北京大学'],
  ['发改委', '国家发展和改革委员会'],
  ['新能源车', '新能源汽车'],
];

export const articles = JSON.parse(readFileSync(path.join(fixtures, 'articles.json'), 'utf8')) as FixtureArticle[];
export const queries = JSON.parse(readFileSync(path.join(fixtures, 'queries.json'), 'utf8')) as FixtureQuery[];

export const CHANNELS = [
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

export const DAY = 86_400_000;
export const NOW = Date.UTC(2026, 10, 29, 4, 0, 0);

/** The channels, then the articles oldest first (each published at its own time), then the synonyms: keys by article id. */
export async function loadQualitySite(t: TestApp): Promise<Map<number, string>> {
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
  return keyOf;
}

export interface QualityGrade {
  mrr: number;
  recall: number;
  /** Queries with relevant articles (the others must find nothing). */
  ranked: number;
  problems: string[];
  /** Per query: the top five keys and the suggestion, to compare stores. */
  tops: Map<string, string[]>;
}

/** Every query of the suite through the public API, graded: MRR, recall@5, and each way an answer falls short. */
export async function gradeQuality(t: TestApp, keyOf: Map<number, string>): Promise<QualityGrade> {
  let reciprocal = 0;
  let recall = 0;
  let ranked = 0;
  const problems: string[] = [];
  const tops = new Map<string, string[]>();
  const same = (a: string[], b: string[]) => [...a].sort().join() === [...b].sort().join();
  for (const q of queries) {
    const res = await t.app.inject({ url: `/api/v1/search?${new URLSearchParams({ q: q.q, limit: '10' })}` });
    expect(res.statusCode, res.body).toBe(200);
    const answer = json<{ items: { id: number }[]; partialFrom: number | null; suggestion: string | null }>(res);
    const found = answer.items.map((i) => keyOf.get(i.id) ?? `#${i.id}`);
    const cut = answer.partialFrom ?? found.length;
    const allWords = found.slice(0, cut);
    const partial = found.slice(cut);
    tops.set(q.q, [...found.slice(0, 5), `suggestion:${answer.suggestion}`]);
    if (q.suggestion !== undefined && answer.suggestion !== q.suggestion)
      problems.push(`${q.q} (${q.kind}) should suggest ${q.suggestion}, suggested ${answer.suggestion}`);
    if (q.allWords && !same(allWords, q.allWords))
      problems.push(`${q.q} (${q.kind}): articles with every word should be ${q.allWords.join(', ') || 'none'}, were ${allWords.join(', ') || 'none'}`);
    for (const k of q.partial ?? []) if (!partial.includes(k)) problems.push(`${q.q} (${q.kind}): ${k} not among the partial results (${partial.join(', ')})`);
    if (q.relevant.length === 0) {
      if ((q.partialOk ? allWords : found).length > 0) problems.push(`${q.q} (${q.kind}) should find nothing, found ${found.join(', ')}`);
      continue;
    }
    ranked++;
    const first = found.findIndex((k) => q.relevant.includes(k));
    reciprocal += first < 0 ? 0 : 1 / (first + 1);
    const missing = q.relevant.filter((k) => !found.slice(0, 5).includes(k));
    recall += (q.relevant.length - missing.length) / q.relevant.length;
    if (missing.length) problems.push(`${q.q} (${q.kind}): ${missing.join(', ')} not in the top 5 (${found.join(', ')})`);
    if (q.exact && !same(allWords, q.relevant)) problems.push(`${q.q} (${q.kind}) must find exactly ${q.relevant.join(', ')}, found ${allWords.join(', ')}`);
  }
  return { mrr: reciprocal / ranked, recall: recall / ranked, ranked, problems, tops };
}
