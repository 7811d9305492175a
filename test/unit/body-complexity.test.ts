import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { assertBodyComplexity, bodyText, sanitizeBody, scanBody } from '../../src/domain/articles/html.ts';
import { LIMITS } from '../../src/domain/articles/service.ts';
import { emptyParagraphs, nested128k, tagHeavy1_5MB, worstAccepted } from '../support/hostile-bodies.ts';

const limits = { depth: LIMITS.bodyDepth, elements: LIMITS.bodyElements };
const nested = (depth: number) => '<b>x'.repeat(depth) + '</b>'.repeat(depth);

function refusal(fn: () => unknown): { code: string; field?: string; kind: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, field: err.field, kind: err.kind };
    throw err;
  }
  return undefined;
}

/** The fastest of a few runs, in ms: a single run on a shared machine is noise. */
function fastest(fn: () => unknown, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('security: body complexity (pre-scan)', () => {
  it('has limits real articles never reach, next to the byte limit', () => {
    expect(LIMITS.bodyDepth).toBeGreaterThanOrEqual(64);
    expect(LIMITS.bodyDepth).toBeLessThanOrEqual(100);
    expect(LIMITS.bodyElements).toBeGreaterThanOrEqual(20_000);
    expect(LIMITS.bodyElements).toBeLessThanOrEqual(50_000);
  });

  it('accepts nesting at the depth limit and refuses one level more as too_complex on body', () => {
    expect(refusal(() => assertBodyComplexity(nested(LIMITS.bodyDepth)))).toBeUndefined();
    expect(refusal(() => assertBodyComplexity(nested(LIMITS.bodyDepth + 1)))).toEqual({ kind: 'invalid', code: 'too_complex', field: 'body' });
  });

  it('accepts the element limit and refuses one element more', () => {
    expect(refusal(() => assertBodyComplexity('<p>x</p>'.repeat(LIMITS.bodyElements)))).toBeUndefined();
    expect(refusal(() => assertBodyComplexity('<p>x</p>'.repeat(LIMITS.bodyElements + 1)))).toMatchObject({ code: 'too_complex', field: 'body' });
    // Elements the parser implies count too: a stray </p> opens (and closes) a paragraph, a </br> is a <br>.
    expect(scanBody('</p></br><p><li>', limits).elements).toBe(4);
  });

  it('stops reading a hostile body at the element that crosses a limit', () => {
    const deep = scanBody(tagHeavy1_5MB(), limits);
    expect(deep.refusal).toMatch(/deep/);
    expect(deep.depth).toBe(LIMITS.bodyDepth + 1);
    expect(deep.scanned).toBeLessThan(3 * (LIMITS.bodyDepth + 2));
    const many = scanBody('<br>'.repeat(1_000_000), limits);
    expect(many.refusal).toMatch(/elements/);
    expect(many.elements).toBe(LIMITS.bodyElements + 1);
    expect(many.scanned).toBeLessThan(4 * (LIMITS.bodyElements + 2));
  });

  it('counts SVG and MathML left open by other elements as nesting (the parser keeps a stack of them)', () => {
    // Each <svg> is closed by the </p>, but only an </svg> takes it off htmlparser2's foreign-content stack.
    const leftOpen = '<p><svg></p>'.repeat(LIMITS.bodyDepth + 1);
    expect(scanBody(leftOpen, limits)).toMatchObject({ refusal: expect.stringMatching(/deep/), depth: 2 });
    // Closed properly, icons do not add up.
    expect(scanBody('<p><svg><title>t</title><path d="M0 0"/></svg></p>'.repeat(1000), limits).refusal).toBeUndefined();
  });

  it('is linear: unmatched close tags at the depth limit are searched in a bounded stack', () => {
    const closes = (n: number) => '<b>'.repeat(LIMITS.bodyDepth) + '</i>'.repeat(n);
    expect(scanBody(closes(200_000), limits).refusal).toBeUndefined();
    const small = fastest(() => sanitizeBody(closes(25_000)));
    const large = fastest(() => sanitizeBody(closes(200_000)));
    // 8× the input: linear is ~8×, quadratic ~64×.
    expect(large / small).toBeLessThan(20);
  });
});

describe('security: body complexity (sanitizing and text)', () => {
  it("refuses the report's bodies before sanitizing them", () => {
    expect(refusal(() => sanitizeBody(nested128k()))).toMatchObject({ code: 'too_complex', field: 'body' });
    expect(refusal(() => sanitizeBody(tagHeavy1_5MB()))).toMatchObject({ code: 'too_complex', field: 'body' });
  });

  it('refuses deep nesting in bodyText as well, instead of walking it', () => {
    expect(refusal(() => bodyText(nested128k()))).toMatchObject({ code: 'too_complex', field: 'body' });
    expect(bodyText(nested(LIMITS.bodyDepth))).toBe('x'.repeat(LIMITS.bodyDepth));
  });

  it('drops thousands of empty paragraphs in linear time (sanitize-html cut its output once per dropped element)', () => {
    const small = fastest(() => sanitizeBody(emptyParagraphs(5_000)));
    const large = fastest(() => sanitizeBody(emptyParagraphs(40_000)));
    expect(sanitizeBody(emptyParagraphs(4))).toBe(
      '<p>本报讯 江城地铁新线今日开通运营，全长32.6公里。</p><p>本报讯 江城地铁新线今日开通运营，全长32.6公里。</p>',
    );
    // 8× the input: linear is ~8×, the old quadratic cut ~64× and more.
    expect(large / small).toBeLessThan(20);
  });

  it('sanitizes and extracts the worst accepted body (both limits reached, about 2 MB) in bounded time', () => {
    const html = worstAccepted({ depth: LIMITS.bodyDepth, elements: LIMITS.bodyElements, bytes: LIMITS.bodyBytes - 160 * 1024 });
    const scan = scanBody(html, limits);
    expect(scan.refusal).toBeUndefined();
    expect(scan.depth).toBe(LIMITS.bodyDepth);
    expect(scan.elements).toBeGreaterThan(LIMITS.bodyElements - 100);
    const t = performance.now();
    const text = bodyText(sanitizeBody(html));
    expect(performance.now() - t).toBeLessThan(3000);
    expect(text.length).toBeGreaterThan(500_000);
  });
});
