import { afterAll, describe, expect, it } from 'vitest';
import { closeBodyPool } from '../../src/domain/articles/body-pool.ts';
import { analyseNow, assistNow, prepareBodyNow, runBodyJob } from '../../src/domain/articles/body-work.ts';
import { INLINE_ASSIST_CHARS, INLINE_BODY_CHARS, prepareAnalysis, prepareAssist, prepareBody } from '../../src/domain/articles/body.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { LIMITS } from '../../src/domain/articles/service.ts';
import { prepareSearchFields, searchDocument } from '../../src/domain/search/document.ts';

const fields = { title: '江城地铁新线开通', subtitle: '', summary: '', tags: ['江城', '地铁'] };
const paragraph = '<p>江城地铁新线今日开通运营，全长32.6公里，设站24座。市民王女士说：“以后上班能省半小时。”</p>';
const long = paragraph.repeat(Math.ceil((2 * INLINE_BODY_CHARS) / paragraph.length));

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, field: err.field };
    throw err;
  }
  return undefined;
}

afterAll(() => closeBodyPool());

describe('security: body size as stored', () => {
  it('refuses a body over 2 MB as sent', () => {
    expect(refusal(() => prepareBodyNow(`<p>${'长'.repeat(700_000)}</p>`))).toEqual({ code: 'too_long', field: 'body' });
  });

  it('refuses a body that sanitizing makes longer than 2 MB (& as &amp;, <b> as <strong>), before taking its text', () => {
    const ampersands = `<p>${'&'.repeat(450_000)}</p>`;
    expect(Buffer.byteLength(ampersands)).toBeLessThan(LIMITS.bodyBytes / 4);
    expect(refusal(() => prepareBodyNow(ampersands))).toEqual({ code: 'too_long', field: 'body' });
    const bold = `<p>${'a'.repeat(1_600_000)}${'<b>x</b>'.repeat(49_000)}</p>`;
    expect(Buffer.byteLength(bold)).toBeLessThan(LIMITS.bodyBytes);
    expect(refusal(() => prepareBodyNow(bold))).toEqual({ code: 'too_long', field: 'body' });
  });

  it('accepts a body of exactly 2 MB once sanitized, and not a byte more', () => {
    // Each & is written as &amp;: 7 + k + 5 × 100,000 bytes out of 7 + k + 100,000 in.
    const body = (k: number) => `<p>${'a'.repeat(k)}${'&'.repeat(100_000)}</p>`;
    const exact = LIMITS.bodyBytes - 7 - 500_000;
    expect(Buffer.byteLength(prepareBodyNow(body(exact)).bodyHtml)).toBe(LIMITS.bodyBytes);
    expect(refusal(() => prepareBodyNow(body(exact + 1)))).toEqual({ code: 'too_long', field: 'body' });
  });
});

describe('body preparation off the event loop', () => {
  it('prepares a long body in the worker thread as inline, and its analysis (for the outbox) too', async () => {
    const inline = prepareBodyNow(long);
    const prepared = await prepareBody(long);
    expect(prepared.bodyHtml).toBe(inline.bodyHtml);
    expect(prepared.bodyText).toBe(inline.bodyText);
    expect(await prepareAnalysis(fields, inline.bodyText)).toEqual(analyseNow(fields, inline.bodyText));
    // Short texts are analysed inline, where the outbox's work runs.
    expect(await prepareAnalysis(fields, prepareBodyNow(paragraph).bodyText)).toBeUndefined();
  });

  it("rethrows the worker's refusals as the domain's typed errors", async () => {
    const tooDeep = '<b>x'.repeat(LIMITS.bodyDepth + 1) + 'x'.repeat(INLINE_BODY_CHARS);
    await expect(prepareBody(tooDeep)).rejects.toMatchObject({ name: 'DomainError', kind: 'invalid', code: 'too_complex', field: 'body' });
    expect(runBodyJob({ html: tooDeep })).toEqual({ ok: false, error: { kind: 'invalid', code: 'too_complex', message: expect.any(String), field: 'body' } });
  });

  it('analyses a stored long text in the worker, and leaves short ones to the caller', async () => {
    const text = prepareBodyNow(long).bodyText;
    expect(await prepareAnalysis(fields, text)).toEqual(analyseNow(fields, text));
    expect(await prepareAnalysis(fields, '短文')).toBeUndefined();
  });

  it('works out the editor assists for a long draft in the worker as inline', async () => {
    expect(long.length).toBeGreaterThan(INLINE_ASSIST_CHARS);
    const inWorker = await prepareAssist(fields.title, long);
    expect(inWorker).toEqual(assistNow(fields.title, long));
    expect(inWorker.summary).not.toBe('');
    await expect(prepareAssist(fields.title, '<b>x'.repeat(LIMITS.bodyDepth + 1) + 'x'.repeat(INLINE_ASSIST_CHARS))).rejects.toMatchObject({
      code: 'too_complex',
    });
  });

  it('uses search fields made ahead only for the very texts they were made of', () => {
    const article = { id: 1, channelId: 2, publishedAt: 3, updatedAt: 3, ...fields, bodyText: '江城地铁新线开通运营' };
    const prepared = prepareSearchFields({ ...article, bodyText: '别的正文' });
    expect(searchDocument(article, prepared).fields).toEqual(searchDocument(article).fields);
    const same = prepareSearchFields(article);
    expect(searchDocument(article, same).fields).toBe(same.fields);
  });
});
