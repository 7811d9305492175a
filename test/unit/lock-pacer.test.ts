import { describe, expect, it } from 'vitest';
import { LockPacer, OTHER_WRITER_RETRY_MS } from '../../src/storage/lock-pacer.ts';

/** A job's transactions on a clock of our own: each takes `ms`, with `gap` ms of other work between them. */
async function run(pacer: LockPacer, clock: { t: number }, transactions: number, ms: number, gap = 0) {
  const held: [number, number][] = [];
  for (let i = 0; i < transactions; i++) {
    await pacer.run(async () => {
      const from = clock.t;
      clock.t += ms;
      held.push([from, clock.t]);
    });
    clock.t += gap;
  }
  return held;
}

/** The longest time the lock was held with no free gap a busy handler's retry would wake in. */
function longestStretch(held: [number, number][]): number {
  let longest = 0;
  let from = held[0]![0];
  for (let i = 1; i <= held.length; i++) {
    const end = held[i - 1]![1];
    if (i === held.length || held[i]![0] - end > OTHER_WRITER_RETRY_MS) {
      longest = Math.max(longest, end - from);
      if (i < held.length) from = held[i]![0];
    }
  }
  return longest;
}

describe('LockPacer', () => {
  const pacerOn = (clock: { t: number }, holdMs: number) =>
    new LockPacer(
      holdMs,
      () => clock.t,
      async (ms) => {
        clock.t += ms;
      },
    );

  it('leaves the lock free for longer than a busy handler sleeps once it has held it for its holding time', async () => {
    const clock = { t: 0 };
    const pacer = pacerOn(clock, 1000);
    // 100 steps of 50 ms back to back: 5 s of holding with no gap at all, unpaced.
    const held = await run(pacer, clock, 100, 50);
    expect(longestStretch(held)).toBeLessThanOrEqual(1000 + 50);
    // Four or five pauses of a retry's length, and no more.
    expect(pacer.paused).toBeGreaterThan(4 * OTHER_WRITER_RETRY_MS);
    expect(pacer.paused).toBeLessThan(6 * (OTHER_WRITER_RETRY_MS + 10));
  });

  it('never pauses a job that leaves gaps long enough by itself', async () => {
    const clock = { t: 0 };
    const pacer = pacerOn(clock, 1000);
    const held = await run(pacer, clock, 100, 300, OTHER_WRITER_RETRY_MS + 20);
    expect(pacer.paused).toBe(0);
    expect(longestStretch(held)).toBe(300);
  });

  it('counts short gaps as holding: they are too short for another writer to wake in', async () => {
    const clock = { t: 0 };
    const pacer = pacerOn(clock, 1000);
    const held = await run(pacer, clock, 100, 40, 5);
    expect(pacer.paused).toBeGreaterThan(0);
    expect(longestStretch(held)).toBeLessThanOrEqual(1000 + 45);
  });
});
