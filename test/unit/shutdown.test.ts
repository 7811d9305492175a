import { describe, expect, it } from 'vitest';
import { inSteps } from '../../src/shutdown.ts';

function recorder() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('a shutdown in steps', () => {
  it('runs every step in order, past one that fails, then exits 0', async () => {
    const { lines, log } = recorder();
    const ran: string[] = [];
    const exits: number[] = [];
    const shutdown = inSteps(
      [
        ['a', async () => void ran.push('a')],
        [
          'b',
          async () => {
            ran.push('b');
            throw new Error('broken');
          },
        ],
        ['c', () => undefined],
        ['d', async () => void ran.push('d')],
      ],
      { log, deadlineMs: 5_000, exit: (code) => exits.push(code) },
    );
    await shutdown.signal('SIGTERM');
    expect(ran).toEqual(['a', 'b', 'd']);
    expect(exits).toEqual([0]);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ obj: { step: 'b' }, msg: 'shutdown step failed' });
  });

  it('past its deadline says which step it was waiting for and exits 1', async () => {
    const { lines, log } = recorder();
    const exits: number[] = [];
    const shutdown = inSteps(
      [
        ['quick', async () => {}],
        ['stuck', () => new Promise(() => {})],
      ],
      { log, deadlineMs: 50, exit: (code) => exits.push(code) },
    );
    void shutdown.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    expect(exits).toEqual([1]);
    expect(lines.at(-1)).toMatchObject({ level: 'error', obj: { waitingFor: 'stuck' }, msg: 'shutdown took too long: exiting without finishing it' });
  });

  it('goes on through a second SIGTERM, and exits at once on a second Ctrl-C', async () => {
    const { log } = recorder();
    const exits: number[] = [];
    let release = () => {};
    const shutdown = inSteps([['slow', () => new Promise<void>((r) => (release = r))]], { log, deadlineMs: 5_000, exit: (code) => exits.push(code) });
    const first = shutdown.signal('SIGTERM');
    await shutdown.signal('SIGTERM');
    expect(exits).toEqual([]);
    expect(shutdown.step).toBe('slow');
    await shutdown.signal('SIGINT');
    expect(exits).toEqual([1]);
    release();
    await first;
    expect(exits).toEqual([1, 0]);
  });
});
