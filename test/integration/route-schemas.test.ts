import AjvModule from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TestApp } from '../support/app.ts';

/**
 * The server's ajv instances skip checking schemas against the meta-schema (src/web/validation.ts: it cost a start's
 * first page ~100 ms). This test does that check for every schema of every route the app registers, so a schema that
 * is not valid JSON Schema (a misspelt type, a `required` that is not a list) still fails before it ships.
 */
// The integration files share a worker's modules (vitest.config.ts): the app's modules may have been loaded by a file
// before this one, with the real validatorCompiler. The test loads them again (vi.resetModules) so that app.ts takes
// the observed one below, which hands every route to the real compiler unchanged.
const seen = vi.hoisted(() => [] as { schema: unknown; method: string; url: string; httpPart?: string }[]);

vi.mock('../../src/web/validation.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/web/validation.ts')>();
  return {
    ...original,
    validatorCompiler: (route: Parameters<typeof original.validatorCompiler>[0]) => {
      seen.push({ schema: route.schema, method: route.method, url: route.url, httpPart: route.httpPart });
      return original.validatorCompiler(route);
    },
  };
});

describe('route schemas', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('are all valid JSON Schema (checked here, not at each start)', async () => {
    vi.resetModules();
    const { startTestApp } = await import('../support/app.ts');
    t = await startTestApp('sqlite');
    // The app's routes with a body, query or params schema: the newsroom API alone has dozens.
    expect(seen.length).toBeGreaterThan(50);
    const Ajv = AjvModule.default;
    const checker = new Ajv({ strict: false });
    addFormats.default(checker);
    const invalid = seen.filter((r) => !checker.validateSchema(r.schema as object)).map((r) => `${r.method} ${r.url} ${r.httpPart}: ${checker.errorsText()}`);
    expect(invalid).toEqual([]);
    // And the check can fail: a schema with a misspelt type is refused.
    expect(checker.validateSchema({ type: 'strnig' })).toBe(false);
  });
});
