import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jssdkSignature } from '../../src/domain/wechat/jssdk.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';

describe('WeChat JS-SDK signature', () => {
  it('matches the example in WeChat’s documentation', () => {
    expect(
      jssdkSignature({
        ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
        nonceStr: 'Wm3WZYTPz0wzccnW',
        timestamp: 1414587457,
        url: 'http://mp.weixin.qq.com?params=value',
      }),
    ).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });

  it('ignores the #fragment of the page URL', () => {
    const base = { ticket: 't', nonceStr: 'n', timestamp: 1 };
    expect(jssdkSignature({ ...base, url: 'https://a.example/a/1#moods' })).toBe(jssdkSignature({ ...base, url: 'https://a.example/a/1' }));
  });
});

describe('GET /api/v1/wechat/jssdk', () => {
  // WeChat's API is outside our network: a local server answers as it documents, counting the calls.
  let wechat: Server;
  const calls: string[] = [];
  let t: TestApp;

  beforeAll(async () => {
    wechat = createServer((req, res) => {
      calls.push(req.url!.split('?')[0]!);
      res.setHeader('content-type', 'application/json');
      const q = new URL(req.url!, 'http://x').searchParams;
      if (req.url!.startsWith('/cgi-bin/token')) {
        res.end(
          JSON.stringify(q.get('secret') === 'app-secret' ? { access_token: 'ACCESS', expires_in: 7200 } : { errcode: 40001, errmsg: 'invalid credential' }),
        );
      } else {
        res.end(JSON.stringify(q.get('access_token') === 'ACCESS' ? { errcode: 0, errmsg: 'ok', ticket: 'TICKET', expires_in: 7200 } : { errcode: 40014 }));
      }
    });
    await new Promise<void>((r) => wechat.listen(0, '127.0.0.1', r));
    const port = (wechat.address() as { port: number }).port;
    t = await startTestApp('sqlite', { INKSTONE_WECHAT_APPID: 'wx123', INKSTONE_WECHAT_SECRET: 'app-secret', INKSTONE_WECHAT_API: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await t.close();
    wechat.close();
  });

  it('signs a page of this site with a cached ticket', async () => {
    const url = 'http://news.example.test/a/1';
    const res = await t.app.inject({ url: `/api/v1/wechat/jssdk?url=${encodeURIComponent(url)}` });
    expect(res.statusCode).toBe(200);
    const cfg = json(res);
    expect(cfg.appId).toBe('wx123');
    expect(cfg.signature).toBe(jssdkSignature({ ticket: 'TICKET', nonceStr: cfg.nonceStr, timestamp: cfg.timestamp, url }));
    await t.app.inject({ url: `/api/v1/wechat/jssdk?url=${encodeURIComponent(url)}` });
    expect(calls).toEqual(['/cgi-bin/token', '/cgi-bin/ticket/getticket']);
  });

  it('refuses to sign other sites’ pages', async () => {
    const res = await t.app.inject({ url: `/api/v1/wechat/jssdk?url=${encodeURIComponent('https://evil.example/a/1')}` });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.code).toBe('foreign_url');
  });

  it('is a 404 when WeChat is not configured', async () => {
    const plain = await startTestApp('sqlite');
    try {
      const res = await plain.app.inject({ url: '/api/v1/wechat/jssdk?url=http%3A%2F%2Fnews.example.test%2F' });
      expect(res.statusCode).toBe(404);
      expect(json(res).error.code).toBe('not_configured');
    } finally {
      await plain.close();
    }
  });
});
