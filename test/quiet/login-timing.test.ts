import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';

/**
 * A timing: an unknown name must cost what a wrong password costs, or response times tell which accounts exist.
 * It runs in the quiet project (alone, after every other test) and at production argon2 cost: at the test-only
 * cost both take about a millisecond, and other test files beside it would measure the machine's load.
 */
describe.each(STORES)('login timing on %s', (kind) => {
  let t: TestApp;
  let username: string;
  /** An account imported without a password (an export never carries hashes): its stored hash is empty. */
  let imported: string;
  let testCost: string | undefined;

  beforeAll(async () => {
    testCost = process.env.INKSTONE_ARGON2_COST;
    delete process.env.INKSTONE_ARGON2_COST;
    t = await startTestApp(kind);
    username = (await t.user('reporter')).username;
    imported = (await t.user('reporter')).username;
    await t.db.database.db.updateTable('accounts').set({ password_hash: '' }).where('username', '=', imported).execute();
  });
  afterAll(async () => {
    process.env.INKSTONE_ARGON2_COST = testCost;
    await t.close();
  });

  it('takes as long to refuse an unknown user, or an account without a password, as a wrong password', async () => {
    const time = async (user: string, ip: string) => {
      const started = process.hrtime.bigint();
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress: ip, payload: { username: user, password: 'wrong password' } });
      expect(res.statusCode).toBe(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // The first unknown name makes the dummy hash: warm it outside the measurement.
    await time('ghost-warm', '10.5.9.9');
    const wrong: number[] = [];
    const unknown: number[] = [];
    const noHash: number[] = [];
    for (let i = 0; i < 8; i++) {
      wrong.push(await time(username, `10.5.${i}.1`));
      unknown.push(await time(`ghost${i}`, `10.5.${i}.2`));
      noHash.push(await time(imported, `10.5.${i}.3`));
    }
    // Without the dummy hash an unknown name answers in about a millisecond, a wrong password in tens.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2.5);
    // An empty stored hash failed argon2 at once, as fast as an unknown name once was.
    expect(median(noHash)).toBeGreaterThan(median(wrong) * 0.4);
    expect(median(noHash)).toBeLessThan(median(wrong) * 2.5);
  });
});
