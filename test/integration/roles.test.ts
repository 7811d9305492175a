import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';

type Who = 'anonymous' | 'author' | 'otherReporter' | 'editor' | 'admin';
const WHO: Who[] = ['anonymous', 'author', 'otherReporter', 'editor', 'admin'];

interface Row {
  action: string;
  request: (id: number) => { method: 'GET' | 'POST' | 'PATCH'; url: string; payload?: unknown };
  /** Status per caller; the article is a fresh draft by `author` (a reporter), in the state `setup` leaves it. */
  expected: Record<Who, number>;
  setup?: 'submitted' | 'published';
}

const future = () => new Date(Date.now() + 86400_000).toISOString();

const table: Row[] = [
  { action: 'create article', request: () => ({ method: 'POST', url: '/api/v1/articles', payload: { title: '新稿', channel: 'difang', body: '<p>正文</p>' } }), expected: { anonymous: 401, author: 201, otherReporter: 201, editor: 201, admin: 201 } },
  { action: 'list articles', request: () => ({ method: 'GET', url: '/api/v1/articles' }), expected: { anonymous: 401, author: 200, otherReporter: 200, editor: 200, admin: 200 } },
  { action: 'read a draft', request: (id) => ({ method: 'GET', url: `/api/v1/articles/${id}` }), expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'edit a draft', request: (id) => ({ method: 'PATCH', url: `/api/v1/articles/${id}`, payload: { title: '改后的标题' } }), expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'edit a published article', setup: 'published', request: (id) => ({ method: 'PATCH', url: `/api/v1/articles/${id}`, payload: { title: '更正后的标题' } }), expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'submit', request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/submit` }), expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'publish', setup: 'submitted', request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/publish` }), expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'schedule', setup: 'submitted', request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/schedule`, payload: { at: future() } }), expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'unpublish', setup: 'published', request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/unpublish` }), expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'revisions of a draft', request: (id) => ({ method: 'GET', url: `/api/v1/articles/${id}/revisions` }), expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 } },
  { action: 'create channel', request: (id) => ({ method: 'POST', url: '/api/v1/channels', payload: { slug: `c${id}`, name: '新频道' } }), expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 201 } },
  { action: 'create topic', request: (id) => ({ method: 'POST', url: '/api/v1/topics', payload: { slug: `t${id}`, title: '专题', articles: [id] } }), expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 201, admin: 201 } },
];

describe.each(STORES)('role × action matrix on %s', (kind) => {
  let t: TestApp;
  const auth = {} as Record<Who, string | undefined>;

  beforeAll(async () => {
    t = await startTestApp(kind);
    auth.admin = (await t.user('admin')).auth;
    auth.editor = (await t.user('editor')).auth;
    auth.author = (await t.user('reporter')).auth;
    auth.otherReporter = (await t.user('reporter')).auth;
    auth.anonymous = undefined;
    await createChannels(t.app, auth.admin);
  });
  afterAll(() => t.close());

  const cells = table.flatMap((row) => WHO.map((who) => [row.action, who, row.expected[who], row] as const));

  it.each(cells)('%s as %s → %i', async (_action, who, status, row) => {
    const article = await createArticle(t.app, auth.author!);
    if (row.setup) {
      await t.app.inject({ method: 'POST', url: `/api/v1/articles/${article.id}/submit`, headers: { authorization: auth.author! } });
      if (row.setup === 'published') {
        await t.app.inject({ method: 'POST', url: `/api/v1/articles/${article.id}/publish`, headers: { authorization: auth.editor! } });
      }
    }
    const req = row.request(article.id);
    const res = await t.app.inject({ ...req, payload: req.payload as object | undefined, headers: auth[who] ? { authorization: auth[who] } : {} });
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) expect(json(res).error.code).toMatch(/^(unauthorized|forbidden)$/);
  });

  it('shows a reporter only their own articles in the newsroom list', async () => {
    const mine = await createArticle(t.app, auth.author!);
    const theirs = await createArticle(t.app, auth.otherReporter!);
    const ids = (res: { body: string }) => json(res).items.map((a: { id: number }) => a.id);
    const forAuthor = ids(await t.app.inject({ url: '/api/v1/articles?limit=100', headers: { authorization: auth.author! } }));
    expect(forAuthor).toContain(mine.id);
    expect(forAuthor).not.toContain(theirs.id);
    const forEditor = ids(await t.app.inject({ url: '/api/v1/articles?limit=100', headers: { authorization: auth.editor! } }));
    expect(forEditor).toEqual(expect.arrayContaining([mine.id, theirs.id]));
  });
});
