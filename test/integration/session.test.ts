import { createRequire } from 'node:module';
import type * as Argon2 from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GROWING_WAIT, growingWait, LOGIN_FAILURES_ALLOWED } from '../../src/domain/accounts/service.ts';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { articleInput, createArticle, createChannels } from '../support/factories.ts';

const PASSWORD = 'correct horse battery';

describe.each(STORES)('sessions, CSRF and login throttling on %s', (kind) => {
  let t: TestApp;
  let username: string;
  let adminAuth: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    adminAuth = admin.auth;
    await createChannels(t.app, admin.auth);
    username = (await t.user('reporter')).username;
  });
  afterAll(() => t.close());

  const login = (password: string, ip = '10.0.0.1', user = username) =>
    t.app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress: ip, payload: { username: user, password } });

  it('signs in with an httpOnly cookie, writes with the CSRF header, and signs out', async () => {
    const res = await login(PASSWORD);
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/inkstone_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const { csrfToken, user } = json(res);
    expect(user).toMatchObject({ username, role: 'reporter' });

    const created = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: { cookie, 'x-csrf-token': csrfToken }, payload: articleInput() });
    expect(created.statusCode).toBe(201);

    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: { cookie, 'x-csrf-token': csrfToken, origin: 'https://evil.example' },
      payload: articleInput(),
    });
    expect(crossSite.statusCode).toBe(403);

    const me = json(await t.app.inject({ url: '/api/v1/session', headers: { cookie } }));
    expect(me.user.username).toBe(username);

    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: { cookie, 'x-csrf-token': csrfToken }, payload: articleInput() });
    expect(after.statusCode).toBe(401);
  });

  it('answers an unknown user exactly as a wrong password', async () => {
    const wrong = await login('wrong password', '10.0.0.9');
    const unknown = await login('wrong password', '10.0.0.9', 'nobody-here');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(json(unknown)).toEqual(json(wrong));
  });

  it('refuses the 6th failed login for an account from one address for 15 minutes', async () => {
    for (let i = 0; i < 5; i++) expect((await login('wrong password', '10.0.0.2')).statusCode).toBe(401);
    const sixth = await login(PASSWORD, '10.0.0.2');
    expect(sixth.statusCode).toBe(429);
    expect(json(sixth).error.code).toBe('too_many_attempts');
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Another address is not punished for this one's failures.
    expect((await login(PASSWORD, '10.0.0.3')).statusCode).toBe(200);
    t.clock.advance(15 * 60 * 1000 + 1000);
    expect((await login(PASSWORD, '10.0.0.2')).statusCode).toBe(200);
  });

  it('expires idle sessions', async () => {
    const res = await login(PASSWORD, '10.0.0.4');
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    expect(json(await t.app.inject({ url: '/api/v1/session', headers: { cookie } })).user).not.toBeNull();
    t.clock.advance(13 * 3600 * 1000);
    expect(json(await t.app.inject({ url: '/api/v1/session', headers: { cookie } })).user).toBeNull();
  });

  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;
  const signIn = async (ip: string, user = username, password = PASSWORD) => {
    const res = await login(password, ip, user);
    expect(res.statusCode, res.body).toBe(200);
    return { cookie: cookieOf(res), csrf: json(res).csrfToken as string };
  };
  const whoAmI = async (cookie: string) => json(await t.app.inject({ url: '/api/v1/session', headers: { cookie } })).user;

  it('waits longer and longer for an address that fails across many accounts', async () => {
    const ip = '10.1.0.1';
    // Spraying one password over many names: each name fails once, so only the per-address count catches it.
    for (let i = 0; i < GROWING_WAIT.addressFree; i++) expect((await login('wrong password', ip, `spray${i}`)).statusCode).toBe(401);
    expect((await login('wrong password', ip, 'spray-next')).statusCode).toBe(401);
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const refused = await login(PASSWORD, ip);
      expect(refused.statusCode).toBe(429);
      expect(json(refused).error.code).toBe('too_many_attempts');
      const wait = Number(refused.headers['retry-after']);
      waits.push(wait);
      t.clock.advance(wait * 1000);
      expect((await login('wrong password', ip, `spray-late${round}`)).statusCode).toBe(401);
    }
    expect(waits).toEqual([1, 2, 3].map((k) => growingWait(GROWING_WAIT.addressFree + k, GROWING_WAIT.addressFree) / 1000));
    expect(waits[2]).toBeGreaterThan(waits[0]!);
    // The right password from that address waits too; the same account from elsewhere does not.
    expect((await login(PASSWORD, ip)).statusCode).toBe(429);
    expect((await login(PASSWORD, '10.1.0.2')).statusCode).toBe(200);
    t.clock.advance(GROWING_WAIT.windowMs);
    expect((await login(PASSWORD, ip)).statusCode).toBe(200);
  });

  it('slows guesses at one account spread over many addresses, but never locks the real person out', async () => {
    const victim = await t.user('editor');
    for (let i = 0; i <= GROWING_WAIT.accountFree; i++) expect((await login('wrong password', `10.2.${i}.1`, victim.username)).statusCode).toBe(401);
    // Security #11 item 9: the right password from an address that never failed gets in, held a moment.
    const started = t.clock.now();
    const fresh = await login(PASSWORD, '10.2.200.1', victim.username);
    expect(fresh.statusCode).toBe(200);
    expect(t.clock.now() - started).toBe(GROWING_WAIT.accountSlowdownMs);
    // Guesses go on being answered, each held as long.
    const guessAt = t.clock.now();
    expect((await login('wrong password', '10.2.201.1', victim.username)).statusCode).toBe(401);
    expect(t.clock.now() - guessAt).toBe(GROWING_WAIT.accountSlowdownMs);
    // One address still gets five tries at the account, then waits.
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED - 1; i++) await login('wrong password', '10.2.201.1', victim.username);
    expect((await login(PASSWORD, '10.2.201.1', victim.username)).statusCode).toBe(429);
    // The admins are told once.
    const audit = json(await t.app.inject({ url: '/api/v1/audit?limit=200', headers: { authorization: (await t.user('admin')).auth } }));
    const notices = audit.items.filter((e: { action: string; subject?: { id?: number } }) => e.action === 'account.login_attack');
    expect(notices).toHaveLength(1);
    t.clock.advance(GROWING_WAIT.windowMs);
  });

  it('checks no more than five guesses from one address sent all at once', async () => {
    const person = (await t.user('reporter')).username;
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => login(`wrong password ${i}`, '10.12.0.1', person)));
    const statuses = burst.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([...Array<number>(LOGIN_FAILURES_ALLOWED).fill(401), ...Array<number>(20 - LOGIN_FAILURES_ALLOWED).fill(429)]);
    expect((await login(PASSWORD, '10.12.0.1', person)).statusCode).toBe(429);
    // Spraying names at once is counted as it goes too: past the free allowance each waits.
    const spray = await Promise.all(Array.from({ length: 20 }, (_, i) => login('wrong password', '10.12.0.2', `burst-spray${i}`)));
    expect(spray.filter((r) => r.statusCode === 401)).toHaveLength(GROWING_WAIT.addressFree + 1);
    t.clock.advance(GROWING_WAIT.windowMs);
    expect((await login(PASSWORD, '10.12.0.1', person)).statusCode).toBe(200);
  });

  it('counts an IPv6 address by its /64: guesses from addresses one host holds share one count', async () => {
    const person = (await t.user('reporter')).username;
    // One host is handed a whole /64 and may send each guess from a new address in it.
    for (let i = 1; i <= LOGIN_FAILURES_ALLOWED; i++) expect((await login('wrong password', `2001:db8:5:6::${i.toString(16)}`, person)).statusCode).toBe(401);
    const next = await login(PASSWORD, '2001:db8:5:6:ffff:1:2:3', person);
    expect(next.statusCode).toBe(429);
    expect(json(next).error.code).toBe('too_many_attempts');
    // Another /64 is another host.
    expect((await login(PASSWORD, '2001:db8:5:7::1', person)).statusCode).toBe(200);
    // Spraying names from one /64 grows the address's wait as from one address.
    for (let i = 0; i < GROWING_WAIT.addressFree + 1; i++) {
      expect((await login('wrong password', `2001:db8:9:9:0:0:${i.toString(16)}:1`, `spray6-${i}`)).statusCode).toBe(401);
    }
    expect((await login(PASSWORD, '2001:db8:9:9::abcd', person)).statusCode).toBe(429);
    t.clock.advance(GROWING_WAIT.windowMs);
    expect((await login(PASSWORD, '2001:db8:5:6::99', person)).statusCode).toBe(200);
  });

  it('throttles an unknown name exactly like a real one', async () => {
    const real = [] as number[];
    const unknown = [] as number[];
    for (let i = 0; i < 6; i++) real.push((await login('wrong password', '10.3.0.1')).statusCode);
    for (let i = 0; i < 6; i++) unknown.push((await login('wrong password', '10.3.0.2', 'nobody-at-all')).statusCode);
    expect(unknown).toEqual(real);
    expect(real.at(-1)).toBe(429);
    t.clock.advance(GROWING_WAIT.windowMs);
  });

  it('spends a full password check on an account imported without a password, as on an unknown name, and refuses it alike', async () => {
    // An export never carries password hashes: an imported account has none until an admin sets one.
    const imported = (await t.user('reporter')).username;
    await t.db.database.db.updateTable('accounts').set({ password_hash: '' }).where('username', '=', imported).execute();
    // The argon2 addon the sign-in loads (one module object per process): which hash each sign-in verified against.
    const argon2 = createRequire(import.meta.url)('@node-rs/argon2') as typeof Argon2;
    const verify = vi.spyOn(argon2, 'verify');
    try {
      const unknown = await login(PASSWORD, '10.6.0.1', 'nobody-imported');
      const noHash = await login(PASSWORD, '10.6.0.2', imported);
      const guess = await login('wrong password', '10.6.0.3', imported);
      for (const res of [noHash, guess]) {
        expect(res.statusCode).toBe(401);
        expect(json(res)).toEqual(json(unknown));
      }
      const hashes = verify.mock.calls.map(([hash]) => String(hash));
      expect(hashes).toHaveLength(3);
      // An argon2 verification of the dummy hash each time, never a check of the empty hash (which fails at once).
      expect(hashes[0]).toMatch(/^\$argon2id\$/);
      expect(hashes).toEqual([hashes[0], hashes[0], hashes[0]]);
    } finally {
      verify.mockRestore();
    }
  });

  it('answers a disabled account exactly as a wrong password, and ends its sessions', async () => {
    const person = (await t.user('reporter')).username;
    const { cookie } = await signIn('10.4.0.1', person);
    const disabled = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/accounts/${person}`,
      headers: { authorization: adminAuth },
      payload: { disabled: true },
    });
    expect(disabled.statusCode).toBe(200);
    expect(await whoAmI(cookie)).toBeNull();
    const refused = await login(PASSWORD, '10.4.0.1', person);
    const wrong = await login('wrong password', '10.4.0.1');
    expect(refused.statusCode).toBe(401);
    expect(json(refused)).toEqual(json(wrong));
  });

  it('gives every login a new session id, even when the browser already sends one', async () => {
    const first = await signIn('10.6.0.1');
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      remoteAddress: '10.6.0.1',
      headers: { cookie: first.cookie },
      payload: { username, password: PASSWORD },
    });
    expect(again.statusCode).toBe(200);
    expect(cookieOf(again)).not.toBe(first.cookie);
    expect(json(again).csrfToken).not.toBe(first.csrf);
  });

  it('ends a session at its absolute limit however active it is', async () => {
    const { cookie } = await signIn('10.7.0.1');
    for (let h = 0; h < 7 * 24 - 11; h += 11) {
      t.clock.advance(11 * 3600 * 1000);
      expect(await whoAmI(cookie)).not.toBeNull();
    }
    t.clock.advance(11 * 3600 * 1000);
    expect(await whoAmI(cookie)).toBeNull();
  });

  it('signs out everywhere on request', async () => {
    const a = await signIn('10.8.0.1');
    const b = await signIn('10.8.0.2');
    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session?everywhere=true', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
    expect(out.statusCode).toBe(204);
    expect(await whoAmI(a.cookie)).toBeNull();
    expect(await whoAmI(b.cookie)).toBeNull();
  });

  it('a plain sign-out ends only that session', async () => {
    const a = await signIn('10.8.1.1');
    const b = await signIn('10.8.1.2');
    await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
    expect(await whoAmI(a.cookie)).toBeNull();
    expect(await whoAmI(b.cookie)).not.toBeNull();
  });

  it('a password change needs the current password and ends the other sessions', async () => {
    const person = (await t.user('reporter')).username;
    const here = await signIn('10.9.0.1', person);
    const elsewhere = await signIn('10.9.0.2', person);
    const change = (body: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1/accounts/${person}/password`, headers: { cookie: here.cookie, 'x-csrf-token': here.csrf }, payload: body });
    const wrong = await change({ password: 'brand new password', currentPassword: 'not my password' });
    expect(wrong.statusCode).toBe(400);
    expect(json(wrong).error.field).toBe('currentPassword');
    expect(await whoAmI(elsewhere.cookie)).not.toBeNull();
    expect((await change({ password: 'short', currentPassword: PASSWORD })).statusCode).toBe(400);
    expect((await change({ password: 'brand new password' })).statusCode).toBe(400);
    expect((await change({ password: 'brand new password', currentPassword: PASSWORD })).statusCode).toBe(204);
    expect(await whoAmI(here.cookie)).not.toBeNull();
    expect(await whoAmI(elsewhere.cookie)).toBeNull();
    expect((await login(PASSWORD, '10.9.0.3', person)).statusCode).toBe(401);
    expect((await login('brand new password', '10.9.0.3', person)).statusCode).toBe(200);
  });

  it("an admin's reset ends every session of that account", async () => {
    const person = (await t.user('reporter')).username;
    const a = await signIn('10.10.0.1', person);
    const reset = await t.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${person}/password`,
      headers: { authorization: adminAuth },
      payload: { password: 'reset by the admin' },
    });
    expect(reset.statusCode).toBe(204);
    expect(await whoAmI(a.cookie)).toBeNull();
    expect((await login('reset by the admin', '10.10.0.1', person)).statusCode).toBe(200);
  });

  describe('CSRF and Origin on cookie-authenticated changes', () => {
    let s: { cookie: string; csrf: string };
    beforeAll(async () => {
      s = await signIn('10.11.0.1');
    });
    const post = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/api/v1/articles', headers, payload: articleInput() });

    it('refuses a change without the header, with a wrong one, or with another session’s', async () => {
      const other = await signIn('10.11.0.2');
      for (const headers of [{ cookie: s.cookie }, { cookie: s.cookie, 'x-csrf-token': 'guess' }, { cookie: s.cookie, 'x-csrf-token': other.csrf }] as Record<
        string,
        string
      >[]) {
        const res = await post(headers);
        expect(res.statusCode).toBe(403);
        expect(json(res).error.code).toBe('csrf_failed');
      }
    });

    it('refuses another origin and accepts our own', async () => {
      const evil = await post({ cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'https://evil.example' });
      expect(json(evil).error.code).toBe('bad_origin');
      expect((await post({ cookie: s.cookie, 'x-csrf-token': s.csrf, origin: t.config.siteUrl })).statusCode).toBe(201);
    });

    it('guards the newsroom routes too: return, restore, accounts, tokens, channels', async () => {
      const admin = await t.user('admin');
      const adminSession = await signIn('10.11.0.3', admin.username);
      const article = await createArticle(t.app, admin.auth);
      for (const [method, url, payload] of [
        ['POST', `/api/v1/articles/${article.id}/revisions/1/restore`, undefined],
        ['POST', '/api/v1/sources', { name: '新华社' }],
        ['POST', '/api/v1/accounts', { username: 'csrf-victim', role: 'admin', password: 'a long password' }],
        ['POST', '/api/v1/tokens', { username: admin.username, name: 'stolen' }],
        ['PATCH', `/api/v1/accounts/${username}`, { role: 'admin' }],
        ['POST', `/api/v1/accounts/${username}/password`, { password: 'taken over!' }],
      ] as const) {
        const res = await t.app.inject({ method, url, headers: { cookie: adminSession.cookie }, payload: payload as object | undefined });
        expect(res.statusCode, `${method} ${url}`).toBe(403);
      }
      const accounts = json(await t.app.inject({ url: '/api/v1/accounts', headers: { authorization: admin.auth } })).items;
      expect(accounts.find((a: { username: string }) => a.username === 'csrf-victim')).toBeUndefined();
      expect(accounts.find((a: { username: string }) => a.username === username).role).toBe('reporter');
    });

    it('needs no CSRF header with a bearer token (no browser sends one by itself)', async () => {
      expect((await post({ authorization: adminAuth })).statusCode).toBe(201);
    });
  });

  it('changes nothing on GET: reading every newsroom route leaves the data and the audit log as they were', async () => {
    const article = await createArticle(t.app, adminAuth);
    const snapshot = async () => ({
      article: json(await t.app.inject({ url: `/api/v1/articles/${article.id}`, headers: { authorization: adminAuth } })),
      audit: json(await t.app.inject({ url: '/api/v1/audit?limit=1', headers: { authorization: adminAuth } })).items[0].id,
    });
    const before = await snapshot();
    for (const url of [
      `/api/v1/articles/${article.id}/publish`,
      `/api/v1/articles/${article.id}/submit`,
      `/api/v1/articles/${article.id}/return`,
      `/api/v1/articles/${article.id}/revisions/1/restore`,
      `/api/v1/articles/${article.id}/revisions`,
      '/api/v1/articles',
      '/api/v1/accounts',
      '/api/v1/tokens',
      '/api/v1/sources',
      '/api/v1/audit',
      `/admin/preview/${article.id}`,
      '/admin',
      '/admin/articles/1',
    ]) {
      const res = await t.app.inject({ url, headers: { authorization: adminAuth } });
      expect(res.statusCode, url).toBeLessThan(500);
    }
    expect(await snapshot()).toEqual(before);
  });
});
