import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../src/web/json.ts';
import { badTextField } from '../../src/web/validation.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe.each(STORES)('security: requests on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string; username: string };
  let articleId: number;

  beforeAll(async () => {
    t = await startTestApp(kind, { INKSTONE_METRICS_TOKEN: METRICS_TOKEN });
    const admin = await t.user('admin');
    editor = await t.user('editor');
    await createChannels(t.app, admin.auth);
    articleId = (await createArticle(t.app, editor.auth)).id;
    await publish(t.app, editor.auth, articleId);
  });
  afterAll(() => t.close());

  describe('login CSRF', () => {
    const login = (headers: Record<string, string>, payload: string) => t.app.inject({ method: 'POST', url: '/api/v1/session', headers, payload });
    const credentials = () => ({ username: editor.username, password: 'correct horse battery' });

    it('refuses a cross-site form that would sign the victim in as the attacker', async () => {
      const form = new URLSearchParams(credentials()).toString();
      const res = await login({ 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, form);
      expect(res.statusCode).toBe(415);
      expect(res.headers['set-cookie']).toBeUndefined();
      // The same form from our own origin is refused too: only JSON signs in.
      const own = await login({ 'content-type': 'application/x-www-form-urlencoded' }, form);
      expect(own.statusCode).toBe(415);
      expect(json(own).error.code).toBe('unsupported_media_type');
    });

    it('refuses JSON sent by another site, by Origin or by Sec-Fetch-Site', async () => {
      const body = JSON.stringify(credentials());
      for (const headers of <Record<string, string>[]>[
        { origin: 'https://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
      ]) {
        const res = await login({ 'content-type': 'application/json', ...headers }, body);
        expect(res.statusCode, JSON.stringify(headers)).toBe(403);
        expect(json(res).error.code).toBe('bad_origin');
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      const ok = await login({ 'content-type': 'application/json', origin: 'http://news.example.test', 'sec-fetch-site': 'same-origin' }, body);
      expect(ok.statusCode).toBe(200);
      expect(String(ok.headers['set-cookie'])).toMatch(/inkstone_session=/);
    });

    it('parses form bodies only where a no-JavaScript form posts', async () => {
      const vote = await t.app.inject({
        method: 'POST',
        url: `/a/${articleId}/mood`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'mood=happy',
      });
      expect(vote.statusCode).toBe(303);
      const api = await t.app.inject({
        method: 'POST',
        url: '/api/v1/articles',
        headers: { authorization: editor.auth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'title=x&channel=difang&body=y',
      });
      expect(api.statusCode).toBe(415);
    });
  });

  describe('request bodies', () => {
    it('anonymous routes take only small bodies', async () => {
      const big = JSON.stringify({ username: 'a'.repeat(8000), password: 'b' });
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/json' }, payload: big });
      expect(res.statusCode).toBe(413);
      const vote = await t.app.inject({
        method: 'POST',
        url: `/api/v1/articles/${articleId}/reactions`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ mood: 'happy', pad: 'x'.repeat(2000) }),
      });
      expect(vote.statusCode).toBe(413);
      const nestedVote = await t.app.inject({
        method: 'POST',
        url: `/api/v1/articles/${articleId}/reactions`,
        headers: { 'content-type': 'application/json' },
        payload: `{"mood":${nested(100)}}`,
      });
      expect(nestedVote.statusCode).toBe(400);
      expect(json(nestedVote).error.code).toBe('too_deep');
    });

    it('refuses deeply nested JSON before parsing it, and changes nothing', async () => {
      const before = json(await t.app.inject({ url: `/api/v1/articles/${articleId}`, headers: { authorization: editor.auth } }));
      const deep = `{"title":"新标题","tags":${nested(200_000)}}`;
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/articles/${articleId}`,
        headers: { authorization: editor.auth, 'content-type': 'application/json' },
        payload: deep,
      });
      expect(res.statusCode).toBe(400);
      expect(json(res).error.code).toBe('too_deep');
      const after = json(await t.app.inject({ url: `/api/v1/articles/${articleId}`, headers: { authorization: editor.auth } }));
      expect(after.title).toBe(before.title);
      expect(after.revision).toBe(before.revision);
    });
  });

  describe('/metrics', () => {
    it('answers only with the metrics token', async () => {
      expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
      const ok = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('inkstone_http_request_duration_seconds');
    });
  });
});

describe('security: /metrics without a token', () => {
  it('is off', async () => {
    const t = await startTestApp('sqlite');
    try {
      const res = await t.app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('nodejs_version');
      expect(res.body).not.toContain('inkstone_');
    } finally {
      await t.close();
    }
  });
});

describe('security: JSON depth', () => {
  it('counts brackets outside strings only, and stops at the first level too deep', () => {
    expect(jsonDepthExceeds(nested(32), 32)).toBe(false);
    expect(jsonDepthExceeds(nested(33), 32)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 32)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"${'['.repeat(100)}"}`, 32)).toBe(false);
  });
});

describe('security: lone surrogates in JSON', () => {
  const check = (text: string) => badTextField(JSON.parse(text)) !== undefined;

  it('finds half a character in any string or key, and passes whole ones (emoji as escaped pairs too)', () => {
    for (const bad of ['"\\ud800"', '"a\\udc00b"', '["ok","\\udbff"]', '{"x":{"y":"\\ud83d"}}', '{"\\ud800":1}', '"\\ude00\\ud83d"', '"\\uDFFF"']) {
      expect(check(bad), bad).toBe(true);
    }
    for (const good of ['"\\ud83d\\ude00"', '"😀 表情"', '{"a":["\\u4e2d\\u6587"]}', '"\\\\ud800"', '42', 'null']) expect(check(good), good).toBe(false);
  });
});
