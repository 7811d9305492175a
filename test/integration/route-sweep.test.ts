import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

/**
 * Every route the app registers, found from the app itself (so a route added later is swept too), is sent hostile
 * path parameters, query strings and bodies, signed in as an admin (the role that reaches the most code). Whatever
 * the request, the answer is never a 5xx, and a JSON error is in the one shape `{"error":{"code","message"}}`.
 * bad-input.test.ts holds the exact answers for the cases a user meets; this is the net under everything else.
 */

interface Route {
  method: string;
  path: string;
}

/** The routes from Fastify's printed tree (each line: a path segment appended to its parent's path, then its methods). */
function routesOf(tree: string): Route[] {
  const out: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ├└─]*?)(?:[├└]── )?(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const full = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push({ method, path: full.replace(/^\/\//, '/') });
  }
  return out;
}

const HOSTILE_SEGMENTS = [
  '0',
  '-1',
  '1.5',
  '1e3',
  '0x10',
  '99999999999999999999',
  '%20%31',
  '%E4%B8',
  '%00',
  '%2e%2e%2f%2e%2e%2fsecret',
  'a%2Fb',
  '%F0%9F%92%A5',
  '%ED%A0%80',
  'x'.repeat(3000),
];

const HOSTILE_QUERIES = [
  'limit=-1&offset=-5',
  'limit=1e309&page=abc',
  'limit=1&limit=2&q=a&q=b',
  'q=%FF%FE&tag=%E4%B8',
  'cursor=%00&before=not-a-date&after=9999-99-99',
  'page=99999999999999999999&channel=..%2F..%2Fx',
  `q=${'测'.repeat(3000)}`,
  'status=bogus&sort=bogus&kind=bogus&role=bogus&state=bogus',
  'from=2026-13-45&to=x&since=-1&until=1e99',
  'id=__proto__&constructor=x&__proto__[x]=1',
];

const WRONG = { a: {}, b: [], c: 1e308, d: -1, e: 'x', f: null, g: true };
/** Field names our JSON bodies use, each given a value of the wrong type, so a body reaches past the first field. */
const FIELDS = [
  'title',
  'body',
  'summary',
  'tags',
  'channelId',
  'channel',
  'status',
  'revision',
  'id',
  'ids',
  'items',
  'articleIds',
  'options',
  'text',
  'name',
  'slug',
  'parentId',
  'role',
  'username',
  'password',
  'word',
  'words',
  'mode',
  'reason',
  'at',
  'publishAt',
  'closesAt',
  'kind',
  'action',
  'choices',
  'optionIds',
  'content',
  'alt',
  'caption',
  'credit',
  'url',
  'prefix',
  'term',
  'synonyms',
  'pins',
  'excluded',
  'reaction',
  'displayName',
  'disabled',
  'question',
  'multiple',
];
const wrongBody = (pick: keyof typeof WRONG) => JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, WRONG[pick]])));

const HOSTILE_BODIES: { type: string; body: string }[] = [
  { type: 'application/json', body: '' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '"文字"' },
  { type: 'application/json', body: '1e999' },
  { type: 'application/json', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' },
  { type: 'application/json', body: '{"title":"\\ud800","body":"<p>\\udfff</p>","name":"\\ud83d"}' },
  ...(Object.keys(WRONG) as (keyof typeof WRONG)[]).map((k) => ({ type: 'application/json', body: wrongBody(k) })),
  { type: 'application/json', body: JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, '长'.repeat(20_000)]))) },
  { type: 'text/plain', body: 'x' },
  { type: 'application/x-www-form-urlencoded', body: 'a=1&a=2&title=%E4%B8&choice=__proto__' },
  { type: 'multipart/form-data; boundary=zz', body: '--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n' },
];

/** Routes a sweep must not send to: a stream that never ends, and the signing-out and token revoking of the sweep's own admin. */
const SKIP = (r: Route) => r.path.endsWith('/live/events') || (r.method === 'DELETE' && (r.path === '/api/v1/session' || r.path === '/api/v1/tokens/:id'));

describe.each(STORES)('every route on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let real: Record<string, string>;
  let routes: Route[];
  const bad: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = (await t.user('admin')).auth;
    const reporter = await t.user('reporter');
    await createChannels(t.app, admin);
    const id = String((await createArticle(t.app, reporter.auth)).id);
    await publish(t.app, admin, Number(id));
    // Real values for each parameter: hostile bodies then reach the handlers rather than stopping at a 404.
    real = { id, entryId: '1', cid: '1', n: '1', slot: 'home-top', username: reporter.username, slug: 'keji', file: 'site.css', shard: '1', '*': 'a/1' };
    // Deletions last, so the rest reach a live article.
    routes = routesOf(t.app.printRoutes({ commonPrefix: false }))
      .filter((r) => !SKIP(r))
      .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  });
  afterAll(() => t?.close());

  const fill = (path: string, value: (name: string) => string) =>
    path.replace(/:([A-Za-z]+)/g, (_, name: string) => value(name)).replace(/\*$/, () => value('*'));

  async function check(options: InjectOptions & { url: string }) {
    const res = await t.app.inject({ ...options, headers: { authorization: admin, ...options.headers } });
    const where = `${options.method} ${options.url.slice(0, 120)}${options.payload ? ` ${String(options.payload).slice(0, 60)}` : ''}`;
    if (res.statusCode >= 500) bad.push(`${where} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    else if (res.statusCode >= 400 && String(res.headers['content-type']).startsWith('application/json')) {
      const error = json(res).error;
      if (typeof error?.code !== 'string' || typeof error?.message !== 'string')
        bad.push(`${where} → ${res.statusCode} not in the error shape: ${res.body.slice(0, 200)}`);
    }
  }

  it('finds the routes from the app', () => {
    expect(routes.length).toBeGreaterThan(100);
    expect(routes).toContainEqual({ method: 'PATCH', path: '/api/v1/articles/:id/live/entries/:entryId' });
    expect(routes).toContainEqual({ method: 'GET', path: '/a/:id/comments' });
  });

  it('answers hostile path parameters with a 4xx, never a 5xx', async () => {
    for (const route of routes) {
      if (!route.path.includes(':') && !route.path.endsWith('*')) continue;
      for (const segment of HOSTILE_SEGMENTS) {
        const write = route.method !== 'GET';
        await check({ method: route.method as InjectOptions['method'], url: fill(route.path, () => segment), ...(write ? { payload: {} } : {}) });
      }
    }
    expect(bad).toEqual([]);
  });

  it('answers hostile query strings on every GET with a 4xx or a page, never a 5xx', async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      for (const query of HOSTILE_QUERIES) await check({ method: 'GET', url: `${fill(route.path, (name) => real[name] ?? '1')}?${query}` });
    }
    expect(bad).toEqual([]);
  });

  it('answers hostile bodies on every write with a 4xx, never a 5xx', async () => {
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      for (const { type, body } of HOSTILE_BODIES) {
        await check({
          method: route.method as InjectOptions['method'],
          url: fill(route.path, (name) => real[name] ?? '1'),
          headers: { 'content-type': type },
          payload: body,
        });
      }
    }
    expect(bad).toEqual([]);
  });
});
