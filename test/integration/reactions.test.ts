import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmac } from '../../src/domain/crypto.ts';
import { checkReactionCounts, getReactions, topByReactions, topByViews } from '../../src/domain/reactions/service.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { countsFromRows, readerCookie, vote, voteRows } from '../support/reactions.ts';
import { STORES } from '../support/stores.ts';
import type { ReactionTables } from '../../src/storage/repositories/reactions.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const zero = { happy: 0, sad: 0, like: 0, pass: 0 };

describe.each(STORES)('mood votes on %s', (kind) => {
  let t: TestApp;
  let editor: string;
  let reporter: string;

  const published = async () => {
    const a = await createArticle(t.app, editor);
    await publish(t.app, editor, a.id);
    return a.id;
  };
  const reactions = async (id: number, cookie?: string) =>
    t.app.inject({ url: `/api/v1/articles/${id}/reactions`, headers: cookie ? { cookie: `inkstone_reader=${cookie}` } : {} });
  const db = () => t.db.database.db.withTables<ReactionTables>();

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = (await t.user('editor')).auth;
    reporter = (await t.user('reporter')).auth;
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  it('counts every mood from zero and sets a signed, httpOnly reader cookie on the first vote', async () => {
    const id = await published();
    const before = await reactions(id);
    expect(before.statusCode).toBe(200);
    expect(json(before)).toEqual({ counts: zero, mine: null });
    expect(readerCookie(before)).toBeUndefined();

    const res = await vote(t.app, id, 'happy');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ counts: { ...zero, happy: 1 }, mine: 'happy' });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Max-Age=31536000/);
    expect(setCookie).not.toMatch(/Secure/); // the test site is http
    const cookie = readerCookie(res)!;
    const [readerId, signature] = cookie.split('.');
    expect(signature).toBe(hmac(t.config.secret, readerId!));

    expect(json(await reactions(id, cookie))).toEqual({ counts: { ...zero, happy: 1 }, mine: 'happy' });
    expect(await getReactions(t.ctx, id, readerId)).toEqual({ counts: { ...zero, happy: 1 }, mine: 'happy' });
  });

  it('marks the reader cookie Secure when the site is https', async () => {
    const https = await startTestApp(kind, { INKSTONE_SITE_URL: 'https://news.example.test' });
    try {
      const admin = await https.user('admin');
      await createChannels(https.app, admin.auth);
      const a = await createArticle(https.app, admin.auth);
      await publish(https.app, admin.auth, a.id);
      const res = await vote(https.app, a.id, 'like');
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await https.close();
    }
  });

  it('moves a vote to another mood and changes nothing on the same mood again', async () => {
    const id = await published();
    const cookie = readerCookie(await vote(t.app, id, 'happy'))!;
    await vote(t.app, id, 'like', { ip: '10.0.0.2' });

    const moved = await vote(t.app, id, 'sad', { cookie });
    expect(json(moved)).toEqual({ counts: { ...zero, sad: 1, like: 1 }, mine: 'sad' });
    expect(readerCookie(moved)).toBeUndefined(); // a returning reader keeps their cookie

    const again = await vote(t.app, id, 'sad', { cookie });
    expect(again.statusCode).toBe(200);
    expect(json(again)).toEqual({ counts: { ...zero, sad: 1, like: 1 }, mine: 'sad' });
    expect(await voteRows(db(), id)).toHaveLength(2);
    expect(await countsFromRows(db(), id)).toEqual({ ...zero, sad: 1, like: 1 });
  });

  it('ignores forged and unsigned reader cookies', async () => {
    const id = await published();
    const genuine = readerCookie(await vote(t.app, id, 'happy'))!;
    const [readerId] = genuine.split('.');
    const forgeries = [
      `${readerId}.${'A'.repeat(43)}`,
      readerId!,
      `${readerId}.`,
      'x.y',
      `${'B'.repeat(22)}.${hmac('another-secret-0123456789', 'B'.repeat(22))}`,
    ];
    for (const forged of forgeries) {
      // Someone else's id with a made-up signature is a new reader: it cannot move the genuine reader's vote.
      expect(json(await reactions(id, forged)).mine).toBeNull();
      const res = await vote(t.app, id, 'sad', { cookie: forged, ip: '10.7.0.1' });
      expect(res.statusCode).toBe(200);
      expect(readerCookie(res)).not.toBe(forged);
    }
    expect(json(await reactions(id, genuine))).toEqual({ counts: { ...zero, happy: 1, sad: forgeries.length }, mine: 'happy' });
  });

  it('refuses bad input with a 4xx JSON error and counts nothing', async () => {
    const id = await published();
    const cookie = readerCookie(await vote(t.app, id, 'happy'))!;
    const draft = await createArticle(t.app, editor);
    const withdrawn = await published();
    await vote(t.app, withdrawn, 'like');
    const off = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${withdrawn}/unpublish`, headers: { authorization: editor } });
    expect(off.statusCode).toBe(200);

    const raw = (payload: string, contentType = 'application/json') =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/articles/${id}/reactions`,
        headers: { 'content-type': contentType, cookie: `inkstone_reader=${cookie}` },
        payload,
      });
    const cases: [string, Promise<{ statusCode: number; body: string }>, number, string?][] = [
      ['unknown mood', vote(t.app, id, 'angry', { cookie }), 400, 'unknown_mood'],
      ['mood as a number', vote(t.app, id, 1, { cookie }), 400],
      ['mood as a list', vote(t.app, id, ['happy'], { cookie }), 400],
      ['empty mood', vote(t.app, id, '', { cookie }), 400],
      ['no mood', raw('{}'), 400, 'required'],
      ['extra field', raw('{"mood":"sad","count":100}'), 400, 'unknown_field'],
      ['not JSON', raw('{mood:'), 400, 'invalid_json'],
      ['id not a number', vote(t.app, 'abc', 'sad', { cookie }), 400],
      ['unknown article', vote(t.app, 999_999, 'sad', { cookie }), 404, 'not_found'],
      ['draft', vote(t.app, draft.id, 'sad', { cookie }), 404, 'not_found'],
      ['unpublished', vote(t.app, withdrawn, 'sad'), 404, 'not_found'],
    ];
    for (const [name, pending, status, code] of cases) {
      const res = await pending;
      expect(res.statusCode, name).toBe(status);
      const body = json(res);
      expect(body.error, name).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      if (code) expect(body.error.code, name).toBe(code);
    }
    expect((await reactions(withdrawn)).statusCode).toBe(404);
    expect((await reactions(draft.id)).statusCode).toBe(404);
    expect(json(await reactions(id, cookie))).toEqual({ counts: { ...zero, happy: 1 }, mine: 'happy' });
    expect(await voteRows(db(), id)).toHaveLength(1);
    expect(await voteRows(db(), draft.id)).toHaveLength(0);
  });

  it('records votes from the no-JavaScript form and lands on the acknowledgement page', async () => {
    const id = await published();
    const form = (body: string, cookie?: string, url = `/a/${id}/mood`) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie: `inkstone_reader=${cookie}` } : {}) },
        payload: body,
      });
    const first = await form('mood=like');
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`/a/${id}/mood`);
    const cookie = readerCookie(first)!;
    expect(cookie).toBeDefined();
    // The form and the API are one reader with one vote.
    expect((await form('mood=pass', cookie)).statusCode).toBe(303);
    expect(json(await reactions(id, cookie))).toEqual({ counts: { ...zero, pass: 1 }, mine: 'pass' });

    expect((await form('mood=angry', cookie)).statusCode).toBe(400);
    expect((await form('mood=sad&extra=1', cookie)).statusCode).toBe(400);
    expect((await form('mood=sad', cookie, '/a/999999/mood')).statusCode).toBe(404);
    expect((await form('mood=sad', cookie, '/a/abc/mood')).statusCode).toBe(400);
    expect(json(await reactions(id, cookie))).toEqual({ counts: { ...zero, pass: 1 }, mine: 'pass' });
  });

  it('refuses votes and reads posted from another site', async () => {
    const id = await published();
    const evil = { origin: 'https://evil.example' };
    expect((await vote(t.app, id, 'happy', { headers: evil })).statusCode).toBe(403);
    expect((await vote(t.app, id, 'happy', { headers: { origin: 'http://news.example.test' } })).statusCode).toBe(200);
    const beacon = await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/views`, headers: { ...evil, 'user-agent': 'Mozilla/5.0' } });
    expect(beacon.statusCode).toBe(403);
    expect(json(await reactions(id)).counts).toEqual({ ...zero, happy: 1 });
  });

  it('caps cookie-less votes from one address on one article per hour; a forged X-Forwarded-For does not help', async () => {
    const id = await published();
    const statuses: number[] = [];
    let returning: string | undefined;
    for (let i = 0; i < 100; i++) {
      // With TRUST_PROXY off the header is the client's own claim and must not change who is counted.
      const res = await vote(t.app, id, 'happy', { ip: '203.0.113.9', headers: { 'x-forwarded-for': `198.51.${i}.${i}` } });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(json(res).error.code).toBe('too_many_votes');
        expect(readerCookie(res)).toBeUndefined();
      }
      returning ??= readerCookie(res);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(t.config.reactionCapPerHour);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100 - t.config.reactionCapPerHour);
    expect(json(await reactions(id)).counts.happy).toBe(20);
    expect(await voteRows(db(), id)).toHaveLength(20);

    // Readers who already hold a cookie are not new readers: they may still change their vote.
    const changed = await vote(t.app, id, 'sad', { cookie: returning!, ip: '203.0.113.9' });
    expect(changed.statusCode).toBe(200);
    expect(json(changed).counts).toMatchObject({ happy: 19, sad: 1 });
    // Other addresses and other articles have their own allowance.
    expect((await vote(t.app, id, 'happy', { ip: '203.0.114.9' })).statusCode).toBe(200);
    expect((await vote(t.app, await published(), 'happy', { ip: '203.0.113.9' })).statusCode).toBe(200);
    // The next hour starts afresh.
    t.clock.advance(HOUR);
    expect((await vote(t.app, id, 'happy', { ip: '203.0.113.9' })).statusCode).toBe(200);
  });

  it('caps cookie-less votes from one IPv6 /64 as from one address, whichever of its addresses they come from', async () => {
    const id = await published();
    const statuses: number[] = [];
    for (let i = 1; i <= 40; i++) statuses.push((await vote(t.app, id, 'happy', { ip: `2001:db8:5:6::${i.toString(16)}` })).statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(t.config.reactionCapPerHour);
    expect(await voteRows(db(), id)).toHaveLength(t.config.reactionCapPerHour);
    // The next /64 is another household.
    expect((await vote(t.app, id, 'happy', { ip: '2001:db8:5:7::1' })).statusCode).toBe(200);
  });

  it('security: collected reader cookies replayed from one address buy no more votes', async () => {
    const ip = '203.0.113.77';
    const cookies: string[] = [];
    const refusedMints: number[] = [];
    // Harvest: cookie-less votes across several articles, each under the per-article cap.
    for (let _article = 0; cookies.length + refusedMints.length < t.config.readerCookiesPerHour + 10; _article++) {
      const id = await published();
      for (let i = 0; i < t.config.reactionCapPerHour; i++) {
        const res = await vote(t.app, id, 'happy', { ip });
        const cookie = readerCookie(res);
        if (cookie) cookies.push(cookie);
        else refusedMints.push(res.statusCode);
      }
    }
    expect(cookies).toHaveLength(t.config.readerCookiesPerHour);
    expect(new Set(refusedMints)).toEqual(new Set([429]));
    // Replay every collected cookie on one article: at most twice the cap are counted from this address.
    const target = await published();
    const codes: number[] = [];
    for (const cookie of cookies) codes.push((await vote(t.app, target, 'like', { ip, cookie })).statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(t.config.reactionCapPerHour * 2);
    // (The burst hold may keep some of those out of the public counts too.)
    expect(json(await reactions(target)).counts.like).toBeLessThanOrEqual(t.config.reactionCapPerHour * 2);
    // A reader elsewhere is not affected.
    expect((await vote(t.app, target, 'like', { ip: '198.51.100.3' })).statusCode).toBe(200);
    t.clock.advance(HOUR);
  });

  it('believes X-Forwarded-For only from the proxies TRUST_PROXY names', async () => {
    const proxied = await startTestApp(kind, { TRUST_PROXY: '127.0.0.1' });
    try {
      const admin = await proxied.user('admin');
      await createChannels(proxied.app, admin.auth);
      const a = await createArticle(proxied.app, admin.auth);
      await publish(proxied.app, admin.auth, a.id);
      // Behind our proxy each reader is their own address.
      for (let i = 0; i < 30; i++) {
        const res = await vote(proxied.app, a.id, 'like', { ip: '127.0.0.1', headers: { 'x-forwarded-for': `100.${64 + i}.0.1` } });
        expect(res.statusCode).toBe(200);
      }
      // From anywhere else the header is ignored and the cap applies to the sender.
      const codes: number[] = [];
      for (let i = 0; i < 30; i++) {
        codes.push((await vote(proxied.app, a.id, 'sad', { ip: '192.0.2.77', headers: { 'x-forwarded-for': `100.${100 + i}.0.1` } })).statusCode);
      }
      expect(codes.filter((c) => c === 200)).toHaveLength(20);
      const counts = json(await proxied.app.inject({ url: `/api/v1/articles/${a.id}/reactions` })).counts;
      expect(counts).toMatchObject({ like: 30, sad: 20 });
    } finally {
      await proxied.close();
    }
  });

  it('holds a burst from one address prefix out of the public counts until an editor reviews it', async () => {
    const id = await published();
    const burst = t.config.reactionBurstPerMinute;
    const cookies: string[] = [];
    for (let i = 1; i <= burst + 10; i++) {
      const res = await vote(t.app, id, 'happy', { ip: `198.18.7.${i}` });
      expect(res.statusCode).toBe(200);
      cookies.push(readerCookie(res)!);
    }
    expect(json(await reactions(id)).counts.happy).toBe(burst);
    // A held voter still sees their own vote.
    expect(json(await reactions(id, cookies.at(-1))).mine).toBe('happy');
    const rows = await voteRows(db(), id);
    expect(rows.filter((r) => Number(r.held) === 1)).toHaveLength(10);
    // Another prefix in the same minute is not part of the burst.
    expect(json(await vote(t.app, id, 'happy', { ip: '198.18.8.1' })).counts.happy).toBe(burst + 1);

    expect((await t.app.inject({ url: '/api/v1/reactions/held', headers: { authorization: reporter } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/reactions/held' })).statusCode).toBe(401);
    const held = json(await t.app.inject({ url: '/api/v1/reactions/held', headers: { authorization: editor } })).items;
    const group = held.find((g: { articleId: number }) => g.articleId === id);
    expect(group).toMatchObject({ articleId: id, votes: 10 });
    expect(group.prefix).not.toContain('198.18');

    // Changing a held vote keeps it held: the burst cannot be laundered by moving it.
    expect(json(await vote(t.app, id, 'sad', { cookie: cookies.at(-1) })).counts).toMatchObject({ happy: burst + 1, sad: 0 });

    const review = (decision: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/reactions/held`, headers: { authorization: editor }, payload: { decision } });
    expect((await review('approve')).statusCode).toBe(400);
    const released = await review('release');
    expect(released.statusCode).toBe(200);
    expect(json(released).votes).toBe(10);
    expect(json(await reactions(id)).counts).toMatchObject({ happy: burst + 10, sad: 1 });
    expect(await countsFromRows(db(), id)).toEqual(json(await reactions(id)).counts);

    // A second burst, this time dropped.
    t.clock.advance(60_000);
    for (let i = 1; i <= burst + 5; i++) await vote(t.app, id, 'like', { ip: `198.18.9.${i}` });
    expect(json(await reactions(id)).counts.like).toBe(burst);
    expect(json(await review('discard')).votes).toBe(5);
    expect(json(await reactions(id)).counts.like).toBe(burst);
    expect((await voteRows(db(), id)).filter((r) => Number(r.held) === 1)).toHaveLength(0);
    expect(await countsFromRows(db(), id)).toEqual(json(await reactions(id)).counts);
  });

  it('stores addresses only as hashes salted with the secret', async () => {
    const id = await published();
    await vote(t.app, id, 'happy', { ip: '192.0.2.55' });
    const [row] = await voteRows(db(), id);
    expect(row!.address_hash).toBe(hmac(t.config.secret, 'address:192.0.2.55'));
    expect(row!.address_hash).not.toBe(hmac('some-other-secret-123', 'address:192.0.2.55'));
    expect(JSON.stringify(row)).not.toContain('192.0.2');
  });

  it('counts reads from the beacon once per reader per article per hour, bots excluded', async () => {
    const id = await published();
    const browser = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.47';
    // What navigator.sendBeacon sends: text/plain with an empty body.
    const beacon = (ua: string, ip = '192.0.2.10', articleId = id, cookie?: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/articles/${articleId}/views`,
        remoteAddress: ip,
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': ua, ...(cookie ? { cookie: `inkstone_reader=${cookie}` } : {}) },
        payload: '',
      });
    const views = async () => (await topByViews(t.ctx, { window: '24h', limit: 50 })).find((r) => r.articleId === id)?.count ?? 0;

    const first = await beacon(browser);
    expect(first.statusCode).toBe(204);
    expect(first.body).toBe('');
    expect((await beacon(browser)).statusCode).toBe(204);
    expect(await views()).toBe(1);
    await beacon(browser, '192.0.2.11');
    await beacon('Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36');
    expect(await views()).toBe(3);
    for (const bot of [
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; Baiduspider/2.0)',
      'curl/8.5.0',
      '',
    ]) {
      expect((await beacon(bot, '192.0.2.99')).statusCode).toBe(204);
    }
    expect(await views()).toBe(3);
    // A reader with a cookie is one reader wherever they read from.
    const cookie = readerCookie(await vote(t.app, id, 'like', { ip: '192.0.2.20' }))!;
    await beacon(browser, '192.0.2.21', id, cookie);
    await beacon(browser, '192.0.2.22', id, cookie);
    expect(await views()).toBe(4);
    // Also without any content type, and a JSON one.
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/views`, headers: { 'user-agent': browser }, remoteAddress: '192.0.2.30' })).statusCode,
    ).toBe(204);
    expect(await views()).toBe(5);

    expect((await beacon(browser, '192.0.2.10', 999_999)).statusCode).toBe(404);
    const draft = await createArticle(t.app, editor);
    expect((await beacon(browser, '192.0.2.10', draft.id)).statusCode).toBe(404);

    t.clock.advance(HOUR);
    await beacon(browser);
    expect(await views()).toBe(6);
    const ranking = json(await t.app.inject({ url: '/api/v1/rankings/views?window=24h&limit=50' }));
    expect(ranking.window).toBe('24h');
    expect(ranking.items.find((i: { id: number }) => i.id === id)).toMatchObject({ id, count: 6, url: `http://news.example.test/a/${id}` });
  });

  it('counts no more reads of one article from one address an hour than new voices it would take: a changed browser string is no new reader', async () => {
    const id = await published();
    const views = async () => (await topByViews(t.ctx, { window: '24h', limit: 50 })).find((r) => r.articleId === id)?.count ?? 0;
    const read = (ua: string, ip: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/views`, remoteAddress: ip, headers: { 'user-agent': ua } });
    const cap = t.config.reactionCapPerHour * 2;
    // One script, one address, a made-up iPhone each time (and the same from rotating addresses in one IPv6 /64).
    for (let i = 0; i < cap + 30; i++) {
      expect((await read(`Mozilla/5.0 (iPhone; CPU iPhone OS 17_${i} like Mac OS X) Safari/604.1`, '198.51.100.40')).statusCode).toBe(204);
    }
    expect(await views()).toBe(cap);
    for (let i = 1; i <= cap + 30; i++) await read('Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36', `2001:db8:9:9::${i.toString(16)}`);
    expect(await views()).toBe(2 * cap);
    // Readers elsewhere still count, and the next hour starts afresh.
    await read('Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36', '198.51.100.41');
    expect(await views()).toBe(2 * cap + 1);
    t.clock.advance(HOUR);
    await read('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1', '198.51.100.40');
    expect(await views()).toBe(2 * cap + 2);
  });

  it('ranks by votes cast inside the window, not by the time of the last vote', async () => {
    const now = t.clock.now();
    const [old, fresh, hidden] = [await published(), await published(), await published()];
    // Five votes two days ago on `old` — injected through the clock, not by waiting.
    t.clock.set(now - 2 * DAY);
    const oldReaders: string[] = [];
    for (let i = 0; i < 5; i++) oldReaders.push(readerCookie(await vote(t.app, old, 'happy', { ip: `172.16.${i}.1` }))!);
    for (let i = 0; i < 4; i++) await vote(t.app, hidden, 'happy', { ip: `172.17.${i}.1` });
    t.clock.set(now);
    for (let i = 0; i < 3; i++) await vote(t.app, fresh, 'happy', { ip: `172.18.${i}.1` });
    // A fresh vote on `old` makes its last vote recent; only that vote falls inside 24 h.
    await vote(t.app, old, 'happy', { ip: '172.19.0.1' });
    await t.app.inject({ method: 'POST', url: `/api/v1/articles/${hidden}/unpublish`, headers: { authorization: editor } });

    const top = async (window: '24h' | '7d' | '30d') =>
      (await topByReactions(t.ctx, { mood: 'happy', window, limit: 50 })).filter((r) => [old, fresh, hidden].includes(r.articleId));
    expect(await top('24h')).toEqual([
      { articleId: fresh, count: 3 },
      { articleId: old, count: 1 },
    ]);
    expect(await top('7d')).toEqual([
      { articleId: old, count: 6 },
      { articleId: fresh, count: 3 },
    ]);
    expect(await top('30d')).toEqual(await top('7d'));

    // A vote moved today to another mood leaves the old mood's window and enters the new one's today.
    await vote(t.app, old, 'sad', { cookie: oldReaders[0] });
    expect((await top('7d'))[0]).toEqual({ articleId: old, count: 5 });
    expect((await topByReactions(t.ctx, { mood: 'sad', window: '24h', limit: 50 })).find((r) => r.articleId === old)).toEqual({ articleId: old, count: 1 });
    // Thirty-one days on, nothing of this is in any window.
    t.clock.set(now + 31 * DAY);
    expect(await top('30d')).toEqual([]);
    t.clock.set(now);

    const api = json(await t.app.inject({ url: '/api/v1/rankings/reactions?mood=happy&window=7d&limit=50' }));
    expect(api).toMatchObject({ mood: 'happy', window: '7d' });
    const ids = api.items.map((i: { id: number }) => i.id);
    expect(ids.indexOf(old)).toBeLessThan(ids.indexOf(fresh));
    expect(ids).not.toContain(hidden);
    expect(api.items.find((i: { id: number }) => i.id === old)).toMatchObject({ count: 5, title: expect.any(String) });
    expect(json(await t.app.inject({ url: '/api/v1/rankings/reactions?mood=happy&limit=1' })).items).toHaveLength(1);

    for (const bad of ['mood=angry', 'mood=happy&window=1y', 'window=24h', 'mood=happy&limit=x', 'mood=happy&extra=1']) {
      const res = await t.app.inject({ url: `/api/v1/rankings/reactions?${bad}` });
      expect(res.statusCode, bad).toBe(400);
    }
    expect((await t.app.inject({ url: '/api/v1/rankings/views?window=2d' })).statusCode).toBe(400);
  });

  it('finds and repairs drift between the counts and the vote rows', async () => {
    const id = await published();
    for (let i = 0; i < 3; i++) await vote(t.app, id, 'happy', { ip: `10.44.${i}.1` });
    expect((await checkReactionCounts(t.ctx)).drift).toEqual([]);

    // Damage the derived tables behind the app's back, as a bad restore or a manual edit might.
    await db().updateTable('reaction_counts').set({ count: 7 }).where('article_id', '=', id).where('mood', '=', 'happy').execute();
    await db().insertInto('reaction_counts').values({ article_id: id, mood: 'pass', count: 2 }).execute();
    await db().deleteFrom('reaction_buckets').where('article_id', '=', id).execute();

    const report = await checkReactionCounts(t.ctx, { dryRun: true });
    expect(report.drift).toEqual(
      expect.arrayContaining([
        { table: 'reaction_counts', articleId: id, mood: 'happy', stored: 7, actual: 3 },
        { table: 'reaction_counts', articleId: id, mood: 'pass', stored: 2, actual: 0 },
        expect.objectContaining({ table: 'reaction_buckets', articleId: id, mood: 'happy', stored: 0, actual: 3 }),
      ]),
    );
    expect((await checkReactionCounts(t.ctx, { dryRun: true })).drift).toHaveLength(report.drift.length); // a dry run repairs nothing

    expect((await checkReactionCounts(t.ctx)).drift).toHaveLength(report.drift.length);
    expect((await checkReactionCounts(t.ctx)).drift).toEqual([]);
    expect(json(await reactions(id)).counts).toEqual({ ...zero, happy: 3 });
    expect((await topByReactions(t.ctx, { mood: 'happy', window: '24h', limit: 50 })).find((r) => r.articleId === id)?.count).toBe(3);
  });
});

describe.each(STORES)('configured moods on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { INKSTONE_MOODS: 'happy:开心,angry:愤怒,moved:感动' });
  });
  afterAll(() => t.close());

  it('offers exactly the configured moods', async () => {
    const admin = await t.user('admin');
    await createChannels(t.app, admin.auth);
    const a = await createArticle(t.app, admin.auth);
    await publish(t.app, admin.auth, a.id);
    expect(json(await t.app.inject({ url: `/api/v1/articles/${a.id}/reactions` })).counts).toEqual({ happy: 0, angry: 0, moved: 0 });
    expect(json(await vote(t.app, a.id, 'moved')).counts).toEqual({ happy: 0, angry: 0, moved: 1 });
    expect((await vote(t.app, a.id, 'sad')).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/rankings/reactions?mood=sad' })).statusCode).toBe(400);
    expect((await getReactions(t.ctx, a.id)).counts).toEqual({ happy: 0, angry: 0, moved: 1 });
  });
});
