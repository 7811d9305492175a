import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { articleInput, createChannels } from '../support/factories.ts';

const PASSWORD = 'correct horse battery';

describe.each(STORES)('sessions, CSRF and login throttling on %s', (kind) => {
  let t: TestApp;
  let username: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
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
});
