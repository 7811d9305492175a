import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { InjectOptions } from 'fastify';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { articleInput, createArticle, createChannels, publish } from '../support/factories.ts';
import { LIMITS } from '../../src/domain/articles/service.ts';

/** Everything a bad request could have touched, to prove a rejected request changed nothing. */
async function snapshot(t: TestApp): Promise<string> {
  const db = t.db.database.db;
  const tables = [
    'articles',
    'article_tags',
    'tags',
    'channels',
    'topics',
    'topic_articles',
    'revisions',
    'audit_events',
    'accounts',
    'api_tokens',
    'comments',
  ] as const;
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    out[table] = await db.selectFrom(table).selectAll().execute();
  }
  out.sequence = (await sql`select 1 as one`.execute(db)).rows;
  return JSON.stringify(out);
}

describe.each(STORES)('bad input on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let adminAuth: string;
  let reporter: string;
  let articleId: number;
  let csrf: { cookie: string; token: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    adminAuth = admin.auth;
    editor = (await t.user('editor')).auth;
    const r = await t.user('reporter');
    reporter = r.auth;
    await createChannels(t.app, admin.auth);
    articleId = (await createArticle(t.app, reporter)).id;
    await publish(t.app, editor, articleId);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: r.username, password: 'correct horse battery' } });
    csrf = { cookie: String(login.headers['set-cookie']).split(';')[0]!, token: json(login).csrfToken };
  });
  afterAll(() => t.close());

  const longTitle = '标'.repeat(201);
  type Case = [name: string, request: () => InjectOptions, status: number, code?: string, field?: string];
  const cases: Case[] = [
    [
      'malformed JSON',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter, 'content-type': 'application/json' }, payload: '{"title": "x",' }),
      400,
      'invalid_json',
    ],
    [
      'JSON that is not an object',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter, 'content-type': 'application/json' }, payload: '[1,2,3]' }),
      400,
    ],
    [
      'title of the wrong type',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ title: 42 }) }),
      400,
      'invalid_input',
      'title',
    ],
    [
      'tags of the wrong type',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ tags: '江城' }) }),
      400,
      'invalid_input',
      'tags',
    ],
    [
      'missing title',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: { channel: 'difang', body: '<p>x</p>' } }),
      400,
      'required',
      'title',
    ],
    [
      'blank title',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ title: '   ' }) }),
      400,
      'required',
      'title',
    ],
    // Publishing needs text (assertPublishable): so does keeping a published article, or readers see an empty page.
    [
      'a published article’s body emptied',
      () => ({ method: 'PATCH', url: `/api/v1/articles/${articleId}`, headers: { authorization: editor }, payload: { body: '<p> </p><p><br></p>' } }),
      400,
      'required',
      'body',
    ],
    [
      'title over 200 characters',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ title: longTitle }) }),
      400,
      'invalid_input',
      'title',
    ],
    [
      'unknown field',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ status: 'published' }) }),
      400,
      'unknown_field',
      'status',
    ],
    [
      'unknown channel',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ channel: 'nowhere/at-all' }) }),
      400,
      'unknown_channel',
      'channel',
    ],
    [
      'javascript: cover URL',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ cover: 'javascript:alert(1)' }) }),
      400,
      'invalid_url',
      'cover',
    ],
    [
      'body over the request limit',
      () => ({
        method: 'POST',
        url: '/api/v1/articles',
        headers: { authorization: reporter },
        payload: articleInput({ body: `<p>${'长'.repeat(1_100_000)}</p>` }),
      }),
      413,
      'payload_too_large',
    ],
    [
      'body over 2 MB',
      () => ({
        method: 'POST',
        url: '/api/v1/articles',
        headers: { authorization: reporter },
        payload: articleInput({ body: `<p>${'长'.repeat(800_000)}</p>` }),
      }),
      400,
      'too_long',
      'body',
    ],
    // Security: nesting and element counts make sanitizing superlinear; the cap holds for the sanitized body too.
    [
      'body nested deeper than the limit',
      () => ({
        method: 'POST',
        url: '/api/v1/articles',
        headers: { authorization: reporter },
        payload: articleInput({ body: '<b>x'.repeat(LIMITS.bodyDepth + 1) }),
      }),
      400,
      'too_complex',
      'body',
    ],
    [
      'body with more elements than the limit',
      () => ({
        method: 'POST',
        url: '/api/v1/articles',
        headers: { authorization: reporter },
        payload: articleInput({ body: '<br>'.repeat(LIMITS.bodyElements + 1) }),
      }),
      400,
      'too_complex',
      'body',
    ],
    [
      'body over 2 MB once sanitized',
      () => ({
        method: 'POST',
        url: '/api/v1/articles',
        headers: { authorization: reporter },
        payload: articleInput({ body: `<p>${'&'.repeat(450_000)}</p>` }),
      }),
      400,
      'too_long',
      'body',
    ],
    [
      'edit with a body nested too deep',
      () => ({
        method: 'PATCH',
        url: `/api/v1/articles/${articleId}`,
        headers: { authorization: editor },
        payload: { body: '<ol><li>x'.repeat(LIMITS.bodyDepth) },
      }),
      400,
      'too_complex',
      'body',
    ],
    [
      'non-JSON content type',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter, 'content-type': 'text/xml' }, payload: '<a/>' }),
      415,
    ],
    [
      'unknown article id',
      () => ({ method: 'PATCH', url: '/api/v1/articles/999999', headers: { authorization: editor }, payload: { title: '新标题' } }),
      404,
      'not_found',
    ],
    ['non-numeric article id', () => ({ method: 'GET', url: '/api/v1/articles/abc', headers: { authorization: editor } }), 400, 'invalid_input', 'id'],
    ['SQL injection in the id', () => ({ method: 'GET', url: '/api/v1/articles/1%20OR%201=1', headers: { authorization: editor } }), 400],
    ['SQL injection in a channel path', () => ({ method: 'GET', url: `/api/v1/feed?channel=${encodeURIComponent("difang' OR '1'='1")}` }), 404, 'not_found'],
    ['empty PATCH', () => ({ method: 'PATCH', url: `/api/v1/articles/${articleId}`, headers: { authorization: editor }, payload: {} }), 400],
    ['bad cursor', () => ({ method: 'GET', url: '/api/v1/feed?cursor=not-a-cursor!' }), 400, 'invalid_cursor', 'cursor'],
    ['forged cursor', () => ({ method: 'GET', url: `/api/v1/feed?cursor=${Buffer.from("1' OR 1=1").toString('base64url')}` }), 400, 'invalid_cursor', 'cursor'],
    ['limit that is not a number', () => ({ method: 'GET', url: '/api/v1/feed?limit=lots' }), 400, 'invalid_input', 'limit'],
    ['missing token', () => ({ method: 'POST', url: '/api/v1/articles', payload: articleInput() }), 401, 'unauthorized'],
    [
      'wrong token',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: 'Bearer ink_forged' }, payload: articleInput() }),
      401,
      'invalid_token',
    ],
    [
      'malformed Authorization header',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' }, payload: articleInput() }),
      401,
      'invalid_token',
    ],
    [
      'cookie write without CSRF token',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { cookie: csrf.cookie }, payload: articleInput() }),
      403,
      'csrf_failed',
    ],
    [
      'cookie write with a wrong CSRF token',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { cookie: csrf.cookie, 'x-csrf-token': 'nope' }, payload: articleInput() }),
      403,
      'csrf_failed',
    ],
    ['reporter publishing', () => ({ method: 'POST', url: `/api/v1/articles/${articleId}/unpublish`, headers: { authorization: reporter } }), 403, 'forbidden'],
    [
      'schedule in the past',
      () => ({ method: 'POST', url: `/api/v1/articles/${articleId}/schedule`, headers: { authorization: editor }, payload: { at: '2001-01-01T00:00:00Z' } }),
      400,
      'in_past',
      'at',
    ],
    [
      'schedule with a bad time',
      () => ({ method: 'POST', url: `/api/v1/articles/${articleId}/schedule`, headers: { authorization: editor }, payload: { at: 'tomorrow' } }),
      400,
      'invalid_input',
      'at',
    ],
    [
      'publishing an already published article',
      () => ({ method: 'POST', url: `/api/v1/articles/${articleId}/publish`, headers: { authorization: editor } }),
      409,
      'invalid_transition',
    ],
    [
      'channel with a bad slug',
      () => ({ method: 'POST', url: '/api/v1/channels', headers: { authorization: adminAuth }, payload: { slug: '../etc', name: 'x' } }),
      400,
      'invalid_slug',
      'slug',
    ],
    [
      'editor creating a channel',
      () => ({ method: 'POST', url: '/api/v1/channels', headers: { authorization: editor }, payload: { slug: 'tiyu', name: '体育' } }),
      403,
      'forbidden',
    ],
    [
      'duplicate channel',
      () => ({ method: 'POST', url: '/api/v1/channels', headers: { authorization: adminAuth }, payload: { slug: 'yaowen', name: '要闻', parent: 'difang' } }),
      409,
      'channel_exists',
      'slug',
    ],
    // PostgreSQL's text cannot hold U+0000: it answered 500 wherever one reached a query (bodies, covers, filters, logins).
    [
      'a NUL character in an article body',
      () => ({ method: 'PATCH', url: `/api/v1/articles/${articleId}`, headers: { authorization: editor }, payload: { body: '<p>a\u0000b</p>' } }),
      400,
      'invalid_input',
      'body',
    ],
    [
      "a NUL character in a new article's tag",
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ tags: ['ok', 'a\u0000'] }) }),
      400,
      'invalid_input',
      'tags.1',
    ],
    [
      'a NUL character in a cover address',
      () => ({
        method: 'PATCH',
        url: `/api/v1/articles/${articleId}`,
        headers: { authorization: editor },
        payload: { cover: 'https://img.example.com/a\u0000.png' },
      }),
      400,
      'invalid_input',
      'cover',
    ],
    [
      'a NUL character in a login',
      () => ({ method: 'POST', url: '/api/v1/session', payload: { username: 'a\u0000', password: 'x' } }),
      400,
      'invalid_input',
      'username',
    ],
    // Half of a surrogate pair (a client cutting a string inside an emoji) was stored as U+FFFD, three of them on SQLite.
    [
      'half of a surrogate pair in a title',
      () => ({
        method: 'PATCH',
        url: `/api/v1/articles/${articleId}`,
        headers: { authorization: editor, 'content-type': 'application/json' },
        payload: '{"title":"江城新闻\\ud83d"}',
      }),
      400,
      'invalid_input',
      'title',
    ],
    ['a NUL character in a public feed filter', () => ({ method: 'GET', url: '/api/v1/feed?channel=a%00' }), 400, 'invalid_input', 'channel'],
    ['a NUL character in a public search filter', () => ({ method: 'GET', url: '/api/v1/search?q=x&channel=a%00' }), 400, 'invalid_input', 'channel'],
    [
      "a NUL character in the newsroom archive's filter",
      () => ({ method: 'GET', url: '/api/v1/articles?channel=a%00', headers: { authorization: editor } }),
      400,
      'invalid_input',
      'channel',
    ],
    [
      "a NUL character in the picture library's search",
      () => ({ method: 'GET', url: '/api/v1/media?q=a%00', headers: { authorization: editor } }),
      400,
      'invalid_input',
      'q',
    ],
    ['unknown API route', () => ({ method: 'GET', url: '/api/v1/nothing-here' }), 404, 'not_found'],
    // JSON's \uD800–\uDFFF escapes alone stand for no character: no store keeps them as sent (a tag was a 500).
    [
      'a tag with a lone surrogate',
      () => ({ method: 'POST', url: '/api/v1/articles', headers: { authorization: reporter }, payload: articleInput({ tags: ['芯片\udfff'] }) }),
      400,
      'invalid_input',
    ],
    [
      'a reader’s comment with a lone surrogate',
      () => ({ method: 'POST', url: `/api/v1/articles/${articleId}/comments`, payload: { nickname: '读者\ud800', body: '说得好\ud83d' } }),
      400,
      'invalid_input',
    ],
    // The router refuses these before any route runs: still our error shape, not the framework's.
    ['malformed percent-encoding in an API path', () => ({ method: 'GET', url: '/api/v1/articles/%E4%B8/reactions' }), 400, 'bad_request'],
    ['an API path parameter longer than the router takes', () => ({ method: 'GET', url: `/api/v1/articles/${'1'.repeat(300)}/reactions` }), 414, 'bad_request'],
  ];

  it('answers a reader page’s malformed address with the site’s HTML error page and its security headers', async () => {
    for (const [url, status] of [
      ['/a/%E4%B8', 400],
      ['/%', 400],
      [`/t/${'x'.repeat(300)}`, 414],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toContain('请求有误');
      expect(res.headers['content-security-policy'], url).toContain("default-src 'self'");
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('answers a request the HTTP parser refuses (headers over 16 KB: a 10,000-character query) in the one error shape', async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const q = encodeURIComponent('高温'.repeat(5_000));
    for (const url of [`/api/v1/search?q=${q}`, `/search?q=${q}`]) {
      const res = await fetch(base + url);
      expect(res.status, url.slice(0, 20)).toBe(431);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error).toEqual({ code: 'bad_request', message: expect.any(String) });
    }
  });

  it('has at least 25 kinds of bad input', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it('a NUL character in a page address is a 400 page, not a 500', async () => {
    for (const url of ['/t/a%00', '/t/a%00/feed.xml']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toMatch(/text\/html/);
    }
  });

  it.each(cases)('%s → clear 4xx JSON error and no change', async (_name, request, status, code, field) => {
    const before = await snapshot(t);
    const res = await t.app.inject(request());
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = json(res);
    expect(typeof body.error.code).toBe('string');
    expect(typeof body.error.message).toBe('string');
    if (code) expect(body.error.code).toBe(code);
    if (field) expect(body.error.field).toBe(field);
    expect(await snapshot(t)).toBe(before);
  });
});
