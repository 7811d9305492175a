import { describe, expect, it } from 'vitest';
import { buildTables, characters, packTables, unpackTables } from '../../src/domain/search/suggest-tables.ts';

describe("did-you-mean's tables from the worker", () => {
  it('unpack to what was built: every list, reading and frequency', async () => {
    const built = buildTables();
    // What postMessage does to them.
    const packed = structuredClone(packTables(built));
    let breaths = 0;
    const unpacked = await unpackTables(packed, async () => {
      breaths++;
    });
    expect(breaths).toBeGreaterThan(0);
    for (const name of ['homophones', 'next', 'prev'] as const) {
      expect(unpacked[name].size).toBe(built[name].size);
      for (const [key, list] of built[name]) expect(characters(unpacked[name].get(key))).toEqual(list);
    }
    expect(unpacked.readings.size).toBe(built.readings.size);
    for (const [c, syllables] of built.readings) expect(unpacked.readings.get(c)?.split(' ')).toEqual(syllables);
    expect(unpacked.frequency).toEqual(built.frequency);
    expect(built.readings.get('智')).toContain('zhi');
    expect(characters(unpacked.next.get('人'))).toContain('工');
    expect(characters(unpacked.homophones.get('zhi'))).toContain('只');
  });
});
