import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { PageCache, serveFromCache } from '../../src/web/page-cache.ts';

/** The headers the hot path writes for a hit at `now` (a flat list, as it passes them to writeHead). */
function hit(cache: PageCache, url: string, now: number, encoding?: string): Map<string, string> {
  let written: string[] = [];
  const req = { method: 'GET', url, headers: encoding ? { 'accept-encoding': encoding } : {} } as unknown as IncomingMessage;
  const res = {
    writeHead(_status: number, headers: string[]) {
      written = headers;
    },
    end() {},
  } as unknown as ServerResponse;
  expect(serveFromCache(cache, req, res, now)).toBe(true);
  const out = new Map<string, string>();
  for (let i = 0; i < written.length; i += 2) out.set(written[i]!, written[i + 1]!);
  return out;
}

describe('hits from the hot path (serveFromCache)', () => {
  const rendered = Date.UTC(2026, 11, 7, 12, 0, 0, 400);
  const page = (extra: { until?: number } = {}) => {
    const raw = Buffer.from('<!doctype html><p>页面</p>');
    return {
      status: 200,
      type: 'text/html; charset=utf-8',
      cacheControl: 'public, max-age=60, stale-while-revalidate=300',
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=60, stale-while-revalidate=300' },
      raw,
      expires: rendered + 60_000,
      rendered,
      keys: new Set<string>(),
      bytes: 0,
      ...extra,
    };
  };

  it('say the whole seconds since the render in Age, counted anew as each second passes, in every encoding', () => {
    const cache = new PageCache({ ttlMs: 60_000, maxBytes: 1024 * 1024 });
    cache.store('/a/1', page(), cache.currentGeneration(), rendered);
    for (const encoding of [undefined, 'gzip', 'br']) {
      for (const [after, age] of [
        [0, '0'],
        [999, '0'],
        [1_000, '1'],
        [1_700, '1'],
        [2_000, '2'],
        [59_999, '59'],
      ] as const) {
        const headers = hit(cache, '/a/1', rendered + after, encoding);
        expect(headers.get('age'), `${encoding} +${after} ms`).toBe(age);
        expect(headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=300');
        expect(headers.get('x-cache')).toBe('hit');
      }
    }
  });

  it('of a page shown until a time, say its age and a max-age counted from the render that, less the age, is the seconds left', () => {
    const cache = new PageCache({ ttlMs: 60_000, maxBytes: 1024 * 1024 });
    // Until 10.6 s after the render: the seconds left turn over at +0.6 s, +1.6 s…, the age at +1 s, +2 s…
    cache.store('/p/1', page({ until: rendered + 10_600 }), cache.currentGeneration(), rendered);
    for (const [after, age, maxAge] of [
      [0, '0', 10],
      [700, '0', 9],
      [1_000, '1', 10],
      [1_600, '1', 10],
      [1_700, '1', 9],
      [2_100, '2', 10],
    ] as const) {
      const headers = hit(cache, '/p/1', rendered + after);
      expect(headers.get('age'), `+${after} ms`).toBe(age);
      expect(headers.get('cache-control'), `+${after} ms`).toBe(`public, max-age=${maxAge}`);
    }
  });
});
