import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';

type Who = 'anonymous' | 'author' | 'otherReporter' | 'editor' | 'admin';
const WHO: Who[] = ['anonymous', 'author', 'otherReporter', 'editor', 'admin'];

interface Row {
  action: string;
  request: (id: number) => { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: string; payload?: unknown };
  /** Status per caller; the article is a fresh draft by `author` (a reporter), in the state `setup` leaves it. */
  expected: Record<Who, number>;
  setup?: 'submitted' | 'published';
}

const future = () => new Date(Date.now() + 86400_000).toISOString();

/** Records made once per store for rows that act on something other than the article. */
const fixture = { channelId: 0, topicId: 0, tokenId: 0, target: '' };

const table: Row[] = [
  {
    action: 'create article',
    request: () => ({ method: 'POST', url: '/api/v1/articles', payload: { title: '新稿', channel: 'difang', body: '<p>正文</p>' } }),
    expected: { anonymous: 401, author: 201, otherReporter: 201, editor: 201, admin: 201 },
  },
  {
    action: 'list articles',
    request: () => ({ method: 'GET', url: '/api/v1/articles' }),
    expected: { anonymous: 401, author: 200, otherReporter: 200, editor: 200, admin: 200 },
  },
  {
    action: 'read a draft',
    request: (id) => ({ method: 'GET', url: `/api/v1/articles/${id}` }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'edit a draft',
    request: (id) => ({ method: 'PATCH', url: `/api/v1/articles/${id}`, payload: { title: '改后的标题' } }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'edit a published article',
    setup: 'published',
    request: (id) => ({ method: 'PATCH', url: `/api/v1/articles/${id}`, payload: { title: '更正后的标题' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'submit',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/submit` }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'publish',
    setup: 'submitted',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/publish` }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'schedule',
    setup: 'submitted',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/schedule`, payload: { at: future() } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'unpublish',
    setup: 'published',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/unpublish` }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'revisions of a draft',
    request: (id) => ({ method: 'GET', url: `/api/v1/articles/${id}/revisions` }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  // Security #7: the history of a published article (removed sources, return notes) stays the newsroom's.
  {
    action: 'revisions of a published article',
    setup: 'published',
    request: (id) => ({ method: 'GET', url: `/api/v1/articles/${id}/revisions` }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'read a published article',
    setup: 'published',
    request: (id) => ({ method: 'GET', url: `/api/v1/articles/${id}` }),
    expected: { anonymous: 401, author: 200, otherReporter: 200, editor: 200, admin: 200 },
  },
  {
    action: 'create channel',
    request: (id) => ({ method: 'POST', url: '/api/v1/channels', payload: { slug: `c${id}`, name: '新频道' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 201 },
  },
  {
    action: 'create topic',
    request: (id) => ({ method: 'POST', url: '/api/v1/topics', payload: { slug: `t${id}`, title: '专题', articles: [id] } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 201, admin: 201 },
  },
  // The newsroom UI's routes.
  {
    action: 'return with a comment',
    setup: 'submitted',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/return`, payload: { comment: '请补充信源' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'restore a revision of a draft',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/revisions/1/restore` }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'restore a revision of a published article',
    setup: 'published',
    request: (id) => ({ method: 'POST', url: `/api/v1/articles/${id}/revisions/1/restore` }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'preview a draft',
    request: (id) => ({ method: 'GET', url: `/admin/preview/${id}` }),
    expected: { anonymous: 401, author: 200, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'read the audit log',
    request: () => ({ method: 'GET', url: '/api/v1/audit' }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'list sources',
    request: () => ({ method: 'GET', url: '/api/v1/sources' }),
    expected: { anonymous: 401, author: 200, otherReporter: 200, editor: 200, admin: 200 },
  },
  {
    action: 'add a source',
    request: (id) => ({ method: 'POST', url: '/api/v1/sources', payload: { name: `来源${id}`, url: 'https://example.com/' } }),
    expected: { anonymous: 401, author: 201, otherReporter: 201, editor: 201, admin: 201 },
  },
  {
    action: 'list accounts',
    request: () => ({ method: 'GET', url: '/api/v1/accounts' }),
    expected: { anonymous: 401, author: 200, otherReporter: 200, editor: 200, admin: 200 },
  },
  {
    action: 'create an account',
    request: (id) => ({ method: 'POST', url: '/api/v1/accounts', payload: { username: `new${id}`, role: 'reporter', password: 'a long enough password' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 201 },
  },
  {
    action: 'change an account',
    request: () => ({ method: 'PATCH', url: `/api/v1/accounts/${fixture.target}`, payload: { displayName: '新名字' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 200 },
  },
  {
    action: "reset another's password",
    request: () => ({ method: 'POST', url: `/api/v1/accounts/${fixture.target}/password`, payload: { password: 'another long password' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 204 },
  },
  {
    action: 'list API tokens',
    request: () => ({ method: 'GET', url: '/api/v1/tokens' }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 200 },
  },
  {
    action: 'create an API token',
    request: () => ({ method: 'POST', url: '/api/v1/tokens', payload: { username: fixture.target, name: '脚本' } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 201 },
  },
  {
    action: 'revoke an API token',
    request: () => ({ method: 'DELETE', url: `/api/v1/tokens/${fixture.tokenId}` }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 204 },
  },
  {
    action: 'rename a channel',
    request: (id) => ({ method: 'PATCH', url: `/api/v1/channels/${fixture.channelId}`, payload: { name: `科技${id}` } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 403, admin: 200 },
  },
  {
    action: 'edit a topic',
    request: (id) => ({ method: 'PATCH', url: `/api/v1/topics/${fixture.topicId}`, payload: { articles: [id] } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'set a home-page slot',
    setup: 'published',
    request: (id) => ({ method: 'PUT', url: '/api/v1/slots/headline', payload: { items: [{ article: id }] } }),
    expected: { anonymous: 401, author: 403, otherReporter: 403, editor: 200, admin: 200 },
  },
  {
    action: 'open the newsroom shell',
    request: () => ({ method: 'GET', url: '/admin' }),
    expected: { anonymous: 200, author: 200, otherReporter: 200, editor: 200, admin: 200 },
  },
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
    const admin = { authorization: auth.admin };
    fixture.target = (await t.user('reporter')).username;
    fixture.channelId = json(await t.app.inject({ url: '/api/v1/channels' })).items.find((c: { path: string }) => c.path === 'keji').id;
    fixture.topicId = json(await t.app.inject({ method: 'POST', url: '/api/v1/topics', headers: admin, payload: { slug: 'matrix', title: '矩阵专题' } })).id;
    fixture.tokenId = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: admin, payload: { username: fixture.target, name: '待撤销' } }),
    ).id;
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
    // API routes explain a refusal in JSON; newsroom pages answer with an HTML page of that status.
    if (status >= 400 && req.url.startsWith('/api/')) expect(json(res).error.code).toMatch(/^(unauthorized|forbidden)$/);
    if (req.url.startsWith('/admin')) expect(res.headers['cache-control']).toBe('no-store');
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

  it('two admins taking away each other’s admin role or account at once: one of them stays an admin', async () => {
    for (const change of [{ role: 'editor' }, { disabled: true }]) {
      const a = await t.user('admin');
      const b = await t.user('admin');
      const [ab, ba] = await Promise.all([
        t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${b.username}`, headers: { authorization: a.auth }, payload: change }),
        t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${a.username}`, headers: { authorization: b.auth }, payload: change }),
      ]);
      // The second to run acts with a role (or account) it no longer has: refused, as signed out (401) if its request
      // came in after the change, as no longer an admin (403) if it was already under way.
      const statuses = [ab.statusCode, ba.statusCode].sort();
      expect(statuses[0]).toBe(200);
      expect([401, 403]).toContain(statuses[1]);
      const admins = (await t.ctx.store.accounts.list()).filter((x) => (x.id === a.id || x.id === b.id) && x.role === 'admin' && x.disabledAt === null);
      expect(admins).toHaveLength(1);
    }
  });
});
